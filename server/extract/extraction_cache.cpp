#include "extract/extraction_cache.hpp"

#include <atomic>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "hash/sha256.hpp"

namespace mosaic::extract {
namespace {

// Two hours of speech is about 2 MB of words, a page of dense text far less.
constexpr std::uintmax_t largest_file_bytes = 64ull * 1024 * 1024;

}  // namespace

extraction_cache::extraction_cache(std::filesystem::path folder, std::string format, int version, std::string extractor)
    : folder_(std::move(folder)), format_(std::move(format)), version_(version), extractor_(std::move(extractor)) {}

std::string extraction_cache::key(std::span<const std::uint8_t> file_bytes) const {
  const hash::sha256_digest content = hash::sha256(file_bytes);
  std::vector<std::uint8_t> keyed(content.begin(), content.end());
  keyed.insert(keyed.end(), extractor_.begin(), extractor_.end());
  return hash::sha256_hex(keyed);
}

std::optional<nlohmann::json> extraction_cache::find_words(const std::string& key) const {
  if (folder_.empty()) return std::nullopt;
  const std::filesystem::path path = folder_ / (key + ".json");
  std::error_code failure;
  const std::uintmax_t size = std::filesystem::file_size(path, failure);
  if (failure || size > largest_file_bytes) return std::nullopt;
  std::ifstream file(path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  nlohmann::json document = nlohmann::json::parse(text, nullptr, false);
  if (!document.is_object() || document.value("format", "") != format_ || document.value("version", 0) != version_ ||
      document.value("recognizer", "") != extractor_) {
    return std::nullopt;
  }
  const auto words = document.find("words");
  if (words == document.end() || !words->is_array()) return std::nullopt;
  return std::move(*words);
}

bool extraction_cache::store_words(const std::string& key, nlohmann::json words) const {
  if (folder_.empty()) return false;
  const nlohmann::json document{{"format", format_}, {"version", version_}, {"recognizer", extractor_}, {"words", std::move(words)}};
  std::error_code failure;
  std::filesystem::create_directories(folder_, failure);
  if (failure) return false;
  // A name of its own per writer (process and call), so two writers never interleave in one file.
  static std::atomic<unsigned long long> writes{0};
  const std::filesystem::path temporary =
      folder_ / (key + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(writes.fetch_add(1)));
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    file << document.dump();
    if (!file.flush()) {
      std::filesystem::remove(temporary, failure);
      return false;
    }
  }
  std::filesystem::rename(temporary, folder_ / (key + ".json"), failure);
  if (failure) {
    std::filesystem::remove(temporary, failure);
    return false;
  }
  return true;
}

}  // namespace mosaic::extract
