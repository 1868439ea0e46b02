#include "embed/unicode_normalization.hpp"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

namespace mosaic::server {
namespace {

// ICU's NFKC instance, asked for once. ICU creates it behind its own atomics, which ThreadSanitizer
// cannot see (Debian's ICU is not instrumented): it reported a preparation worker reading the instance
// another worker had just made as a data race. A function-local static makes that first creation an
// ordering ThreadSanitizer sees, and later calls skip ICU's lookup.
struct nfkc_normalizer {
  const icu::Normalizer2* normalizer = nullptr;
  UErrorCode status = U_ZERO_ERROR;
};

const nfkc_normalizer& shared_nfkc_normalizer() {
  static const nfkc_normalizer instance = [] {
    nfkc_normalizer made;
    made.normalizer = icu::Normalizer2::getNFKCInstance(made.status);
    return made;
  }();
  return instance;
}

}  // namespace

result<std::string> normalize_nfkc(std::string_view utf8_text) {
  // ICU would replace invalid sequences with U+FFFD; the reference (a JavaScript string) can never
  // hold them, so they are refused here with their position instead.
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(utf8_text.data());
  const auto length = static_cast<std::int32_t>(utf8_text.size());
  if (utf8_text.size() > 0x7FFFFFFF) return make_error(error_code::invalid_argument, "text is larger than 2 GiB");
  for (std::int32_t offset = 0; offset < length;) {
    const std::int32_t start = offset;
    UChar32 code_point = 0;
    U8_NEXT(bytes, offset, length, code_point);
    if (code_point < 0) {
      return make_error(error_code::invalid_utf8, "text is not valid UTF-8 at byte " + std::to_string(start));
    }
  }
  const nfkc_normalizer& nfkc = shared_nfkc_normalizer();
  if (U_FAILURE(nfkc.status) || nfkc.normalizer == nullptr) {
    return make_error(error_code::invalid_argument, std::string("ICU has no NFKC normalizer: ") + u_errorName(nfkc.status));
  }
  const icu::Normalizer2* normalizer = nfkc.normalizer;
  UErrorCode status = U_ZERO_ERROR;
  const icu::UnicodeString source = icu::UnicodeString::fromUTF8(icu::StringPiece(utf8_text.data(), length));
  const icu::UnicodeString normalized = normalizer->normalize(source, status);
  if (U_FAILURE(status)) {
    return make_error(error_code::invalid_argument, std::string("NFKC normalization failed: ") + u_errorName(status));
  }
  std::string output;
  normalized.toUTF8String(output);
  return output;
}

}  // namespace mosaic::server
