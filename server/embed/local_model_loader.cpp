#include "embed/local_model_loader.hpp"

#include <cstdlib>
#include <fstream>
#include <vector>

#include "model/tfjs_weights.hpp"

namespace mosaic::server {
namespace {

namespace fs = std::filesystem;

error missing_model(const fs::path& file, const std::string& why) {
  return make_error(error_code::model_not_installed, "local model file " + file.string() + " " + why +
                                                         "; install the model with " +
                                                         std::string(model_install_command) +
                                                         " or pass --model-dir");
}

// Appends the whole file to `bytes`.
status read_file(const fs::path& file, std::vector<std::uint8_t>& bytes) {
  std::error_code failure;
  const auto size = fs::file_size(file, failure);
  if (failure) return missing_model(file, "cannot be read (" + failure.message() + ")");
  std::ifstream stream(file, std::ios::binary);
  if (!stream) return missing_model(file, "cannot be opened");
  const std::size_t start = bytes.size();
  bytes.resize(start + static_cast<std::size_t>(size));
  stream.read(reinterpret_cast<char*>(bytes.data() + start), static_cast<std::streamsize>(size));
  if (!stream || static_cast<std::uintmax_t>(stream.gcount()) != size) return missing_model(file, "was cut short while reading");
  return success{};
}

result<std::string> read_text(const fs::path& file) {
  std::vector<std::uint8_t> bytes;
  if (auto read = read_file(file, bytes); !read) return std::move(read).failure();
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace

fs::path default_model_directory() {
  if (const char* directory = std::getenv("MOSAIC_MODEL_DIR"); directory != nullptr && *directory != '\0') {
    return directory;
  }
  fs::path cache;
  if (const char* mosaic_cache = std::getenv("MOSAIC_CACHE_DIR"); mosaic_cache != nullptr && *mosaic_cache != '\0') {
    cache = mosaic_cache;
  } else if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    cache = fs::path(xdg) / "mosaic";
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    cache = fs::path(home) / ".cache" / "mosaic";
  } else {
    cache = fs::path(".cache") / "mosaic";
  }
  return cache / "npm" / "node_modules" / "@energetic-ai" / "model-embeddings-en" / "dist";
}

result<model::use_lite_model> load_local_model(const fs::path& model_directory) {
  const fs::path model_json_path = model_directory / "model.json";
  auto model_json = read_text(model_json_path);
  if (!model_json) return std::move(model_json).failure();
  auto manifest = model::parse_weights_manifest(model_json.value());
  if (!manifest) {
    return missing_model(model_json_path, "is corrupt (" + manifest.failure().message + ")");
  }
  // The shards are read into one buffer in manifest order: the core reads tensors across shard
  // boundaries. The buffer is freed once the model has copied its weights out.
  std::vector<std::uint8_t> weight_bytes;
  weight_bytes.reserve(manifest->total_bytes);
  for (const std::string& shard : manifest->shard_paths) {
    if (auto read = read_file(model_directory / shard, weight_bytes); !read) return std::move(read).failure();
  }
  auto weights = model::tfjs_weights::create(manifest.value(), weight_bytes);
  if (!weights) {
    return missing_model(model_directory, "holds weight shards that do not match model.json (" +
                                              weights.failure().message + ")");
  }
  const fs::path vocabulary_path = model_directory / "vocab.json";
  auto vocabulary = read_text(vocabulary_path);
  if (!vocabulary) return std::move(vocabulary).failure();
  auto model = model::use_lite_model::create(weights.value(), vocabulary.value());
  if (!model) return missing_model(model_directory, "is not a usable model (" + model.failure().message + ")");
  return model;
}

}  // namespace mosaic::server
