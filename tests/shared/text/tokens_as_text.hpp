#pragma once
// Tokens written as "text@position" (and "text@position:kind" on demand), so a test states a whole
// tokenization in one readable list.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "text/tokenizer.hpp"

namespace mosaic::text::testing {

inline std::vector<std::string> tokens_as_text(const tokenization& tokenized, bool with_kind = false) {
  std::vector<std::string> out;
  for (const token& each : tokenized.tokens) {
    std::string line = each.text + "@" + std::to_string(each.position);
    if (with_kind) line += ":" + std::string(token_kind_name(each.kind));
    out.push_back(std::move(line));
  }
  return out;
}

inline tokenization tokenize_or_fail(std::string_view text, const tokenizer_options& options = {}) {
  auto tokenized = tokenize(text, options);
  if (!tokenized) FAIL(tokenized.failure().message);
  return std::move(tokenized).value();
}

inline std::vector<std::string> terms(std::string_view text, bool with_kind = false) {
  return tokens_as_text(tokenize_or_fail(text), with_kind);
}

}  // namespace mosaic::text::testing
