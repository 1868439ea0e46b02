#include "embed/local_provider.hpp"

#include "embed/unicode_normalization.hpp"
#include "vector/normalize.hpp"

namespace mosaic::server {
namespace {

// One input: every part must be text; the fused vector is the normalized mean of the part vectors.
result<std::vector<float>> embed_input(const model::use_lite_model& model, const embedding_input& input,
                                       std::size_t position, std::size_t max_text_bytes) {
  const std::string where = "inputs[" + std::to_string(position) + "]";
  if (input.parts.empty()) return make_error(error_code::invalid_argument, where + " has no parts");
  std::vector<float> sum(model.dimensions(), 0.0f);
  for (std::size_t part_index = 0; part_index < input.parts.size(); ++part_index) {
    const embedding_part& part = input.parts[part_index];
    const std::string part_where = where + ".parts[" + std::to_string(part_index) + "]";
    if (!part.is_text()) {
      return make_error(error_code::unsupported_media, part_where + ": the local model embeds text only, not " +
                                                           part.mime_type + " (use the gemini provider for media)");
    }
    if (part.text.size() > max_text_bytes) {
      return make_error(error_code::invalid_argument,
                        part_where + ": text is longer than " + std::to_string(max_text_bytes) + " bytes");
    }
    auto normalized = normalize_nfkc(part.text);
    if (!normalized) return make_error(normalized.failure().code, part_where + ": " + normalized.failure().message);
    auto embedding = model.embed(normalized.value());
    if (!embedding) return make_error(embedding.failure().code, part_where + ": " + embedding.failure().message);
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += embedding->vector[i];
  }
  if (auto normalized = vector::l2_normalize(sum); !normalized) return std::move(normalized).failure();
  return sum;
}

}  // namespace

local_provider::local_provider(const model::use_lite_model& model, local_provider_options options)
    : model_(model), options_(options), model_id_(model::use_lite_model_id),
      workers_(options.threads, options.max_queued_batches) {}

result<embedding_vectors> local_provider::embed_now(const embedding_batch& batch) const {
  const std::size_t dimensions = batch.dimensions == 0 ? model_.dimensions() : batch.dimensions;
  if (dimensions > model_.dimensions()) {
    return make_error(error_code::invalid_argument, "dimensions must be from 1 to " + std::to_string(model_.dimensions()));
  }
  embedding_vectors vectors;
  vectors.reserve(batch.inputs.size());
  for (std::size_t position = 0; position < batch.inputs.size(); ++position) {
    auto vector = embed_input(model_, batch.inputs[position], position, options_.max_text_bytes);
    if (!vector) return std::move(vector).failure();
    if (dimensions == model_.dimensions()) {
      vectors.push_back(std::move(vector).value());
      continue;
    }
    auto truncated = vector::truncate_and_normalize(vector.value(), dimensions);
    if (!truncated) return std::move(truncated).failure();
    vectors.push_back(std::move(truncated).value());
  }
  return vectors;
}

void local_provider::embed(embedding_batch batch, embedding_callback done) {
  // shared_ptr: a refused job is destroyed without running, and `done` must still be called.
  auto pending = std::make_shared<std::pair<embedding_batch, embedding_callback>>(std::move(batch), std::move(done));
  if (workers_.post([this, pending] { pending->second(embed_now(pending->first)); })) return;
  // Refusing at once keeps latency bounded under overload; the caller answers 503 with Retry-After.
  pending->second(make_error(error_code::upstream_unavailable, "the local model is busy: too many requests are waiting", 1));
}

}  // namespace mosaic::server
