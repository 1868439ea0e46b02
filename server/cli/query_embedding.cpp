#include "cli/query_embedding.hpp"

#include <chrono>

#include "cli/provider_setup.hpp"
#include "embed/input_preparation.hpp"
#include "embed/local_model_loader.hpp"
#include "embed/unicode_normalization.hpp"
#include "media/media_kind.hpp"
#include "model/use_lite_model.hpp"
#include "site/site_reader.hpp"

namespace mosaic::server {

namespace {

// Through the server's checks, then one retrieval_query embedding of the manifest's stored dimensions.
result<std::vector<float>> embed_query_input(embedding_provider& provider, const index::manifest& manifest,
                                             embedding_input input, const std::string& where) {
  if (auto ready = prepare_input(input, input_limits{}, where); !ready) return std::move(ready).failure();
  embedding_batch batch;
  batch.inputs.push_back(std::move(input));
  batch.task = embedding_task::retrieval_query;
  batch.dimensions = manifest.dimensions;
  auto vectors = embed_and_wait(provider, std::move(batch));
  if (!vectors) return std::move(vectors).failure();
  if (vectors->size() != 1) return make_error(error_code::upstream_rejected, "the provider answered no vector");
  return std::move(vectors->front());
}

}  // namespace

result<std::vector<float>> embed_query_file(parsed_options& options, const index::manifest& manifest,
                                            const std::filesystem::path& file) {
  auto bytes = read_whole_file(file);
  if (!bytes) return std::move(bytes).failure();
  const media::media_detection detection = media::detect_media_kind(bytes.value());
  if (detection.kind == media::media_kind::unknown || detection.kind == media::media_kind::text) {
    return make_error(error_code::invalid_argument, file.string() + " is not an image, audio, video or PDF");
  }
  // A person waits for the answer: the server's short retry budget, not the indexer's.
  auto setup = set_up_provider(options, 1, std::chrono::seconds(20));
  if (!setup) return std::move(setup).failure();
  embedding_provider& provider = (*setup)->provider();
  if (provider.model_id() != manifest.model_id) {
    return make_error(error_code::invalid_argument, "the index was built with model '" + manifest.model_id +
                                                        "', the provider embeds with '" + provider.model_id() + "'");
  }
  if (!provider.accepts_mime_type(detection.mime_type)) {
    return make_error(error_code::invalid_argument,
                      "the " + (*setup)->name + " provider cannot embed " + std::string(detection.mime_type) +
                          " (the local model embeds text only: use --provider gemini)");
  }
  embedding_input input;
  input.parts.push_back({{}, std::string(detection.mime_type),
                         std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size())});
  return embed_query_input(provider, manifest, std::move(input), file.string());
}

result<std::vector<float>> embed_query_text(parsed_options& options, const index::manifest& manifest, const std::string& text) {
  auto normalized = normalize_nfkc(text);
  if (!normalized) return std::move(normalized).failure();
  if (manifest.model_id == model::use_lite_model_id) {
    auto model = load_local_model(options.value("--model-dir").value_or(default_model_directory().string()));
    if (!model) return std::move(model).failure();
    auto embedding = model->embed(normalized.value());
    if (!embedding) return std::move(embedding).failure();
    return std::move(embedding->vector);
  }
  auto setup = set_up_provider(options, 1, std::chrono::seconds(20));
  if (!setup) return std::move(setup).failure();
  embedding_provider& provider = (*setup)->provider();
  if (provider.model_id() != manifest.model_id) {
    return make_error(error_code::invalid_argument, "the index was built with model '" + manifest.model_id +
                                                        "', the provider embeds with '" + provider.model_id() +
                                                        "' (for a Gemini-built index: --provider gemini)");
  }
  embedding_input input;
  input.parts.push_back({std::move(normalized).value(), {}, {}});
  return embed_query_input(provider, manifest, std::move(input), "the query text");
}

}  // namespace mosaic::server
