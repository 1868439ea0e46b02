#include "text/stop_words.hpp"

#include <algorithm>
#include <utility>

namespace mosaic::text {

stop_word_list::stop_word_list(std::vector<std::string> words) : words_(std::move(words)) {
  std::sort(words_.begin(), words_.end());
  words_.erase(std::unique(words_.begin(), words_.end()), words_.end());
}

stop_word_list stop_word_list::english() {
  return stop_word_list({"a",    "an",   "and",  "are",   "as",   "at",    "be",   "been", "but",  "by",
                         "do",   "does", "for",  "from",  "had",  "has",   "have", "he",   "her",  "his",
                         "i",    "if",   "in",   "into",  "is",   "it",    "its",  "me",   "my",   "no",
                         "not",  "of",   "on",   "or",    "our",  "she",   "so",   "than", "that", "the",
                         "their", "them", "then", "there", "these", "they", "this", "those", "to",  "us",
                         "was",  "we",   "were", "what",  "which", "who",  "will", "with", "you",  "your"});
}

bool stop_word_list::contains(std::string_view folded_word) const noexcept {
  const auto found = std::lower_bound(words_.begin(), words_.end(), folded_word,
                                      [](const std::string& word, std::string_view key) { return word < key; });
  return found != words_.end() && *found == folded_word;
}

}  // namespace mosaic::text
