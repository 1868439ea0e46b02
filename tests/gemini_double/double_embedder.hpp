#pragma once
// Deterministic embeddings that keep meaning across modalities, so tests of the proxy and the indexer
// can assert "a text query finds the right image" without Google:
//  - text (text parts and text/plain data) goes through Mosaic's local model (512-d, unit length);
//  - a PNG with a tEXt "Description" caption, or a WAV with a LIST/INFO ICMT comment, is embedded as
//    that caption text, so it lands exactly where the caption's text does;
//  - any other media (and file_data, by its URI) becomes a pseudo-random unit vector seeded by the
//    SHA-256 of its bytes: stable across runs, unrelated to everything else;
//  - the parts of one Content are fused into the normalized mean of their vectors.
// Without a model (--hash-text), text is embedded like other media, by hash: fast and
// model-free, still exact for caption-equals-text tests, but with no notion of similar meaning.
#include <cstddef>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "embed_request.hpp"
#include "model/use_lite_model.hpp"

namespace mosaic::gemini_double {

struct content_embedding {
  std::vector<float> values;     // request.output_dimensionality components, unit length
  std::size_t text_tokens = 0;   // tokens of the Content's text parts (0 without a model)
};

class double_embedder {
 public:
  static constexpr std::size_t base_dimensions = 512;

  // `text_model` must produce base_dimensions components; nullopt embeds text by hash.
  explicit double_embedder(std::optional<model::use_lite_model> text_model);

  // Errors are the client's fault (invalid UTF-8 in text/plain data, text the model refuses): 400.
  [[nodiscard]] result<content_embedding> embed(const embed_content_request& request) const;

  // The 512-d vector of the part on its own, before fusion and dimension mapping (exposed for tests).
  struct part_vector {
    std::vector<float> values;
    std::size_t text_tokens = 0;
  };
  [[nodiscard]] result<part_vector> embed_part(const content_part& part) const;

 private:
  [[nodiscard]] result<part_vector> embed_text(std::string_view utf8_text) const;
  [[nodiscard]] std::vector<float> expand_to_dimensions(std::span<const float> base, std::size_t dimensions) const;

  std::optional<model::use_lite_model> text_model_;
  // [maximum_output_dimensionality - base_dimensions rows, base_dimensions columns], row-major.
  std::vector<float> projection_;
  // Tests embed the same few captions and queries over and over; the model takes milliseconds each.
  mutable std::mutex text_cache_mutex_;
  mutable std::unordered_map<std::string, part_vector> text_cache_;
};

}  // namespace mosaic::gemini_double
