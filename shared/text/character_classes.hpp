#pragma once
// What each Unicode code point is to the tokenizer, and what it becomes in a token. The tables are
// generated at build time from the Unicode Character Database of Debian's `unicode-data` package
// (scripts/generate-unicode-tables.mjs, which documents every rule); the same generated file is
// compiled natively and into wasm, so both targets classify and fold alike. No ICU is needed.
#include <cstdint>
#include <string>
#include <string_view>

namespace mosaic::text {

enum class character_kind : std::uint8_t {
  other = 0,               // breaks words and is dropped: spaces, punctuation, symbols, emoji, unassigned
  ignorable = 1,           // skipped without breaking a word: soft hyphen, ZWJ/ZWNJ, variation selectors, keycaps
  mark = 2,                // a combining mark (Mn, Mc): belongs to the character before it
  digit = 3,               // a decimal digit of any script (Nd); it becomes its ASCII digit
  letter = 4,              // a letter (L*, Nl, No) of a script written with spaces, other than Latin and Greek
  latin_greek_letter = 5,  // a Latin or Greek letter: combining diacritics after it are dropped
  bigram_letter = 6,       // a letter of a script written without spaces (Han, kana, Hangul, Thai, ...)
};

// The Unicode version the tables were generated from ("15.0.0").
[[nodiscard]] std::string_view unicode_version() noexcept;

[[nodiscard]] character_kind kind_of(char32_t code_point) noexcept;

// For a digit, its value 0..9; otherwise -1.
[[nodiscard]] int digit_value(char32_t code_point) noexcept;

// Appends what `code_point` becomes in a token, as UTF-8: full case folding (never the Turkic rule),
// Latin and Greek letters without their diacritics, a few Latin letters spelled as people type them
// (æ → ae, ø → o, ł → l, ı → i, ...), digits of every script as ASCII digits. Idempotent, and the same
// for a text and its lower-case form (String.prototype.toLowerCase or ICU's), measured over every code
// point of the tables' Unicode version.
void append_folded(char32_t code_point, std::string& output);

// Appends one code point as UTF-8 (the code point must be a scalar value).
void append_utf8(char32_t code_point, std::string& output);

// The number of bytes of a scalar value in UTF-8.
[[nodiscard]] constexpr std::uint32_t utf8_length(char32_t code_point) noexcept {
  return code_point < 0x80U ? 1U : code_point < 0x800U ? 2U : code_point < 0x10000U ? 3U : 4U;
}

}  // namespace mosaic::text
