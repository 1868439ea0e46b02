// A text document's title (server/cli/document_title): front matter, Markdown headings, a set-apart
// first line, else the file name's words; and where the text to chunk begins.
#include <catch2/catch.hpp>
#include <string>

#include "cli/document_title.hpp"

using mosaic::server::file_name_title_is_meaningful;
using mosaic::server::find_document_title;
using mosaic::server::title_origin;
using mosaic::server::titled_chunk_text;

TEST_CASE("front matter's title wins, and the body starts after the front matter", "[title]") {
  const std::string text = "---\nauthor: me\ntitle: \"Tomato soup\"\ntags: [food]\n---\n# Ignored heading\nSimmer.";
  const auto found = find_document_title(text, "soup");
  CHECK(found.title == "Tomato soup");
  CHECK(found.origin == title_origin::front_matter);
  CHECK(text.substr(found.body_offset).starts_with("# Ignored heading"));
}

TEST_CASE("front matter without a title: the heading after it is the title", "[title]") {
  const std::string text = "---\nauthor: me\n---\n\n## Tomato soup ##\r\nSimmer tomatoes.";
  const auto found = find_document_title(text, "soup");
  CHECK(found.title == "Tomato soup");
  CHECK(found.origin == title_origin::heading);
  CHECK(text.substr(found.body_offset) == "Simmer tomatoes.");
}

TEST_CASE("an unclosed front matter is text", "[title]") {
  const std::string text = "---\ntitle: no\nsome more words here that go on";
  const auto found = find_document_title(text, "notes");
  CHECK(found.origin != title_origin::front_matter);
  CHECK(found.body_offset == 0);
}

TEST_CASE("Markdown headings: ATX and setext", "[title]") {
  const auto atx = find_document_title("\n\n# Tomato soup\nSimmer tomatoes with basil.", "x");
  CHECK(atx.title == "Tomato soup");
  CHECK(atx.origin == title_origin::heading);
  const std::string setext = "Tomato soup\n===========\nSimmer tomatoes with basil.";
  const auto found = find_document_title(setext, "x");
  CHECK(found.title == "Tomato soup");
  CHECK(setext.substr(found.body_offset) == "Simmer tomatoes with basil.");
  CHECK(find_document_title("#hashtag is not a heading\n\nmore", "x").origin != title_origin::heading);
}

TEST_CASE("a short first line set apart is the title; prose is not", "[title]") {
  const std::string titled = "Fahrenheit Scale\nDaniel Gabriel Fahrenheit was the German physicist who invented the thermometer.";
  const auto found = find_document_title(titled, "4380635");
  CHECK(found.title == "Fahrenheit Scale");
  CHECK(found.origin == title_origin::first_line);
  CHECK(titled.substr(found.body_offset).starts_with("Daniel"));

  const auto blank_line = find_document_title("Meeting notes, March\n\nWe agreed to ship.", "notes");
  CHECK(blank_line.title == "Meeting notes, March");

  // One paragraph (a single line) has no first-line title.
  const auto single = find_document_title("Daniel Gabriel Fahrenheit was the German physicist.", "4380635");
  CHECK(single.origin == title_origin::file_name);
  CHECK(single.title == "4380635");
  CHECK(single.body_offset == 0);
  // Hard-wrapped prose: lines of similar length.
  const auto wrapped = find_document_title("The quick brown fox jumps over\nthe lazy dog and keeps running on\n", "fox");
  CHECK(wrapped.origin == title_origin::file_name);
  // A first line that ends a sentence, or is long, is prose.
  CHECK(find_document_title("It rained.\n\nThen it stopped.", "x").origin == title_origin::file_name);
  CHECK(find_document_title("one two three four five six seven eight nine ten eleven twelve thirteen\n\nmore", "x").origin ==
        title_origin::file_name);
  // A lone line is the text, not a title.
  CHECK(find_document_title("Tomato soup\n\n", "x").origin == title_origin::file_name);
}

TEST_CASE("file names that are ids are shown but not embedded", "[title]") {
  CHECK(file_name_title_is_meaningful("red bicycle 2024"));
  CHECK(file_name_title_is_meaningful("cheetah"));
  CHECK(file_name_title_is_meaningful("Straße"));
  CHECK_FALSE(file_name_title_is_meaningful("4380635"));
  CHECK_FALSE(file_name_title_is_meaningful("doc 00123"));
  CHECK_FALSE(file_name_title_is_meaningful("IMG 1234"));
  CHECK_FALSE(file_name_title_is_meaningful("ug7v899j"));
  CHECK_FALSE(file_name_title_is_meaningful(""));
}

TEST_CASE("the embedded text is the title, then the chunk", "[title]") {
  CHECK(titled_chunk_text("Tomato soup", "Simmer.") == "Tomato soup. Simmer.");
  CHECK(titled_chunk_text("Why soup?", "Because.") == "Why soup? Because.");
  CHECK(titled_chunk_text("", "Simmer.") == "Simmer.");
}
