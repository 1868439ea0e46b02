#include "index/modality.hpp"

#include <array>
#include <string>

namespace mosaic::index {
namespace {
constexpr std::array<std::string_view, modality_count> names = {"text", "image", "audio", "video", "pdf"};
}

std::string_view modality_name(modality kind) noexcept {
  const auto position = static_cast<std::size_t>(kind);
  return position < names.size() ? names[position] : "unknown";
}

result<modality> parse_modality(std::string_view name) {
  for (std::size_t position = 0; position < names.size(); ++position) {
    if (names[position] == name) return static_cast<modality>(position);
  }
  return make_error(error_code::invalid_argument, "unknown modality '" + std::string(name) +
                                                      "' (expected text, image, audio, video or pdf)");
}

}  // namespace mosaic::index
