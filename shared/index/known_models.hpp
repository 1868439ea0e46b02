#pragma once
// The embedding models whose output size Mosaic knows. An index that names one of them must say that
// size as its full dimensions: a query embedded by that model could never match vectors of another
// size. The local model (model/use_lite_model.hpp) takes its identity from here, so the index and
// the model cannot disagree; the index does not depend on the model's code.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mosaic::index {

struct known_model {
  std::string_view id;
  std::uint32_t output_dimensions;
};

// Universal Sentence Encoder Lite, the offline model embedded in the server and the browser.
inline constexpr known_model local_text_model{"use-lite-512@energetic-ai-0.2.0", 512};

inline constexpr std::array<known_model, 1> known_models{local_text_model};

constexpr std::optional<std::uint32_t> known_output_dimensions(std::string_view model_id) noexcept {
  for (const known_model& model : known_models) {
    if (model.id == model_id) return model.output_dimensions;
  }
  return std::nullopt;
}

}  // namespace mosaic::index
