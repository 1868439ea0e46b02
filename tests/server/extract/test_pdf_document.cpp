// PDF reading through Poppler (server/extract/pdf_document) on PDFs written here byte by byte:
// the text of each page, the first page drawn, and hostile files refused with their reason.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "extract/pdf_document.hpp"
#include "pdf_fixtures.hpp"

using namespace mosaic;
using namespace mosaic::extract;

namespace {

std::vector<std::uint8_t> as_bytes(const std::string& text) { return testing::pdf_bytes(text); }
std::string make_pdf(const std::vector<std::string>& page_lines) { return testing::make_text_pdf(page_lines); }

}  // namespace

TEST_CASE("each page's text is read and the first page is drawn", "[extract][pdf]") {
  const auto bytes = as_bytes(make_pdf({"Installation guide", "A flickering lighthouse lamp"}));
  const auto contents = read_pdf(bytes);
  REQUIRE(contents);
  CHECK(contents->page_count == 2);
  REQUIRE(contents->page_texts.size() == 2);
  CHECK(contents->page_texts[0] == "Installation guide");
  CHECK(contents->page_texts[1] == "A flickering lighthouse lamp");
  CHECK_FALSE(contents->text_cut);
  // 612 x 792 points drawn with the longest side 256 pixels: white paper with dark text near the top.
  CHECK(contents->picture_height == 256);
  CHECK(contents->picture_width == 198);
  REQUIRE(contents->first_page_rgb.size() == std::size_t{contents->picture_width} * contents->picture_height * 3);
  std::size_t dark = 0;
  std::size_t dark_below_middle = 0;
  for (std::size_t pixel = 0; pixel < contents->first_page_rgb.size() / 3; ++pixel) {
    if (contents->first_page_rgb[pixel * 3] < 128) {
      ++dark;
      if (pixel / contents->picture_width > 128) ++dark_below_middle;
    }
  }
  CHECK(dark > 20);
  CHECK(dark_below_middle == 0);
}

TEST_CASE("the text limits cut the reading, never inside a character", "[extract][pdf]") {
  const auto bytes = as_bytes(make_pdf({"first page words", "second page words", "third page words"}));
  pdf_reading_limits limits;
  limits.max_pages = 2;
  limits.max_text_bytes = 25;
  limits.picture_longest_side = 0;
  const auto contents = read_pdf(bytes, limits);
  REQUIRE(contents);
  CHECK(contents->page_count == 3);
  REQUIRE(contents->page_texts.size() == 2);
  CHECK(contents->page_texts[0] == "first page words");
  CHECK(contents->page_texts[1] == "second pa");
  CHECK(contents->text_cut);
  CHECK(contents->first_page_rgb.empty());
}

TEST_CASE("damaged and foreign bytes are refused with their reason", "[extract][pdf]") {
  const std::string whole = make_pdf({"Quarterly figures"});
  const auto truncated = read_pdf(as_bytes(whole.substr(0, 40)));
  REQUIRE_FALSE(truncated);
  CHECK(truncated.failure().code == error_code::invalid_media);
  CHECK(truncated.failure().message.find("damaged") != std::string::npos);
  const auto foreign = read_pdf(as_bytes("PK\x03\x04 not a PDF at all"));
  REQUIRE_FALSE(foreign);
  CHECK(foreign.failure().message.find("%PDF-") != std::string::npos);
  CHECK_FALSE(read_pdf({}));
}
