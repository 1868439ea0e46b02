#include "double_embedder.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "embed/unicode_normalization.hpp"
#include "hash/sha256.hpp"
#include "media_captions.hpp"
#include "vector/kernels.hpp"
#include "vector/normalize.hpp"

namespace mosaic::gemini_double {
namespace {

constexpr std::size_t text_cache_capacity = 4096;
constexpr std::size_t largest_cached_text = 4096;
// Beyond this many bytes a text surely exceeds Google's 8,192-token input limit (a model token covers
// far fewer bytes than this on average), and tokenizing megabytes would only waste time.
constexpr std::size_t largest_text_bytes = 1u << 20;
// Fixed so that the projection, and thus every vector above 512 dimensions, never changes.
constexpr std::uint64_t projection_seed = 0x6D6F736169632D64ULL;  // "mosaic-d"

// SplitMix64: a tiny, well-mixed generator whose output is identical on every platform.
class splitmix64 {
 public:
  explicit splitmix64(std::uint64_t seed) noexcept : state_(seed) {}
  std::uint64_t next() noexcept {
    state_ += 0x9E3779B97F4A7C15ULL;
    std::uint64_t mixed = state_;
    mixed = (mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9ULL;
    mixed = (mixed ^ (mixed >> 27)) * 0x94D049BB133111EBULL;
    return mixed ^ (mixed >> 31);
  }
  // Uniform in [-1, 1), from the top 24 bits: exact in float, so identical everywhere.
  float next_symmetric() noexcept {
    return static_cast<float>(next() >> 40) * (2.0f / 16777216.0f) - 1.0f;
  }

 private:
  std::uint64_t state_;
};

std::vector<float> hash_vector(std::span<const std::uint8_t> bytes) {
  const hash::sha256_digest digest = hash::sha256(bytes);
  std::uint64_t seed = 0;
  for (std::size_t index = 0; index < 8; ++index) seed = (seed << 8) | digest[index];
  splitmix64 generator(seed);
  std::vector<float> values(double_embedder::base_dimensions);
  for (float& value : values) value = generator.next_symmetric();
  // 512 uniform draws are never all zero in practice; if they were, one component keeps it valid.
  if (!vector::l2_normalize(values)) {
    values.assign(values.size(), 0.0f);
    values[0] = 1.0f;
  }
  return values;
}

std::span<const std::uint8_t> as_bytes(std::string_view text) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

error client_error(std::string message) { return make_error(error_code::invalid_argument, std::move(message)); }

}  // namespace

double_embedder::double_embedder(std::optional<model::use_lite_model> text_model)
    : text_model_(std::move(text_model)) {
  // Rows of ±1/sqrt(512): each extra component is a random projection of the 512-d vector with the
  // same expected magnitude as one of its components, so no part of a long vector dominates.
  constexpr std::size_t extra_rows = maximum_output_dimensionality - base_dimensions;
  projection_.resize(extra_rows * base_dimensions);
  const float magnitude = 1.0f / std::sqrt(static_cast<float>(base_dimensions));
  splitmix64 generator(projection_seed);
  for (std::size_t index = 0; index < projection_.size(); index += 64) {
    const std::uint64_t signs = generator.next();
    for (std::size_t bit = 0; bit < 64 && index + bit < projection_.size(); ++bit) {
      projection_[index + bit] = ((signs >> bit) & 1u) != 0 ? magnitude : -magnitude;
    }
  }
}

result<double_embedder::part_vector> double_embedder::embed_text(std::string_view utf8_text) const {
  if (utf8_text.size() > largest_text_bytes) {
    return client_error("The input token count exceeds the maximum number of tokens allowed (" +
                        std::to_string(maximum_input_tokens) + "): the text has " +
                        std::to_string(utf8_text.size()) + " bytes.");
  }
  const bool cacheable = utf8_text.size() <= largest_cached_text;
  if (cacheable) {
    const std::lock_guard lock(text_cache_mutex_);
    if (const auto found = text_cache_.find(std::string(utf8_text)); found != text_cache_.end()) return found->second;
  }
  auto normalized = server::normalize_nfkc(utf8_text);
  if (!normalized) return client_error("text is not valid UTF-8: " + normalized.failure().message);

  part_vector embedded;
  if (text_model_) {
    auto model_output = text_model_->embed(*normalized);
    if (!model_output) return client_error("text cannot be embedded: " + model_output.failure().message);
    embedded.values = std::move(model_output->vector);
    embedded.text_tokens = model_output->token_count;
  } else {
    embedded.values = hash_vector(as_bytes(*normalized));
  }
  if (cacheable) {
    const std::lock_guard lock(text_cache_mutex_);
    if (text_cache_.size() >= text_cache_capacity) text_cache_.clear();  // simple bound; tests reuse few texts
    text_cache_.emplace(std::string(utf8_text), embedded);
  }
  return embedded;
}

result<double_embedder::part_vector> double_embedder::embed_part(const content_part& part) const {
  switch (part.kind) {
    case part_kind::text:
      return embed_text(part.text);
    case part_kind::inline_data: {
      const std::span<const std::uint8_t> bytes = part.data;
      if (part.mime_type == "text/plain") {
        return embed_text(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
      }
      std::optional<std::string> caption;
      if (part.mime_type == "image/png") caption = png_description(bytes);
      if (part.mime_type == "audio/wav" || part.mime_type == "audio/x-wav") caption = wav_comment(bytes);
      if (caption) {
        auto embedded = embed_text(*caption);
        if (!embedded) return std::move(embedded).failure();
        embedded->text_tokens = 0;  // a caption stands for media: it does not count as input text
        return embedded;
      }
      return part_vector{hash_vector(bytes), 0};
    }
    case part_kind::file_data:
      // The double cannot fetch files: the URI stands in for the bytes.
      return part_vector{hash_vector(as_bytes(part.file_uri)), 0};
  }
  return client_error("unknown part kind");
}

std::vector<float> double_embedder::expand_to_dimensions(std::span<const float> base, std::size_t dimensions) const {
  // The mapping from the 512-d fused vector v to d dimensions, chosen so that Matryoshka truncation
  // behaves as it does with Gemini: the full 3072-d output is [v, P v] where P is a fixed
  // pseudo-random ±1/sqrt(512) matrix (2560 x 512, seeded by projection_seed), and a request for d
  // dimensions returns the first d components of that, L2-normalized. Hence:
  //  - d <= 512 is exactly the normalized prefix of v, so cosine similarity between inputs in the first
  //    512 dimensions is the local model's own (tests can assert "a text query finds the right image");
  //  - d > 512 appends random projections of v, which approximately preserve cosine similarity
  //    (Johnson-Lindenstrauss) and keep identical inputs identical;
  //  - any d-dimensional answer equals the normalized first d components of the 3072-d answer.
  std::vector<float> values(dimensions);
  const std::size_t copied = std::min(dimensions, base.size());
  std::copy(base.begin(), base.begin() + static_cast<std::ptrdiff_t>(copied), values.begin());
  // The core's dot kernel (SIMD where the machine has it): a serial float sum here made the double's
  // own work the largest part of a 100-text call, which benchmarks then mistook for upstream latency.
  const auto dot = vector::active_kernels().dot_f32;
  for (std::size_t row = 0; row + base.size() < dimensions; ++row) {
    values[base.size() + row] = dot(projection_.data() + row * base_dimensions, base.data(), base_dimensions);
  }
  // A prefix of a unit vector is zero only if the whole prefix is: fall back to the first axis so the
  // answer is still a valid unit vector.
  if (!vector::l2_normalize(values)) {
    values.assign(dimensions, 0.0f);
    values[0] = 1.0f;
  }
  return values;
}

result<content_embedding> double_embedder::embed(const embed_content_request& request) const {
  std::vector<float> fused(base_dimensions, 0.0f);
  content_embedding embedded;
  for (const content_part& part : request.parts) {
    auto part_embedding = embed_part(part);
    if (!part_embedding) return std::move(part_embedding).failure();
    if (part_embedding->values.size() != base_dimensions) {
      return make_error(error_code::dimension_mismatch, "the local model produced " +
                                                            std::to_string(part_embedding->values.size()) +
                                                            " dimensions instead of 512");
    }
    for (std::size_t index = 0; index < base_dimensions; ++index) fused[index] += part_embedding->values[index];
    embedded.text_tokens += part_embedding->text_tokens;
  }
  // The mean and the sum point the same way; normalizing gives the normalized mean. Parts that cancel
  // exactly (a zero sum) keep the first part's direction.
  if (!vector::l2_normalize(fused)) {
    auto first = embed_part(request.parts.front());
    if (!first) return std::move(first).failure();
    fused = std::move(first->values);
  }
  embedded.values = expand_to_dimensions(fused, request.output_dimensionality);
  return embedded;
}

}  // namespace mosaic::gemini_double
