#include "text/text_analysis.hpp"

#include <algorithm>
#include <utility>

namespace mosaic::text {
namespace {

bool has_ascii_letter(std::string_view text) noexcept {
  return std::any_of(text.begin(), text.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

bool is_stemmed(token_kind kind) noexcept {
  return kind == token_kind::word || kind == token_kind::compound || kind == token_kind::joined_compound;
}

}  // namespace

result<text_analyzer> text_analyzer::create(analysis_options options) {
  std::optional<english_stemmer> stemmer;
  if (options.stem_english) {
    auto created = english_stemmer::create();
    if (!created) return std::move(created).failure();
    stemmer.emplace(std::move(created).value());
  }
  return text_analyzer(std::move(options), std::move(stemmer));
}

result<tokenization> text_analyzer::analyze(std::string_view normalized_text) {
  auto tokenized = tokenize(normalized_text, options_.tokenizer);
  if (!tokenized) return tokenized;
  std::vector<token>& tokens = tokenized->tokens;
  if (options_.stop_words) {
    const stop_word_list& stop_words = *options_.stop_words;
    std::erase_if(tokens, [&](const token& candidate) {
      return candidate.kind == token_kind::word && stop_words.contains(candidate.text);
    });
  }
  if (stemmer_) {
    for (token& each : tokens) {
      if (is_stemmed(each.kind) && has_ascii_letter(each.text)) each.text = stemmer_->stem(each.text);
    }
  }
  return tokenized;
}

}  // namespace mosaic::text
