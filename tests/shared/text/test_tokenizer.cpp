// The tokenizer (shared/text/tokenizer): case folding that does not depend on the caller's lower-casing
// (ß, Turkish İ, final sigma), diacritics, scripts without spaces, emoji and punctuation, numbers and
// codes found whole and by parts, exact offsets and positions, hostile input. The same tests run
// natively, under the sanitizers and in wasm, and the last one pins a digest of the tokens of every
// code point, so both targets are shown to tokenize identically.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "hash/xxhash64.hpp"
#include "tokens_as_text.hpp"
#include "text/character_classes.hpp"
#include "text/tokenizer.hpp"
#include "text/utf8.hpp"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>

// What the browser does before tokenizing: String.prototype.normalize('NFKC'), and maybe toLowerCase().
// Writes the UTF-8 result into `output` (NUL-terminated) and returns its length.
EM_JS(int, javascript_prepare, (const char* text, int lower, char* output, int capacity), {
  const normalized = UTF8ToString(text).normalize('NFKC');
  return stringToUTF8(lower ? normalized.toLowerCase() : normalized, output, capacity);
});
#endif

using namespace mosaic;
using namespace mosaic::text;
using mosaic::text::testing::terms;
using mosaic::text::testing::tokenize_or_fail;
using list = std::vector<std::string>;

TEST_CASE("tokenizer: words of any script, spaces and punctuation dropped", "[text][tokenizer]") {
  CHECK(terms("Hello, world! How's it going?") == list{"hello@0", "world@1", "how's@2", "it@3", "going@4"});
  CHECK(terms("") == list{});
  CHECK(terms("  ...  !!! ") == list{});
  CHECK(terms("Москва — столица России") == list{"москва@0", "столица@1", "россии@2"});
  CHECK(terms("مرحبا بالعالم") == list{"مرحبا@0", "بالعالم@1"});
  // Devanagari vowel signs are marks and stay in the word (दिल्ली: द ि ल ् ल ी).
  CHECK(terms("नई दिल्ली") == list{"नई@0", "दिल्ली@1"});
}

TEST_CASE("tokenizer: case folding is the core's, whatever the caller lower-cased", "[text][tokenizer][case]") {
  // ß folds to ss (full case folding); ICU's and JavaScript's toLowerCase both keep ß.
  for (const char* text : {"Straße", "STRASSE", "strasse", "STRAẞE", "straße"}) {
    INFO(text);
    CHECK(terms(text) == list{"strasse@0"});
  }
  // Turkish: İ, I, ı and i all become i (no Turkic rule). toLowerCase turns İ into i + U+0307, whose
  // combining dot is a diacritic of a Latin letter and goes.
  for (const char* text : {"İstanbul", "ISTANBUL", "istanbul", "ıstanbul", "i\u0307stanbul"}) {
    INFO(text);
    CHECK(terms(text) == list{"istanbul@0"});
  }
  // Final sigma: upper case, and toLowerCase's context-dependent ς, fold to σ.
  for (const char* text : {"ΣΟΦΟΣ", "σοφος", "σοφοσ", "Σοφος"}) {
    INFO(text);
    CHECK(terms(text) == list{"σοφοσ@0"});
  }
}

TEST_CASE("tokenizer: JavaScript's toLowerCase changes no token of any code point", "[text][tokenizer][case]") {
#ifndef __EMSCRIPTEN__
  WARN("checked in the wasm build, against the JavaScript engine that runs it");
#else
  // For every code point c, NFKC(c) and toLowerCase(NFKC(c)) give the same tokens: a page that
  // lower-cases before tokenizing makes the same terms as one that does not. Characters newer than the
  // tables' Unicode version are not: Node's ICU may know an upper-case letter (U+A7CB, Unicode 16)
  // whose lower case is older (U+0264), and the tables drop the unknown one.
  std::size_t differ = 0;
  std::size_t newer = 0;
  char normalized[64];
  char lowered[64];
  for (char32_t code_point = 1; code_point <= 0x10FFFF; ++code_point) {
    if (code_point >= 0xD800 && code_point <= 0xDFFF) continue;
    std::string text;
    append_utf8(code_point, text);
    javascript_prepare(text.c_str(), 0, normalized, sizeof normalized);
    javascript_prepare(text.c_str(), 1, lowered, sizeof lowered);
    const auto as_normalized = tokenize(normalized);
    const auto as_lowered = tokenize(lowered);
    REQUIRE(as_normalized.ok());
    REQUIRE(as_lowered.ok());
    if (as_normalized->tokens.size() != as_lowered->tokens.size() ||
        !std::equal(as_normalized->tokens.begin(), as_normalized->tokens.end(), as_lowered->tokens.begin(),
                    [](const token& left, const token& right) { return left.text == right.text; })) {
      if (kind_of(code_point) == character_kind::other) {
        ++newer;
      } else if (++differ <= 10) {
        UNSCOPED_INFO("U+" << std::hex << static_cast<std::uint32_t>(code_point) << std::dec);
      }
    }
  }
  CHECK(differ == 0);
  CHECK(newer < 100);
#endif
}

TEST_CASE("tokenizer: Latin and Greek diacritics go, other scripts keep their marks", "[text][tokenizer][accents]") {
  CHECK(terms("Café NAÏVE Ångström résumé Ærøskøbing Łódź façade") ==
        list{"cafe@0", "naive@1", "angstrom@2", "resume@3", "aeroskobing@4", "lodz@5", "facade@6"});
  // Decomposed input (NFD: e + U+0301) gives the same token as the composed form.
  CHECK(terms("cafe\u0301") == list{"cafe@0"});
  CHECK(terms("Ὀδυσσεύς ἀρετή") == list{"οδυσσευσ@0", "αρετη@1"});
  // й and ё are letters of their own in Russian: kept.
  CHECK(terms("Йошкар-Ола ёлка") ==
        list{"йошкар-ола@0", "йошкарола@0", "йошкар@0", "ола@1", "ёлка@2"});
  // Digits of every script become ASCII digits.
  CHECK(terms("٢٠٢٤ १२३") == list{"2024@0", "123@1"});
}

TEST_CASE("tokenizer: scripts without spaces give character bigrams", "[text][tokenizer][cjk]") {
  CHECK(terms("东京大学", true) == list{"东京@0:bigram", "京大@1:bigram", "大学@2:bigram"});
  CHECK(terms("年", true) == list{"年@0:single_character"});
  // A digit ends a bigram run; a Latin word too.
  CHECK(terms("2024年に iPhone手机", true) ==
        list{"2024@0:number", "年に@1:bigram", "iphone@2:word", "手机@3:bigram"});
  // Japanese: kanji, hiragana and katakana bigram together; ー (Common script) belongs to the kana.
  CHECK(terms("東京タワー") == list{"東京@0", "京タ@1", "タワ@2", "ワー@3"});
  // Korean is bigrammed within its space-separated words, so a stem inside a word is found.
  CHECK(terms("학교에서 공부") == list{"학교@0", "교에@1", "에서@2", "공부@3"});
  // Thai: a character keeps its vowel and tone marks (ม่ is ม + U+0E48; ดี is ด + U+0E35).
  CHECK(terms("ไม่ดี") == list{"ไม่@0", "ม่ดี@1"});
  CHECK(terms("ที่", true) == list{"ที่@0:single_character"});
  // Punctuation of those scripts breaks runs.
  CHECK(terms("你好，世界。") == list{"你好@0", "世界@1"});
}

TEST_CASE("tokenizer: emoji and symbols are dropped without joining words", "[text][tokenizer][emoji]") {
  CHECK(terms("I ❤️ pizza 🍕🍕 👍🏽 👨‍👩‍👧 🇫🇷 ★ € + =") == list{"i@0", "pizza@1"});
  CHECK(terms("rock🎸roll") == list{"rock@0", "roll@1"});
  // A keycap emoji is a digit with ignorable marks: the digit stays.
  CHECK(terms("1️⃣") == list{"1@0"});
}

TEST_CASE("tokenizer: numbers stay whole, codes are found whole, joined and by parts", "[text][tokenizer][codes]") {
  CHECK(terms("Error code 500 on login", true) ==
        list{"error@0:word", "code@1:word", "500@2:number", "on@3:word", "login@4:word"});
  CHECK(terms("AB-1234", true) ==
        list{"ab-1234@0:compound", "ab1234@0:joined_compound", "ab@0:word", "1234@1:number"});
  CHECK(terms("send an e-mail") == list{"send@0", "an@1", "e-mail@2", "email@2", "e@2", "mail@3"});
  CHECK(terms("pi is 3.14, a million is 1,000,000 and 12:30") ==
        list{"pi@0", "is@1", "3.14@2", "314@2", "3@2", "14@3", "a@4", "million@5", "is@6", "1,000,000@7",
             "1000000@7", "1@7", "000@8", "000@9", "and@10", "12:30@11", "1230@11", "12@11", "30@12"});
  CHECK(terms("user@example.com") ==
        list{"user@example.com@0", "userexamplecom@0", "user@0", "example@1", "com@2"});
  CHECK(terms("snake_case TCP/IP v2.0.1") ==
        list{"snake_case@0", "snakecase@0", "snake@0", "case@1", "tcp/ip@2", "tcpip@2", "tcp@2", "ip@3",
             "v2.0.1@4", "v201@4", "v2@4", "0@5", "1@6"});
  // A non-breaking hyphen (U+2011; NFKC makes it U+2010) joins like '-'.
  CHECK(terms("AB‐1234") == list{"ab-1234@0", "ab1234@0", "ab@0", "1234@1"});
  // Joiners that join nothing: doubled, at an end, ',' and ':' beside a letter.
  CHECK(terms("a--b end. -5 x,y note:this 10km mp3") ==
        list{"a@0", "b@1", "end@2", "5@3", "x@4", "y@5", "note@6", "this@7", "10km@8", "mp3@9"});
}

TEST_CASE("tokenizer: apostrophes and ignorables inside words", "[text][tokenizer]") {
  CHECK(terms("don't DON’T O'Neill's 'quoted' students'") ==
        list{"don't@0", "don't@1", "o'neill's@2", "quoted@3", "students@4"});
  // A soft hyphen and a zero-width joiner do not split a word; a zero-width space does.
  CHECK(terms("super\u00ADman") == list{"superman@0"});
  CHECK(terms("a\u200Db\u200Bc") == list{"ab@0", "c@1"});
}

TEST_CASE("tokenizer: offsets and lengths point at each token's source", "[text][tokenizer][offsets]") {
  const std::string text = "  CAFÉ «AB-1234» 东京大学 don’t  ";
  const tokenization tokenized = tokenize_or_fail(text);
  std::vector<std::string> sources;
  for (const token& each : tokenized.tokens) sources.push_back(text.substr(each.byte_offset, each.byte_length));
  CHECK(sources == list{"CAFÉ", "AB-1234", "AB-1234", "AB", "1234", "东京", "京大", "大学", "don’t"});
  CHECK(tokenized.tokens[0].byte_offset == 2);
  CHECK(tokenized.tokens[0].byte_length == 5);  // É is two bytes
  CHECK(tokenized.position_count == 7);

  // Every token of a mixed text: its source is whole characters, and tokenizing the source alone gives
  // the token again (for words, numbers and whole compounds).
  const std::string mixed = "Ἀθῆναι İzmir straße Ünïcödé 123 ab-12 ไม่ดี 東京 x\u00ADy 👍 naïve";
  for (const token& each : tokenize_or_fail(mixed).tokens) {
    INFO(each.text);
    REQUIRE(std::size_t{each.byte_offset} + each.byte_length <= mixed.size());
    const std::string source = mixed.substr(each.byte_offset, each.byte_length);
    REQUIRE(is_valid_utf8(source));
    if (each.kind == token_kind::word || each.kind == token_kind::number || each.kind == token_kind::compound) {
      const tokenization again = tokenize_or_fail(source);
      REQUIRE(!again.tokens.empty());
      CHECK(again.tokens.front().text == each.text);
    }
  }
}

TEST_CASE("tokenizer: folding is idempotent", "[text][tokenizer]") {
  const std::string text = "Straße İstanbul ΣΟΦΟΣ Ærø Ǆemal ﬁ ǰ ΐ Ꭰ ꭰ ŉ";
  std::string rejoined;
  for (const token& each : tokenize_or_fail(text).tokens) rejoined += each.text + " ";
  std::string twice;
  for (const token& each : tokenize_or_fail(rejoined).tokens) twice += each.text + " ";
  CHECK(twice == rejoined);
}

TEST_CASE("tokenizer: hostile input is refused or bounded", "[text][tokenizer][hostile]") {
  SECTION("invalid UTF-8 names the byte") {
    const auto tokenized = tokenize("abc \xff def");
    REQUIRE_FALSE(tokenized.ok());
    CHECK(tokenized.failure().code == error_code::invalid_utf8);
    CHECK(tokenized.failure().message ==
          "the text to tokenize is not valid UTF-8 at byte 4: byte 0xFF never starts a character (overlong or beyond U+10FFFF)");
    CHECK(tokenize("\xed\xa0\x80").failure().code == error_code::invalid_utf8);  // a surrogate
    CHECK(tokenize("ok \xe6\x97").failure().message.find("cut off") != std::string::npos);
  }
  SECTION("text over the limit is refused before any work") {
    const std::string text((std::size_t{1} << 20U) + 1, 'a');
    const auto tokenized = tokenize(text);
    REQUIRE_FALSE(tokenized.ok());
    CHECK(tokenized.failure().code == error_code::invalid_argument);
    CHECK(tokenized.failure().message ==
          "the text to tokenize is 1048577 bytes, over the limit of 1048576 (tokenize an item's text in parts)");
    tokenizer_options no_room;
    no_room.max_token_bytes = 0;
    CHECK(tokenize("a", no_room).failure().code == error_code::invalid_argument);
  }
  SECTION("a text at the limit is tokenized in full") {
    std::string text;
    while (text.size() + 3 <= (std::size_t{1} << 20U)) text += "ab ";
    const tokenization tokenized = tokenize_or_fail(text);
    CHECK(tokenized.tokens.size() == text.size() / 3);
    CHECK(tokenized.position_count == text.size() / 3);
    CHECK(tokenized.tokens.back().byte_offset == text.size() - 3);
  }
  SECTION("over-long words are dropped, their positions kept") {
    const tokenization tokenized = tokenize_or_fail("first " + std::string(129, 'x') + " last");
    CHECK(testing::tokens_as_text(tokenized) == list{"first@0", "last@2"});
    CHECK(tokenized.dropped_long_tokens == 1);
    CHECK(terms(std::string(128, 'y')).size() == 1);  // exactly at the limit: kept
  }
  SECTION("a huge compound gives its parts only") {
    std::string text;
    for (int part = 0; part < 200000; ++part) text += "a-";
    text += "a";
    const tokenization tokenized = tokenize_or_fail(text);
    CHECK(tokenized.tokens.size() == 200001);
    CHECK(tokenized.dropped_long_tokens == 2);  // the whole and the joined form
    CHECK(tokenized.tokens.back().position == 200000);
  }
  SECTION("a letter with endless combining marks makes one dropped token") {
    std::string text = "x";
    for (int mark = 0; mark < 100000; ++mark) text += "\u0489\u0903";  // an enclosing mark (ignorable), a spacing mark
    text += " 中";
    for (int mark = 0; mark < 100000; ++mark) text += "\u0903";
    const tokenization tokenized = tokenize_or_fail(text);
    CHECK(tokenized.tokens.empty());
    CHECK(tokenized.dropped_long_tokens == 2);
    CHECK(tokenized.position_count == 2);
  }
}

namespace {

// Every assigned and unassigned scalar value from `first`, with separators between small groups, in
// pieces under the input limit; the tokens' every field goes into one XXH64 digest.
std::uint64_t digest_of_every_code_point() {
  constexpr char32_t separators[] = {U' ', U'-', U'.', U'\'', U',', U'\u00AD', U'@', U'\u2019', U'0', U'\u200D', U'x'};
  std::uint64_t digest = 0;
  std::size_t separator = 0;
  std::string text;
  const auto flush = [&] {
    const tokenization tokenized = tokenize_or_fail(text);
    std::string record;
    for (const token& each : tokenized.tokens) {
      record += each.text + '\x1F' + std::to_string(each.byte_offset) + ',' + std::to_string(each.byte_length) + ',' +
                std::to_string(each.position) + ',' + std::string(token_kind_name(each.kind)) +
                (each.part_of_compound ? "+" : "") + '\x1E';
    }
    record += std::to_string(tokenized.position_count) + '/' + std::to_string(tokenized.dropped_long_tokens);
    digest = hash::xxhash64(std::span(reinterpret_cast<const std::uint8_t*>(record.data()), record.size()), digest);
    text.clear();
  };
  for (char32_t code_point = 0; code_point <= 0x10FFFF; ++code_point) {
    if (code_point >= 0xD800 && code_point <= 0xDFFF) continue;
    append_utf8(code_point, text);
    if (code_point % 5 == 0) append_utf8(separators[separator++ % std::size(separators)], text);
    if (text.size() > 60000) flush();
  }
  flush();
  return digest;
}

}  // namespace

TEST_CASE("tokenizer: every code point tokenizes to the same digest on every target", "[text][tokenizer][identity]") {
  const std::uint64_t digest = digest_of_every_code_point();
  INFO("digest 0x" << std::hex << digest << " with Unicode " << unicode_version());
  if (unicode_version() != "15.0.0") {
    WARN("the pinned digest is for Unicode 15.0.0 (Debian bookworm's unicode-data); this build's tables are "
         << unicode_version());
    return;
  }
  CHECK(digest == 0x92F7CFBE1126962DULL);
}
