#pragma once
// Stop words: a mechanism, not a decision. Whether dropping frequent words helps ranking is for the
// keyword index to measure on beir-msmarco-5k (BM25's idf already weighs them down, and phrase
// queries such as "to be or not to be" need them), so analysis drops none unless it is handed a list.
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic::text {

class stop_word_list {
 public:
  // Words as the tokenizer folds them (lower case, no diacritics); order and repeats do not matter.
  explicit stop_word_list(std::vector<std::string> words);

  // A short list of English function words written for Mosaic (articles, pronouns, auxiliaries,
  // prepositions, conjunctions): a candidate for that measurement, used by nothing by default.
  static stop_word_list english();

  [[nodiscard]] bool contains(std::string_view folded_word) const noexcept;
  [[nodiscard]] std::span<const std::string> words() const noexcept { return words_; }

 private:
  std::vector<std::string> words_;  // sorted, unique
};

}  // namespace mosaic::text
