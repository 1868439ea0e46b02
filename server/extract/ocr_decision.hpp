#pragma once
// Which of the words OCR recognised in an image are kept as the image's text, and whether any are:
// photos and drawings make Tesseract "see" short low-confidence words in textures and edges, while
// rendered text (screenshots, slides, scans, posters) gives long runs of confident words. The cuts
// below were measured (README, "Text read from images and PDFs"): rendered text vs. photos and clip art.
#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "extract/image_text.hpp"

namespace mosaic::extract {

// --ocr: auto reads every image and keeps text only when it passes the cuts below; on keeps every
// recognised word with at least a little confidence; off never runs OCR.
enum class ocr_mode : std::uint8_t { off, automatic, on };
result<ocr_mode> parse_ocr_mode(std::string_view text);

struct ocr_cuts {
  // A word is kept when Tesseract's confidence in it is at least this (0..100).
  float word_confidence = 70.0f;
  // With --ocr on, a word is kept at this much confidence: only Tesseract's own rejects are dropped.
  float forced_word_confidence = 30.0f;
  // --ocr auto keeps an image's text only when this many words were kept, each of at least
  // `word_letters` letters or digits, and the mean confidence over all recognised words (of at least one
  // letter or digit) is at least
  // `mean_confidence`.
  std::size_t minimum_words = 3;
  std::size_t word_letters = 2;
  float mean_confidence = 60.0f;
};

struct ocr_verdict {
  std::string text;            // the kept words, spaces between words and a newline between lines; empty: none
  std::size_t kept_words = 0;
  std::size_t recognized_words = 0;  // with at least one letter or digit
  float mean_confidence = 0;         // over those words; 0 when there were none
};

ocr_verdict judge_recognized_text(const recognized_text& recognized, ocr_mode mode, const ocr_cuts& cuts = {});

}  // namespace mosaic::extract
