#pragma once
// The text analyses a keyword index can be made with, by the number its directory records
// (docs/format.md, "Keyword directory": `analysis`). A query must be analyzed as its index's documents
// were, so the builder, the query parser and the highlighter all get their analyzer here, by number.
//   1  tokenizer version 1, Snowball English stems, no stop words
//   2  the same, with the English stop words of text::stop_word_list::english() dropped (their
//      positions stay used, so a phrase never matches across one)
// Which one `mosaic index` writes is chosen by measurement (README, "Keyword and hybrid search").
#include <cstdint>

#include "core/result.hpp"
#include "text/text_analysis.hpp"

namespace mosaic::keywords {

inline constexpr std::uint16_t analysis_without_stop_words = 1;
inline constexpr std::uint16_t analysis_with_english_stop_words = 2;
// What the builder writes when not told otherwise.
inline constexpr std::uint16_t default_analysis = analysis_with_english_stop_words;

[[nodiscard]] bool is_known_analysis(std::uint16_t analysis) noexcept;

// unsupported_version for an analysis this Mosaic does not know (a newer writer's).
result<text::text_analyzer> analyzer_for(std::uint16_t analysis);

}  // namespace mosaic::keywords
