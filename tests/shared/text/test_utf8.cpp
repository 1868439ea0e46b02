// The core's one strict UTF-8 decoder (shared/text/utf8): every rejection class at the byte that
// makes it one (overlong forms, surrogates, values beyond U+10FFFF, truncated sequences, stray and
// missing continuation bytes), the edges of every valid range, the decoded code points, and the
// message the tokenizer and the server's input checks give.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/utf8.hpp"

using namespace mosaic;
using mosaic::text::utf8_problem;

namespace {

struct malformed_case {
  std::string text;
  std::size_t offset;           // where decoding stops
  std::size_t sequence_offset;  // where the sequence starts
  utf8_problem problem;
  std::string_view says;        // part of the description
};

}  // namespace

TEST_CASE("utf8: every malformed sequence is refused at the byte that makes it one", "[text][utf8]") {
  const std::vector<malformed_case> cases = {
      {"x\x80", 1, 1, utf8_problem::unexpected_continuation, "unexpected continuation byte 0x80"},
      {"\xbf", 0, 0, utf8_problem::unexpected_continuation, "unexpected continuation byte 0xBF"},
      {"ab\xc0\xaf", 2, 2, utf8_problem::invalid_lead_byte, "byte 0xC0 never starts a character (overlong"},  // '/'
      {"\xc1\xbf", 0, 0, utf8_problem::invalid_lead_byte, "0xC1 never starts"},
      {"\xf5\x80\x80\x80", 0, 0, utf8_problem::invalid_lead_byte, "0xF5 never starts a character"},
      {"\xff", 0, 0, utf8_problem::invalid_lead_byte, "0xFF never starts"},
      {"\xc3", 0, 0, utf8_problem::truncated, "the 2-byte sequence is cut off by the end of the text"},
      {"abc\xe6\x97", 3, 3, utf8_problem::truncated, "the 3-byte sequence is cut off"},
      {"abc\xf0\x9f\x8e", 3, 3, utf8_problem::truncated, "the 4-byte sequence is cut off"},
      {"\xe6\x97z", 2, 0, utf8_problem::not_a_continuation, "byte 0x7A cannot continue the sequence that starts with 0xE6"},
      {"\xe4\x41\x80", 1, 0, utf8_problem::not_a_continuation, "byte 0x41 cannot continue"},
      {"\xf0\x9f\x41", 2, 0, utf8_problem::not_a_continuation, "byte 0x41 cannot continue the sequence that starts with 0xF0"},
      {"\xf4\x41", 1, 0, utf8_problem::not_a_continuation, "byte 0x41 cannot continue"},
      {"ab\xe0\x80\xaf", 3, 2, utf8_problem::overlong, "byte 0x80 cannot continue the sequence that starts with 0xE0 (an overlong form)"},
      {"\xe0\x9f\xbf", 1, 0, utf8_problem::overlong, "(an overlong form)"},           // U+07FF in three bytes
      {"\xf0\x82\x82\xac", 1, 0, utf8_problem::overlong, "(an overlong form)"},       // U+20AC in four bytes
      {"\xf0\x8f\xbf\xbf", 1, 0, utf8_problem::overlong, "(an overlong form)"},       // U+FFFF in four bytes
      {"a\xed\xa0\x80z", 2, 1, utf8_problem::surrogate, "0xA0 cannot continue the sequence that starts with 0xED (a UTF-16 surrogate)"},
      {"a\xed\xbf\xbfz", 2, 1, utf8_problem::surrogate, "(a UTF-16 surrogate)"},      // U+DFFF
      {"\xf4\x90\x80\x80", 1, 0, utf8_problem::beyond_maximum, "0x90 cannot continue the sequence that starts with 0xF4 (beyond U+10FFFF)"},
      {"\xf4\xbf\xbf\xbf", 1, 0, utf8_problem::beyond_maximum, "(beyond U+10FFFF)"},
  };
  for (const malformed_case& malformed : cases) {
    INFO("case with description " << malformed.says);
    const auto error = text::find_utf8_error(malformed.text);
    REQUIRE(error.has_value());
    CHECK(error->offset == malformed.offset);
    CHECK(error->sequence_offset == malformed.sequence_offset);
    CHECK(error->problem == malformed.problem);
    CHECK(error->lead == static_cast<std::uint8_t>(malformed.text[malformed.sequence_offset]));
    CHECK(error->byte == static_cast<std::uint8_t>(malformed.text[malformed.offset]));
    CHECK(error->description().find(malformed.says) != std::string::npos);
    CHECK_FALSE(text::is_valid_utf8(malformed.text));
  }
}

TEST_CASE("utf8: the edges of every valid range are accepted and decoded", "[text][utf8]") {
  const std::vector<std::pair<std::string, char32_t>> edges = {
      {std::string("\x00", 1), U'\0'},   {"\x7f", 0x7F},
      {"\xc2\x80", 0x80},                {"\xdf\xbf", 0x7FF},
      {"\xe0\xa0\x80", 0x800},           {"\xed\x9f\xbf", 0xD7FF},    // the last before the surrogates
      {"\xee\x80\x80", 0xE000},          {"\xef\xbf\xbf", 0xFFFF},    // the first after them
      {"\xf0\x90\x80\x80", 0x10000},     {"\xf4\x8f\xbf\xbf", 0x10FFFF},
  };
  for (const auto& [encoded, code_point] : edges) {
    INFO("U+" << std::hex << static_cast<std::uint32_t>(code_point));
    CHECK(text::is_valid_utf8(encoded));
    std::vector<char32_t> decoded;
    REQUIRE(text::decode_utf8(encoded, "edge", decoded).ok());
    CHECK(decoded == std::vector<char32_t>{code_point});
  }
  CHECK(text::is_valid_utf8(std::string_view()));
}

TEST_CASE("utf8: decoding appends code points and names the text in its error", "[text][utf8]") {
  std::vector<char32_t> decoded{U'\u2581'};
  REQUIRE(text::decode_utf8("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "a mixed text", decoded).ok());
  CHECK(decoded == std::vector<char32_t>{U'\u2581', U'a', U'\u00e9', U'\u20ac', U'\U0001F600'});

  std::vector<char32_t> partial;
  const status refused = text::decode_utf8("ok \xc3(", "the caption", partial);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.failure().code == error_code::invalid_utf8);
  CHECK(refused.failure().message ==
        "the caption is not valid UTF-8 at byte 4: byte 0x28 cannot continue the sequence that starts with 0xC3");
  CHECK(partial == std::vector<char32_t>{U'o', U'k', U' '});  // what came before the error
}

TEST_CASE("utf8: Latin-1 bytes become UTF-8", "[text][utf8]") {
  const std::vector<std::uint8_t> latin1 = {'c', 'a', 'f', 0xE9, ' ', 0xFF, 0x80};
  const std::string converted = text::latin1_to_utf8(latin1);
  CHECK(converted == "caf\xc3\xa9 \xc3\xbf\xc2\x80");
  CHECK(text::is_valid_utf8(converted));
}
