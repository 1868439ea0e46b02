// Highlights: byte offsets into the text a snippet shows, for stemmed words, compounds and CJK bigrams.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "keyword_test_support.hpp"
#include "keywords/highlight.hpp"
#include "outcome_name.hpp"

using namespace mosaic::keywords;
using namespace mosaic::keywords::testing;
using mosaic::test::outcome_name;

namespace {

std::vector<highlight_span> highlights(std::string_view text, std::string_view query) {
  auto found = find_highlights(text, parse(query), shared_analyzer());
  if (!found) FAIL(found.failure().message);
  return std::move(found).value();
}

// The highlighted pieces of the text, so a test reads as what a user sees.
std::vector<std::string> pieces(std::string_view text, const std::vector<highlight_span>& spans) {
  std::vector<std::string> out;
  for (const highlight_span& span : spans) out.emplace_back(text.substr(span.byte_offset, span.byte_length));
  return out;
}

}  // namespace

TEST_CASE("keywords highlights: stemmed matches at their byte offsets", "[keywords][highlight]") {
  const std::string_view text = "She runs daily; Running is fun. A runner ran.";
  const auto spans = highlights(text, "running");
  CHECK(spans == std::vector<highlight_span>{{4, 4, "run"}, {16, 7, "run"}});
  CHECK(pieces(text, spans) == std::vector<std::string>{"runs", "Running"});
  CHECK(highlights(text, "walking").empty());
  CHECK(highlights(text, "").empty());
}

TEST_CASE("keywords highlights: offsets count bytes of multi-byte text", "[keywords][highlight]") {
  const std::string_view text = "Café crème: CAFÉ";
  const auto spans = highlights(text, "cafe");
  CHECK(pieces(text, spans) == std::vector<std::string>{"Café", "CAFÉ"});
  REQUIRE(spans.size() == 2);
  CHECK(spans[1].byte_offset == 14);  // "Café crème: " is 14 bytes (é is 2)
  CHECK(spans[1].byte_length == 5);
}

TEST_CASE("keywords highlights: CJK bigrams, merged where they overlap", "[keywords][highlight]") {
  const std::string_view text = "我在東京大学学习";  // 3 bytes per character
  CHECK(highlights(text, "東京") == std::vector<highlight_span>{{6, 6, "東京"}});
  // 東京, 京大, 大学 overlap one character each: one span for the three.
  const auto spans = highlights(text, "東京大学");
  CHECK(spans == std::vector<highlight_span>{{6, 12, "東京"}});
  CHECK(pieces(text, spans) == std::vector<std::string>{"東京大学"});
}

TEST_CASE("keywords highlights: compounds whole or by a part", "[keywords][highlight]") {
  const std::string_view text = "see AB-1234 now";
  CHECK(pieces(text, highlights(text, "1234")) == std::vector<std::string>{"1234"});
  CHECK(highlights(text, "1234")[0].byte_offset == 7);
  CHECK(highlights(text, "ab1234") == std::vector<highlight_span>{{4, 7, "ab1234"}});
  // The whole form and its parts overlap: one span, named by the whole form.
  CHECK(highlights(text, "ab-1234") == std::vector<highlight_span>{{4, 7, "ab-1234"}});
  // Phrase terms are highlighted too.
  CHECK(pieces(text, highlights(text, "\"see ab\"")) == std::vector<std::string>{"see", "AB"});
}

TEST_CASE("keywords highlights: the analyzer's errors come back", "[keywords][highlight]") {
  CHECK(outcome_name(find_highlights("bad \xC3", parse("bad"), shared_analyzer())) == "invalid_utf8");
}
