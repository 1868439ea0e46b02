#include "keywords/highlight.hpp"

#include <algorithm>

namespace mosaic::keywords {

result<std::vector<highlight_span>> find_highlights(std::string_view normalized_text, const keyword_query& query,
                                                    text::text_analyzer& analyzer) {
  const std::vector<std::string> wanted = terms_to_fetch(query);
  std::vector<highlight_span> spans;
  if (wanted.empty()) return spans;
  auto analyzed = analyzer.analyze(normalized_text);
  if (!analyzed) return std::move(analyzed).failure();
  std::vector<highlight_span> matches;
  for (const text::token& token : analyzed->tokens) {
    if (std::find(wanted.begin(), wanted.end(), token.text) == wanted.end()) continue;
    matches.push_back({token.byte_offset, token.byte_length, token.text});
  }
  // Tokens come by position; a compound's whole form precedes its parts, so sort by where they start
  // (longest first) and merge what overlaps.
  std::stable_sort(matches.begin(), matches.end(), [](const highlight_span& left, const highlight_span& right) {
    if (left.byte_offset != right.byte_offset) return left.byte_offset < right.byte_offset;
    return left.byte_length > right.byte_length;
  });
  for (highlight_span& match : matches) {
    if (!spans.empty()) {
      highlight_span& last = spans.back();
      const std::uint64_t last_end = std::uint64_t{last.byte_offset} + last.byte_length;
      if (match.byte_offset < last_end) {
        const std::uint64_t match_end = std::uint64_t{match.byte_offset} + match.byte_length;
        if (match_end > last_end) last.byte_length = static_cast<std::uint32_t>(match_end - last.byte_offset);
        continue;
      }
    }
    spans.push_back(std::move(match));
  }
  return spans;
}

}  // namespace mosaic::keywords
