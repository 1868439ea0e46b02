#pragma once
// A keyword query as the user types it: words, and "quoted phrases", analyzed exactly as the indexed
// text was (text::text_analyzer), so "Running" finds "runs" and "AB-1234" finds "ab1234".
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "text/text_analysis.hpp"

namespace mosaic::keywords {

struct keyword_query {
  // Distinct analyzed terms, in the order they first appear, inside phrases or not: every one is scored.
  std::vector<std::string> terms;
  // "quoted phrases", analyzed, each the terms of consecutive positions in order (a compound's whole
  // and joined forms are left out: its parts are matched). A phrase of one term only requires the term.
  std::vector<std::vector<std::string>> phrases;
};

// Splits on double quotes (" and the typographic “ ”; an unclosed quote runs to the end) and analyzes
// each part. Errors are the analyzer's (invalid_utf8, invalid_argument for over-long text).
result<keyword_query> parse_keyword_query(std::string_view normalized_text, text::text_analyzer& analyzer);

// Every term a query's scoring and phrases need: its terms and its phrases' terms, distinct, in order.
std::vector<std::string> terms_to_fetch(const keyword_query& query);

}  // namespace mosaic::keywords
