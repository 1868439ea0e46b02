#pragma once
// The one strict UTF-8 decoder (RFC 3629) of the core: overlong forms, UTF-16 surrogates
// (U+D800..U+DFFF), code points above U+10FFFF, stray continuation bytes and sequences cut short are
// all refused. An error says which byte and why, so a caller can say more than "binary data": the
// tokenizer, media detection, the server's input checks and the indexer all word it the same way.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mosaic::text {

// What is wrong, in the order the decoder meets it.
enum class utf8_problem : std::uint8_t {
  unexpected_continuation,  // 0x80..0xBF where a character should start
  invalid_lead_byte,        // 0xC0, 0xC1 (only overlong forms) or 0xF5..0xFF (beyond U+10FFFF): never start one
  truncated,                // the input ends inside a sequence
  not_a_continuation,       // a byte outside 0x80..0xBF inside a sequence
  overlong,                 // E0 80..9F or F0 80..8F: a shorter sequence would encode the same value
  surrogate,                // ED A0..BF: U+D800..U+DFFF
  beyond_maximum,           // F4 90..BF: above U+10FFFF
};

struct utf8_error {
  std::size_t offset = 0;           // the byte where decoding stops (the lead byte when the input ends first)
  std::size_t sequence_offset = 0;  // the first byte of the sequence it belongs to
  utf8_problem problem = utf8_problem::unexpected_continuation;
  std::uint8_t lead = 0;            // the sequence's first byte
  std::uint8_t byte = 0;            // the byte at `offset`
  std::uint8_t length = 1;          // the length the lead byte announces (1 when it announces none)

  // "byte 0x41 cannot continue the sequence that starts with 0xE4", "the 3-byte sequence is cut off
  // by the end of the text", "unexpected continuation byte 0x80", ...
  [[nodiscard]] std::string description() const;
};

// nullopt when every byte belongs to a well-formed sequence; `code_points`, when given, receives
// what was decoded (up to the error).
std::optional<utf8_error> decode_utf8(std::span<const std::uint8_t> bytes, std::vector<char32_t>* code_points = nullptr);

inline std::optional<utf8_error> find_utf8_error(std::span<const std::uint8_t> bytes) noexcept {
  return decode_utf8(bytes);  // without an output vector nothing allocates
}
inline std::optional<utf8_error> find_utf8_error(std::string_view text) noexcept {
  return find_utf8_error(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}
inline bool is_valid_utf8(std::span<const std::uint8_t> bytes) noexcept { return !find_utf8_error(bytes); }
inline bool is_valid_utf8(std::string_view text) noexcept { return !find_utf8_error(text); }

// Appends the code points of `text` to `code_points`, or fails with invalid_utf8 saying "<what> is not
// valid UTF-8 at byte N: <description>" (`what` names the text: "the text to tokenize", "vocab.json entry 12").
status decode_utf8(std::string_view text, std::string_view what, std::vector<char32_t>& code_points);

// Latin-1 bytes as UTF-8: what RIFF INFO and PNG tEXt captions hold when they are not UTF-8 already.
std::string latin1_to_utf8(std::span<const std::uint8_t> bytes);

}  // namespace mosaic::text
