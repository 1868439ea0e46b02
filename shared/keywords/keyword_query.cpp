#include "keywords/keyword_query.hpp"

#include <algorithm>

namespace mosaic::keywords {
namespace {

void add_distinct(std::vector<std::string>& terms, const std::string& term) {
  if (std::find(terms.begin(), terms.end(), term) == terms.end()) terms.push_back(term);
}

// The length of the quote mark starting at `offset`, or 0: ASCII " (what NFKC makes of ＂), “ and ”.
std::size_t quote_length(std::string_view text, std::size_t offset) {
  if (text[offset] == '"') return 1;
  if (text.substr(offset, 3) == "\xE2\x80\x9C" || text.substr(offset, 3) == "\xE2\x80\x9D") return 3;
  return 0;
}

}  // namespace

result<keyword_query> parse_keyword_query(std::string_view normalized_text, text::text_analyzer& analyzer) {
  // The whole text is analyzed once first, so invalid UTF-8 is reported at its offset in the query and
  // a quote byte can never split a character (0x22 and 0xE2 0x80 0x9C/D are never inside another one).
  auto whole = analyzer.analyze(normalized_text);
  if (!whole) return std::move(whole).failure();

  keyword_query query;
  bool inside_quotes = false;
  std::size_t part_begin = 0;
  for (std::size_t offset = 0; offset <= normalized_text.size();) {
    const std::size_t quote = offset < normalized_text.size() ? quote_length(normalized_text, offset) : 0;
    if (quote == 0 && offset < normalized_text.size()) {
      ++offset;
      continue;
    }
    auto analyzed = analyzer.analyze(normalized_text.substr(part_begin, offset - part_begin));
    if (!analyzed) return std::move(analyzed).failure();
    if (inside_quotes) {
      std::vector<std::string> phrase;
      for (const text::token& token : analyzed->tokens) {
        if (token.kind == text::token_kind::compound || token.kind == text::token_kind::joined_compound) continue;
        phrase.push_back(token.text);
      }
      if (!phrase.empty()) query.phrases.push_back(std::move(phrase));
    }
    for (const text::token& token : analyzed->tokens) add_distinct(query.terms, token.text);
    if (offset == normalized_text.size()) break;
    inside_quotes = !inside_quotes;
    offset += quote;
    part_begin = offset;
  }
  return query;
}

std::vector<std::string> terms_to_fetch(const keyword_query& query) {
  std::vector<std::string> terms;
  for (const std::string& term : query.terms) add_distinct(terms, term);
  for (const auto& phrase : query.phrases) {
    for (const std::string& term : phrase) add_distinct(terms, term);
  }
  return terms;
}

}  // namespace mosaic::keywords
