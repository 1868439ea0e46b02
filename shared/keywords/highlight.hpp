#pragma once
// For snippets: where a keyword query's terms occur in a text, as byte offsets into that text. The text
// is analyzed as the index was, so a query for "running" highlights "runs" and "Running", and one for
// "東京" the two characters of that bigram.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "keywords/keyword_query.hpp"
#include "text/text_analysis.hpp"

namespace mosaic::keywords {

struct highlight_span {
  std::uint32_t byte_offset = 0;
  std::uint32_t byte_length = 0;
  std::string term;  // the query term found there (the first one, when matches overlapped)
  friend bool operator==(const highlight_span&, const highlight_span&) = default;
};

// Spans in text order, never overlapping: matches that overlap (a compound and its parts, neighbouring
// CJK bigrams) are merged into one span. Errors are the analyzer's.
result<std::vector<highlight_span>> find_highlights(std::string_view normalized_text, const keyword_query& query,
                                                    text::text_analyzer& analyzer);

}  // namespace mosaic::keywords
