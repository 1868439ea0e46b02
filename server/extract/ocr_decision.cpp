#include "extract/ocr_decision.hpp"

namespace mosaic::extract {
namespace {

// Letters and digits only count: "|", "—" and "~~" are what edges and textures become.
std::size_t letter_count(std::string_view word) {
  std::size_t letters = 0;
  for (const char character : word) {
    const auto byte = static_cast<unsigned char>(character);
    if ((byte >= '0' && byte <= '9') || (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z')) ++letters;
    if (byte >= 0xC0) ++letters;  // the first byte of a non-ASCII character (é, ß): a letter as likely as not
  }
  return letters;
}

}  // namespace

result<ocr_mode> parse_ocr_mode(std::string_view text) {
  if (text == "auto") return ocr_mode::automatic;
  if (text == "on") return ocr_mode::on;
  if (text == "off") return ocr_mode::off;
  return make_error(error_code::invalid_argument, "--ocr must be auto, on or off, not '" + std::string(text) + "'");
}

ocr_verdict judge_recognized_text(const recognized_text& recognized, ocr_mode mode, const ocr_cuts& cuts) {
  ocr_verdict verdict;
  if (mode == ocr_mode::off) return verdict;
  // Tesseract gives "words" of no letter at all (a lone mark on a photo) a confidence of 95: they say
  // nothing about whether there is text, so they count neither as words nor in the mean.
  double confidence_sum = 0;
  for (const recognized_word& word : recognized.words) {
    if (letter_count(word.text) == 0) continue;
    ++verdict.recognized_words;
    confidence_sum += static_cast<double>(word.confidence);
  }
  if (verdict.recognized_words > 0) {
    verdict.mean_confidence = static_cast<float>(confidence_sum / static_cast<double>(verdict.recognized_words));
  }
  const float word_cut = mode == ocr_mode::on ? cuts.forced_word_confidence : cuts.word_confidence;
  std::string text;
  std::size_t substantial_words = 0;
  std::uint32_t previous_line = 0;
  for (const recognized_word& word : recognized.words) {
    if (word.confidence < word_cut || letter_count(word.text) == 0) continue;
    if (!text.empty()) text += word.line != previous_line ? '\n' : ' ';
    text += word.text;
    previous_line = word.line;
    ++verdict.kept_words;
    if (letter_count(word.text) >= cuts.word_letters) ++substantial_words;
  }
  const bool passes = mode == ocr_mode::on ||
                      (substantial_words >= cuts.minimum_words && verdict.mean_confidence >= cuts.mean_confidence);
  if (passes) {
    verdict.text = std::move(text);
  } else {
    verdict.kept_words = 0;
  }
  return verdict;
}

}  // namespace mosaic::extract
