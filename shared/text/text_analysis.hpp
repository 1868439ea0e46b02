#pragma once
// Text → index terms: tokenize (shared/text/tokenizer.hpp), drop stop words when given a list, stem
// English words with Snowball. The keyword index and its queries analyze text through this one
// function, so a query's terms are made exactly as the documents' were, natively and in wasm.
#include <optional>
#include <string_view>

#include "core/result.hpp"
#include "text/english_stemmer.hpp"
#include "text/stop_words.hpp"
#include "text/tokenizer.hpp"

namespace mosaic::text {

struct analysis_options {
  tokenizer_options tokenizer;
  // Snowball English stems of words, compounds and parts that hold an ASCII letter (after folding);
  // numbers and bigrams are left alone, as are words of other scripts (the stemmer leaves them as they
  // are anyway).
  bool stem_english = true;
  // None by default (see stop_words.hpp). A stop word's token is dropped and its position stays used,
  // so phrases do not match across it.
  std::optional<stop_word_list> stop_words;
};

class text_analyzer {
 public:
  static result<text_analyzer> create(analysis_options options = {});

  // The tokens of `normalized_text` with `text` replaced by the index term. Errors as tokenize().
  // Not thread-safe (the stemmer has a working buffer): one analyzer per thread.
  [[nodiscard]] result<tokenization> analyze(std::string_view normalized_text);

  [[nodiscard]] const analysis_options& options() const noexcept { return options_; }

 private:
  text_analyzer(analysis_options options, std::optional<english_stemmer> stemmer)
      : options_(std::move(options)), stemmer_(std::move(stemmer)) {}
  analysis_options options_;
  std::optional<english_stemmer> stemmer_;
};

}  // namespace mosaic::text
