// Text analysis (shared/text tokenizer and analyzer, shared/keywords query and highlights): every
// query a user types and every text indexed goes through it. Invariants checked on each input: the
// tokenizer accepts exactly valid UTF-8; a token's source span lies inside the input, starts on a
// character boundary, and tokens come in order of position below position_count; no token is empty
// or longer than max_token_bytes; highlights lie inside the text, in order and never overlap.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz_support.hpp"
#include "keywords/highlight.hpp"
#include "keywords/keyword_analysis.hpp"
#include "keywords/keyword_query.hpp"
#include "text/text_analysis.hpp"
#include "text/tokenizer.hpp"
#include "text/utf8.hpp"

using namespace mosaic;

namespace {

void check_tokens(std::string_view text, const text::tokenization& tokens, std::size_t max_token_bytes) {
  std::uint32_t previous_position = 0;
  for (const text::token& token : tokens.tokens) {
    MOSAIC_FUZZ_CHECK(!token.text.empty() && token.text.size() <= max_token_bytes, token.text);
    MOSAIC_FUZZ_CHECK(text::is_valid_utf8(token.text), "a token is not valid UTF-8");
    MOSAIC_FUZZ_CHECK(std::size_t{token.byte_offset} + token.byte_length <= text.size(), token.text);
    MOSAIC_FUZZ_CHECK(token.byte_offset == text.size() ||
                          (static_cast<unsigned char>(text[token.byte_offset]) & 0xC0U) != 0x80U,
                      "a token starts inside a character");
    MOSAIC_FUZZ_CHECK(token.position >= previous_position && token.position < tokens.position_count, token.text);
    previous_position = token.position;
  }
}

text::text_analyzer& default_analyzer() {
  static text::text_analyzer analyzer = [] {
    auto created = keywords::analyzer_for(keywords::default_analysis);
    if (!created) {
      std::fprintf(stderr, "fuzz_text_analysis setup: %s\n", created.failure().message.c_str());
      std::abort();
    }
    return std::move(created).value();
  }();
  return analyzer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks a small token limit sometimes, so the long-token path is reached.
  text::tokenizer_options options;
  if (data[0] < 64) options.max_token_bytes = std::size_t{data[0]} % 16 + 1;
  const std::string_view text = mosaic::fuzz::as_text(data + 1, size - 1);
  const bool valid = text::is_valid_utf8(text);

  auto tokens = text::tokenize(text, options);
  MOSAIC_FUZZ_CHECK(tokens.ok() == valid, "the tokenizer disagrees with the UTF-8 check");
  if (tokens) check_tokens(text, tokens.value(), options.max_token_bytes);

  auto analyzed = default_analyzer().analyze(text);
  MOSAIC_FUZZ_CHECK(analyzed.ok() == valid, "the analyzer disagrees with the UTF-8 check");
  if (analyzed) check_tokens(text, analyzed.value(), default_analyzer().options().tokenizer.max_token_bytes);

  auto query = keywords::parse_keyword_query(text, default_analyzer());
  if (!query) return 0;
  (void)keywords::terms_to_fetch(query.value());
  auto highlights = keywords::find_highlights(text, query.value(), default_analyzer());
  if (!highlights) return 0;
  std::size_t previous_end = 0;
  for (const keywords::highlight_span& span : highlights.value()) {
    MOSAIC_FUZZ_CHECK(span.byte_offset >= previous_end, "highlights overlap or go backwards");
    previous_end = std::size_t{span.byte_offset} + span.byte_length;
    MOSAIC_FUZZ_CHECK(previous_end <= text.size(), "a highlight ends past the text");
  }
  return 0;
}
