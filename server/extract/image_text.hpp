#pragma once
// The words Tesseract (libtesseract, English model from tesseract-ocr-eng) recognises in an image,
// each with its confidence. What to keep is decided elsewhere (extract/ocr_decision.hpp): this only
// reads. A recognizer loads its model once (about 0.1 s) and is then reused for every image; it is not
// thread-safe, so each thread that reads images owns one.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace mosaic::extract {

struct recognized_word {
  std::string text;    // UTF-8, no spaces
  float confidence;    // Tesseract's 0..100
  std::uint32_t line;  // words of one text line share it; lines are numbered in reading order
};

struct recognized_text {
  std::vector<recognized_word> words;
};

class text_recognizer {
 public:
  // Errors: model_not_installed (no English model: the message names the Debian package).
  static result<std::unique_ptr<text_recognizer>> create();
  ~text_recognizer();
  text_recognizer(const text_recognizer&) = delete;
  text_recognizer& operator=(const text_recognizer&) = delete;

  // Reads width x height RGB pixels (3 bytes each, row-major). Errors: invalid_argument (a size of
  // zero or pixels not width * height * 3 bytes), invalid_media (Tesseract failed on the picture).
  result<recognized_text> recognize(std::span<const std::uint8_t> rgb_pixels, std::uint32_t width, std::uint32_t height);

  // Tesseract's version and the model and settings recognize uses: what the OCR cache keys by
  // (extract/image_text_cache.hpp), so an upgrade or another setting reads images afresh.
  static std::string name();

 private:
  struct engine;
  explicit text_recognizer(std::unique_ptr<engine> loaded);
  std::unique_ptr<engine> engine_;
};

}  // namespace mosaic::extract
