#pragma once
// Bounded zlib (RFC 1950) decompression with stb_image's inflater, for the few places that read a
// compressed structure (PDF object streams). Implemented in image_preparation.cpp, the one
// translation unit holding stb's code and its allocation budget.
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"

namespace mosaic::media {

// Errors: invalid_media (not a valid zlib stream), media_too_large (it would inflate beyond
// max_output_bytes: refused, not truncated).
result<std::vector<std::uint8_t>> inflate_zlib(std::span<const std::uint8_t> compressed, std::size_t max_output_bytes);

}  // namespace mosaic::media
