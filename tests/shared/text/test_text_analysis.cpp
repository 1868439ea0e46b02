// Text analysis (shared/text/text_analysis): tokens stemmed into index terms, stop words only when a
// list is given (positions kept), and the Unicode tables' classes at a few known code points.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "text/character_classes.hpp"
#include "text/text_analysis.hpp"
#include "tokens_as_text.hpp"

using namespace mosaic;
using namespace mosaic::text;
using list = std::vector<std::string>;

namespace {

list analyzed(std::string_view text, analysis_options options = {}) {
  auto analyzer = text_analyzer::create(std::move(options));
  if (!analyzer) FAIL(analyzer.failure().message);
  auto tokens = analyzer->analyze(text);
  if (!tokens) FAIL(tokens.failure().message);
  return testing::tokens_as_text(*tokens);
}

}  // namespace

TEST_CASE("analysis: words are stemmed, numbers, bigrams and other scripts are not", "[text][analysis]") {
  CHECK(analyzed("The runners were running generously") ==
        list{"the@0", "runner@1", "were@2", "run@3", "generous@4"});
  CHECK(analyzed("E-mails about Error 500s") ==
        list{"e-mail@0", "email@0", "e@0", "mail@1", "about@2", "error@3", "500s@4"});
  CHECK(analyzed("2024 東京大学 Москвы") == list{"2024@0", "東京@1", "京大@2", "大学@3", "москвы@4"});
  analysis_options unstemmed;
  unstemmed.stem_english = false;
  CHECK(analyzed("The runners", unstemmed) == list{"the@0", "runners@1"});
}

TEST_CASE("analysis: stop words are dropped only when asked, keeping positions", "[text][analysis][stop_words]") {
  analysis_options options;
  options.stop_words = stop_word_list::english();
  CHECK(analyzed("The runners were running to the finish", options) ==
        list{"runner@1", "run@3", "finish@6"});
  // A compound's parts are words like any other; its whole and joined forms are never stop words.
  CHECK(analyzed("to-do list", options) == list{"to-do@0", "todo@0", "list@2"});

  const stop_word_list custom({"b", "a", "b"});
  CHECK(custom.words().size() == 2);
  CHECK(custom.contains("a"));
  CHECK_FALSE(custom.contains("c"));
  CHECK(stop_word_list::english().contains("the"));
  CHECK_FALSE(stop_word_list::english().contains("error"));
}

TEST_CASE("analysis: errors are the tokenizer's", "[text][analysis]") {
  auto analyzer = text_analyzer::create();
  REQUIRE(analyzer.ok());
  const auto outcome = analyzer->analyze("\xc3");
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.failure().code == error_code::invalid_utf8);
}

TEST_CASE("character classes: known code points", "[text][unicode]") {
  CHECK(kind_of(U'a') == character_kind::latin_greek_letter);
  CHECK(kind_of(U'7') == character_kind::digit);
  CHECK(kind_of(U' ') == character_kind::other);
  CHECK(kind_of(U'é') == character_kind::latin_greek_letter);
  CHECK(kind_of(U'ж') == character_kind::letter);
  CHECK(kind_of(U'中') == character_kind::bigram_letter);
  CHECK(kind_of(U'\U00020000') == character_kind::bigram_letter);  // CJK Extension B
  CHECK(kind_of(U'ー') == character_kind::bigram_letter);           // Common script, kana by its extensions
  CHECK(kind_of(U'ก') == character_kind::bigram_letter);
  CHECK(kind_of(U'\u0301') == character_kind::mark);
  CHECK(kind_of(U'\u00AD') == character_kind::ignorable);
  CHECK(kind_of(U'\u200B') == character_kind::other);
  CHECK(kind_of(U'\u20E3') == character_kind::ignorable);
  CHECK(kind_of(U'😀') == character_kind::other);
  CHECK(kind_of(U'\U0010FFFF') == character_kind::other);
  CHECK(kind_of(static_cast<char32_t>(0x110000)) == character_kind::other);
  CHECK(digit_value(U'٣') == 3);
  CHECK(digit_value(U'\U0001D7D9') == 1);  // MATHEMATICAL DOUBLE-STRUCK DIGIT ONE
  CHECK(digit_value(U'a') == -1);
  const auto folded = [](char32_t code_point) {
    std::string out;
    append_folded(code_point, out);
    return out;
  };
  CHECK(folded(U'ẞ') == "ss");
  CHECK(folded(U'İ') == "i");
  CHECK(folded(U'ς') == "σ");
  CHECK(folded(U'Ǆ') == "ǆ");  // no canonical decomposition: only its case folds
  CHECK(folded(U'Ꭰ') == "Ꭰ");  // Cherokee folds to its upper case
  CHECK(folded(U'ꭰ') == "Ꭰ");
  CHECK(folded(U'ΐ') == "ι");
  CHECK(unicode_version().size() >= 5);
}
