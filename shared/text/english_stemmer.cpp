#include "text/english_stemmer.hpp"

#include <libstemmer.h>

#include <climits>

namespace mosaic::text {

void english_stemmer::deleter::operator()(sb_stemmer* stemmer) const noexcept { sb_stemmer_delete(stemmer); }

result<english_stemmer> english_stemmer::create() {
  sb_stemmer* stemmer = sb_stemmer_new("english", "UTF_8");
  if (stemmer == nullptr) {
    return make_error(error_code::invalid_argument, "libstemmer has no English UTF-8 stemmer (or no memory for one)");
  }
  return english_stemmer(stemmer);
}

std::string english_stemmer::stem(std::string_view word) {
  if (word.empty() || word.size() > static_cast<std::size_t>(INT_MAX)) return std::string(word);
  const sb_symbol* stemmed = sb_stemmer_stem(stemmer_.get(), reinterpret_cast<const sb_symbol*>(word.data()),
                                             static_cast<int>(word.size()));
  if (stemmed == nullptr) return std::string(word);  // out of memory: the word itself is still a term
  return std::string(reinterpret_cast<const char*>(stemmed), static_cast<std::size_t>(sb_stemmer_length(stemmer_.get())));
}

}  // namespace mosaic::text
