#include "embed/unicode_normalization.hpp"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

namespace mosaic::server {

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
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* normalizer = icu::Normalizer2::getNFKCInstance(status);
  if (U_FAILURE(status) || normalizer == nullptr) {
    return make_error(error_code::invalid_argument, std::string("ICU has no NFKC normalizer: ") + u_errorName(status));
  }
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
