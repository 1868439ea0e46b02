#include "extract/image_text_cache.hpp"

#include <nlohmann/json.hpp>

namespace mosaic::extract {

image_text_cache::image_text_cache(std::filesystem::path folder, std::string recognizer_name)
    : files_(std::move(folder), "mosaic-image-text", 1, std::move(recognizer_name)) {}

std::string image_text_cache::key(std::span<const std::uint8_t> file_bytes) const { return files_.key(file_bytes); }

std::optional<recognized_text> image_text_cache::find(const std::string& key) const {
  const std::optional<nlohmann::json> words = files_.find_words(key);
  if (!words) return std::nullopt;
  recognized_text loaded;
  loaded.words.reserve(words->size());
  for (const nlohmann::json& entry : *words) {
    // [text, confidence 0..100, line]
    if (!entry.is_array() || entry.size() != 3 || !entry[0].is_string() || !entry[1].is_number() ||
        !entry[2].is_number_unsigned()) {
      return std::nullopt;
    }
    const double confidence = entry[1].get<double>();
    const auto line = entry[2].get<std::uint64_t>();
    if (!(confidence >= 0.0 && confidence <= 100.0) || line > UINT32_MAX) return std::nullopt;
    loaded.words.push_back({entry[0].get<std::string>(), static_cast<float>(confidence), static_cast<std::uint32_t>(line)});
  }
  return loaded;
}

bool image_text_cache::store(const std::string& key, const recognized_text& text) const {
  nlohmann::json list = nlohmann::json::array();
  for (const recognized_word& word : text.words) list.push_back({word.text, word.confidence, word.line});
  return files_.store_words(key, std::move(list));
}

}  // namespace mosaic::extract
