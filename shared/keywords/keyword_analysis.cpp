#include "keywords/keyword_analysis.hpp"

#include <string>

namespace mosaic::keywords {

bool is_known_analysis(std::uint16_t analysis) noexcept {
  return analysis == analysis_without_stop_words || analysis == analysis_with_english_stop_words;
}

result<text::text_analyzer> analyzer_for(std::uint16_t analysis) {
  if (!is_known_analysis(analysis)) {
    return make_error(error_code::unsupported_version,
                      "the keyword index was made with text analysis " + std::to_string(analysis) +
                          ", which this version of Mosaic does not know; update Mosaic to search it by keyword");
  }
  text::analysis_options options;
  if (analysis == analysis_with_english_stop_words) options.stop_words = text::stop_word_list::english();
  return text::text_analyzer::create(std::move(options));
}

}  // namespace mosaic::keywords
