#pragma once
// English stemming with Snowball's "english" algorithm (Porter2), the same C code on both targets:
// natively Debian's libstemmer (libstemmer-dev), in wasm that package's own source (Debian's
// `snowball` source package of the same version, fetched and compiled by the build:
// cmake/MosaicSnowball.cmake). Tested on Snowball's English vocabulary (snowball-data) on both.
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

struct sb_stemmer;  // libstemmer.h, kept out of this header

namespace mosaic::text {

class english_stemmer {
 public:
  // Fails (invalid_argument) only when libstemmer has no English UTF-8 stemmer or no memory.
  static result<english_stemmer> create();

  // The stem of one folded (lower-case) word: "running" → "run", "generously" → "generous". Words
  // with nothing to strip come back unchanged, as do non-Latin words. Not thread-safe (Snowball keeps
  // its working buffer in the stemmer): one stemmer per thread.
  [[nodiscard]] std::string stem(std::string_view word);

 private:
  struct deleter {
    void operator()(sb_stemmer* stemmer) const noexcept;
  };
  explicit english_stemmer(sb_stemmer* stemmer) : stemmer_(stemmer) {}
  std::unique_ptr<sb_stemmer, deleter> stemmer_;
};

}  // namespace mosaic::text
