#pragma once
// The words OCR read in an image, kept on disk so a re-run of the indexer never reads the same image
// twice (extract/extraction_cache.hpp: one JSON file per image, keyed by its bytes and the
// recognizer's name with the largest side it is read at). What is kept is every word with its
// confidence and line, before --ocr's cuts (extract/ocr_decision.hpp), so changing them needs no new run.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "extract/extraction_cache.hpp"
#include "extract/image_text.hpp"

namespace mosaic::extract {

class image_text_cache {
 public:
  // An empty folder: no cache (find always misses, store does nothing). `recognizer_name`:
  // text_recognizer::name() and the side images are scaled to before they are read.
  image_text_cache(std::filesystem::path folder, std::string recognizer_name);

  [[nodiscard]] std::string key(std::span<const std::uint8_t> file_bytes) const;
  [[nodiscard]] std::optional<recognized_text> find(const std::string& key) const;
  // False when it could not be written (the next run reads the image again).
  bool store(const std::string& key, const recognized_text& text) const;

 private:
  extraction_cache files_;
};

}  // namespace mosaic::extract
