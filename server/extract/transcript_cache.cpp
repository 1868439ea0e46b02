#include "extract/transcript_cache.hpp"

#include <atomic>
#include <fstream>
#include <iterator>
#include <system_error>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "hash/sha256.hpp"

namespace mosaic::extract {
namespace {

constexpr const char* format_name = "mosaic-transcript";
constexpr int format_version = 1;
constexpr std::uintmax_t largest_file_bytes = 64ull * 1024 * 1024;  // two hours of speech is about 2 MB

}  // namespace

transcript_cache::transcript_cache(std::filesystem::path folder, std::string recognizer_name)
    : folder_(std::move(folder)), recognizer_name_(std::move(recognizer_name)) {}

std::string transcript_cache::key(std::span<const std::uint8_t> file_bytes) const {
  const hash::sha256_digest content = hash::sha256(file_bytes);
  std::vector<std::uint8_t> keyed(content.begin(), content.end());
  keyed.insert(keyed.end(), recognizer_name_.begin(), recognizer_name_.end());
  return hash::sha256_hex(keyed);
}

std::optional<std::vector<spoken_word>> transcript_cache::find(const std::string& key) const {
  if (folder_.empty()) return std::nullopt;
  const std::filesystem::path path = folder_ / (key + ".json");
  std::error_code failure;
  const std::uintmax_t size = std::filesystem::file_size(path, failure);
  if (failure || size > largest_file_bytes) return std::nullopt;
  std::ifstream file(path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const nlohmann::json document = nlohmann::json::parse(text, nullptr, false);
  if (!document.is_object() || document.value("format", "") != format_name || document.value("version", 0) != format_version ||
      document.value("recognizer", "") != recognizer_name_) {
    return std::nullopt;
  }
  const auto words = document.find("words");
  if (words == document.end() || !words->is_array()) return std::nullopt;
  std::vector<spoken_word> loaded;
  loaded.reserve(words->size());
  for (const nlohmann::json& entry : *words) {
    if (!entry.is_array() || entry.size() != 4 || !entry[0].is_string() || !entry[1].is_number_unsigned() ||
        !entry[2].is_number_unsigned() || !entry[3].is_number()) {
      return std::nullopt;
    }
    const auto start = entry[1].get<std::uint64_t>(), end = entry[2].get<std::uint64_t>();
    const double confidence = entry[3].get<double>();
    if (start > end || end > UINT32_MAX || !(confidence >= 0.0 && confidence <= 1.0)) return std::nullopt;
    loaded.push_back({entry[0].get<std::string>(), static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(end),
                      static_cast<float>(confidence)});
  }
  return loaded;
}

bool transcript_cache::store(const std::string& key, const std::vector<spoken_word>& words) const {
  if (folder_.empty()) return false;
  nlohmann::json list = nlohmann::json::array();
  for (const spoken_word& word : words) {
    list.push_back({word.text, word.start_milliseconds, word.end_milliseconds, word.confidence});
  }
  const nlohmann::json document{
      {"format", format_name}, {"version", format_version}, {"recognizer", recognizer_name_}, {"words", std::move(list)}};
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
