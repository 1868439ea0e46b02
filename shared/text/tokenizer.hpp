#pragma once
// Splits text into the terms of the keyword index, identically natively and in wasm (no ICU: the
// Unicode tables are generated at build time, shared/text/character_classes.hpp).
//
// Input: UTF-8 text, NFKC-normalized by the caller (ICU natively, String.prototype.normalize('NFKC')
// in the browser). Case is the core's job: every character is case-folded here with Unicode's full
// case folding, so a caller may lower-case first or not and gets the same tokens (ß → ss, final ς → σ,
// İ → i; the Turkic dotless rule is never applied, so I, İ, ı and i all become i). Invalid UTF-8 is an
// error naming the byte; text over `max_input_bytes` is refused before any work.
//
// The rules, in order:
//  - Words are runs of letters and digits of any script (Unicode general categories L*, Nl, No, Nd),
//    with their combining marks (Mn, Mc). Everything else breaks words and is dropped: spaces,
//    punctuation, symbols, emoji. Default-ignorable characters (soft hyphen, ZWJ, ZWNJ, variation
//    selectors, keycap marks) are skipped without breaking a word.
//  - In a token, letters are case-folded; Latin and Greek letters lose their diacritics (café → cafe,
//    ά → α; Cyrillic й and Indic vowel signs keep theirs: they are letters of their own); æ → ae,
//    œ → oe, ø → o, ł → l, đ/ð → d, þ → th, ı → i; digits of every script become ASCII digits.
//  - An apostrophe (' or ’) between two letters or digits stays inside the word, as ' ("don't",
//    "o'neill"); elsewhere it is dropped.
//  - Codes: words joined by single - ‐ _ . / @ (and , : between digits) form a compound ("ab-1234",
//    "e-mail", "3.14", "www.example.com", "user@example.com"). A compound gives its whole form, its
//    joined form without the joiners ("ab1234", "email") and each part ("ab", "1234"), so it is found
//    whole, run together and by its parts. The whole and joined forms share the first part's position;
//    each part has its own, so a phrase of the parts matches. Letters and digits are never split apart
//    inside a part ("mp3", "10km" stay whole).
//  - Scripts written without spaces (Han, Hiragana, Katakana, Hangul, Bopomofo, Thai, Lao, Khmer,
//    Myanmar, Tai Tham, New Tai Lue) give overlapping character bigrams ("东京大学" → 东京 京大 大学), a
//    character being a letter with its combining marks; a lone character is a token of its own. A run
//    ends where the script changes to one written with spaces, or at a digit ("2024年" → 2024 年).
//  - A token longer than `max_token_bytes` once folded is dropped (counted in dropped_long_tokens; no one
//    types a 200-byte word, and hostile text cannot make huge terms); its position is still used. A
//    compound too long as a whole gives only its parts.
// Every token carries the byte offset and length of its source in the input (for highlighting), and a
// position (word count from 0; for phrase queries).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mosaic::text {

enum class token_kind : std::uint8_t {
  word,              // letters (and maybe digits): "error", "mp3"; also a part of a compound
  number,            // digits only: "500"; also a part of a compound
  compound,          // the whole of a compound, joiners kept: "ab-1234"
  joined_compound,   // the same compound with its joiners removed: "ab1234"
  bigram,            // two characters of a script written without spaces: "东京"
  single_character,  // a lone character of such a script: "年" in "2024年"
};

[[nodiscard]] std::string_view token_kind_name(token_kind kind) noexcept;  // "word", "joined_compound", ...

struct token {
  std::string text;                 // folded UTF-8
  std::uint32_t byte_offset = 0;    // where its source starts in the input
  std::uint32_t byte_length = 0;    // the source's length in the input (first to last character it holds)
  std::uint32_t position = 0;       // word position; a compound's whole and joined forms take their first part's
  token_kind kind = token_kind::word;
  bool part_of_compound = false;    // a word or number that is one part of a compound
  friend bool operator==(const token&, const token&) = default;
};

struct tokenizer_options {
  // Refused beyond this (invalid_argument), so hostile text cannot take unbounded time or memory:
  // there is at most one token per byte of text ("a-b c-d ..." comes closest), about 50 MB of tokens
  // for 1 MiB, and ordinary English makes one per 6 bytes. Callers tokenize an item's text, not a corpus.
  std::size_t max_input_bytes = std::size_t{1} << 20U;
  std::size_t max_token_bytes = 128;  // folded UTF-8 bytes
};

struct tokenization {
  std::vector<token> tokens;           // in order of position; a compound's whole, joined form, then its parts
  std::uint32_t position_count = 0;    // positions used: the next token would take this one
  std::uint32_t dropped_long_tokens = 0;
};

// Errors: invalid_utf8 ("the text to tokenize is not valid UTF-8 at byte N: ..."), invalid_argument
// (over max_input_bytes, or max_token_bytes of 0).
[[nodiscard]] result<tokenization> tokenize(std::string_view normalized_text, const tokenizer_options& options = {});

}  // namespace mosaic::text
