#pragma once
// Embedding a media file as a query (`mosaic query SITE --image FILE`, `mosaic classify`): through the
// provider the options choose (provider_setup), which must be the model the index was built with,
// after the same checks the server makes (prepare_input).
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

}  // namespace mosaic::server
