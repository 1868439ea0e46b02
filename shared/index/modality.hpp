#pragma once
// The kinds of item an index holds. Filters select them by bit mask (1 << modality).
#include <cstdint>
#include <string_view>

#include "core/result.hpp"

namespace mosaic::index {

enum class modality : std::uint8_t { text = 0, image = 1, audio = 2, video = 3, pdf = 4 };
inline constexpr std::uint32_t modality_count = 5;
inline constexpr std::uint32_t all_modalities_mask = (1u << modality_count) - 1;

constexpr std::uint32_t modality_bit(modality kind) noexcept { return 1u << static_cast<std::uint32_t>(kind); }

std::string_view modality_name(modality kind) noexcept;  // "text", "image", "audio", "video", "pdf"
result<modality> parse_modality(std::string_view name);

}  // namespace mosaic::index
