#pragma once
// NFKC normalization with ICU, natively (the browser build uses String.prototype.normalize): the
// local model's tokenizer expects NFKC text, exactly as its JavaScript reference produces it.
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mosaic::server {

// Invalid UTF-8 is an error naming the byte offset, never silently replaced.
result<std::string> normalize_nfkc(std::string_view utf8_text);

}  // namespace mosaic::server
