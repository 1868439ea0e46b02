#include "extract/transcript_cache.hpp"

#include <cstdint>

#include <nlohmann/json.hpp>

namespace mosaic::extract {

transcript_cache::transcript_cache(std::filesystem::path folder, std::string recognizer_name)
    : files_(std::move(folder), "mosaic-transcript", 1, std::move(recognizer_name)) {}

std::string transcript_cache::key(std::span<const std::uint8_t> file_bytes) const { return files_.key(file_bytes); }

std::optional<std::vector<spoken_word>> transcript_cache::find(const std::string& key) const {
  const std::optional<nlohmann::json> words = files_.find_words(key);
  if (!words) return std::nullopt;
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
  nlohmann::json list = nlohmann::json::array();
  for (const spoken_word& word : words) {
    list.push_back({word.text, word.start_milliseconds, word.end_milliseconds, word.confidence});
  }
  return files_.store_words(key, std::move(list));
}

}  // namespace mosaic::extract
