// --ocr's decision (server/extract/ocr_decision): which recognised words are kept, on the shapes the
// measurement found (README, "Text read from images and PDFs"): rendered text gives many confident
// words, photos give a lone mark or a few unsure fragments.
#include <catch2/catch.hpp>

#include "extract/ocr_decision.hpp"

using namespace mosaic::extract;

namespace {

recognized_text words(std::initializer_list<recognized_word> list) { return recognized_text{std::vector<recognized_word>(list)}; }

}  // namespace

TEST_CASE("auto keeps a screenshot's confident words, line by line", "[extract][ocr]") {
  const recognized_text screenshot = words({{"Error", 96, 0}, {"500:", 95, 0}, {"session", 96, 0}, {"expired", 93, 0},
                                            {"Please", 91, 1}, {"retry", 40, 1}, {"now", 90, 1}});
  const ocr_verdict verdict = judge_recognized_text(screenshot, ocr_mode::automatic);
  CHECK(verdict.text == "Error 500: session expired\nPlease now");
  CHECK(verdict.kept_words == 6);
  CHECK(verdict.recognized_words == 7);
  CHECK(verdict.mean_confidence == Approx((96 + 95 + 96 + 93 + 91 + 40 + 90) / 7.0));
}

TEST_CASE("auto keeps nothing of what photos and clip art give", "[extract][ocr]") {
  // Measured: a lone letterless mark at 95 on most photos; coins.png: "e", "©", "@9@" and unsure fragments.
  CHECK(judge_recognized_text(words({{"|", 95, 0}}), ocr_mode::automatic).text.empty());
  const recognized_text coins = words({{"e", 95, 0}, {"~", 80, 0}, {"©", 21, 1}, {"@9@", 86, 1}, {"ae", 36, 1}});
  const ocr_verdict verdict = judge_recognized_text(coins, ocr_mode::automatic);
  CHECK(verdict.text.empty());
  CHECK(verdict.kept_words == 0);
  CHECK(verdict.recognized_words == 4);  // "~" has no letter and is not counted
  // Clip art: "ci in ra" at a mean of 33.
  CHECK(judge_recognized_text(words({{"ci", 39, 0}, {"in", 53, 0}, {"ra", 30, 0}, {"x", 9, 0}}), ocr_mode::automatic)
            .text.empty());
  // Confident but too few words: a single label is not enough evidence of text.
  CHECK(judge_recognized_text(words({{"STOP", 96, 0}, {"ok", 90, 0}}), ocr_mode::automatic).text.empty());
}

TEST_CASE("on keeps every word above Tesseract's rejects, and off reads nothing", "[extract][ocr]") {
  const recognized_text unsure = words({{"ci", 39, 0}, {"in", 53, 0}, {"x", 9, 0}});
  CHECK(judge_recognized_text(unsure, ocr_mode::on).text == "ci in");
  CHECK(judge_recognized_text(unsure, ocr_mode::off).text.empty());
  CHECK(judge_recognized_text(unsure, ocr_mode::off).recognized_words == 0);
  CHECK(judge_recognized_text(recognized_text{}, ocr_mode::automatic).mean_confidence == 0);
}

TEST_CASE("the OCR setting (--ocr) takes auto, on and off", "[extract][ocr]") {
  CHECK(parse_ocr_mode("auto").value() == ocr_mode::automatic);
  CHECK(parse_ocr_mode("on").value() == ocr_mode::on);
  CHECK(parse_ocr_mode("off").value() == ocr_mode::off);
  const auto wrong = parse_ocr_mode("yes");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.failure().message.find("auto, on or off") != std::string::npos);
}
