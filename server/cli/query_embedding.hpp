#pragma once
// Embedding a media file, or a text for an index of another model than the built-in local one, as a
// query (`mosaic query SITE --image FILE`, `mosaic classify`): through the provider the options choose
// (provider_setup), which must be the model the index was built with, after the same checks the
// server makes (prepare_input).
#include <filesystem>
#include <vector>

#include "cli/options.hpp"
#include "core/result.hpp"
#include "index/manifest.hpp"

namespace mosaic::server {

// A unit vector of the manifest's stored dimensions. Errors: model_mismatch-like invalid_argument
// (the provider's model is not the index's, or it embeds text only), io_error, the input checks'.
result<std::vector<float>> embed_query_file(parsed_options& options, const index::manifest& manifest,
                                            const std::filesystem::path& file);

// A text query, NFKC-normalized as the indexer normalizes documents: with the built-in local model
// for an index it built (--model-dir), else through the provider the options choose (`--provider
// gemini` on a Gemini-built index), which must embed with the index's model. Same errors. The vector
// is the model's output: the index prepares it (truncation, normalization) once, when it searches.
result<std::vector<float>> embed_query_text(parsed_options& options, const index::manifest& manifest, const std::string& text);

}  // namespace mosaic::server
