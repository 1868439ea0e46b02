// PDF page counting: the page tree's /Count, /Type /Page dictionaries, both inside FlateDecode object
// streams, the larger of the two when they disagree, and refusals (no page tree, corrupt or
// oversized object streams).
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "stored_zlib.hpp"

#include "media/pdf_pages.hpp"

using namespace mosaic;
using namespace mosaic::media;

namespace {

using bytes = std::vector<std::uint8_t>;

bytes as_bytes(const std::string& text) { return bytes(text.begin(), text.end()); }

// A PDF with `pages` page objects under one /Pages root whose /Count says `declared`.
std::string plain_pdf(std::size_t pages, std::size_t declared) {
  std::string pdf = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n";
  pdf += "2 0 obj\n<< /Type /Pages /Kids [";
  for (std::size_t page = 0; page < pages; ++page) pdf += std::to_string(3 + page) + " 0 R ";
  pdf += "] /Count " + std::to_string(declared) + " >>\nendobj\n";
  for (std::size_t page = 0; page < pages; ++page) {
    pdf += std::to_string(3 + page) + " 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Resources<<>>>>\nendobj\n";
  }
  return pdf + "trailer\n<< /Root 1 0 R >>\n%%EOF\n";
}


// PDF 1.5 style: the page tree and pages live compressed in an object stream.
bytes object_stream_pdf(std::size_t pages) {
  std::string objects = "<< /Type /Pages /Kids [] /Count " + std::to_string(pages) + " >>\n";
  for (std::size_t page = 0; page < pages; ++page) objects += "<< /Type /Page /Parent 2 0 R >>\n";
  const bytes compressed = mosaic::test::stored_zlib(objects);
  std::string head = "%PDF-1.5\n%\xE2\xE3\xCF\xD3\n5 0 obj\n<< /Type /ObjStm /N " + std::to_string(pages + 1) +
                     " /First 0 /Length " + std::to_string(compressed.size()) + " /Filter /FlateDecode >>\nstream\n";
  bytes pdf = as_bytes(head);
  pdf.insert(pdf.end(), compressed.begin(), compressed.end());
  const bytes tail = as_bytes("\nendstream\nendobj\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n%%EOF\n");
  pdf.insert(pdf.end(), tail.begin(), tail.end());
  return pdf;
}

}  // namespace

TEST_CASE("a PDF's pages are counted from its page tree", "[pdf]") {
  for (const std::size_t pages : {1u, 6u, 7u, 40u}) {
    auto counted = count_pdf_pages(as_bytes(plain_pdf(pages, pages)));
    REQUIRE(counted);
    CHECK(*counted == pages);
  }
}

TEST_CASE("when /Count and the page dictionaries disagree the larger wins", "[pdf]") {
  auto declared_more = count_pdf_pages(as_bytes(plain_pdf(3, 9)));
  REQUIRE(declared_more);
  CHECK(*declared_more == 9);
  auto found_more = count_pdf_pages(as_bytes(plain_pdf(8, 2)));
  REQUIRE(found_more);
  CHECK(*found_more == 8);
}

TEST_CASE("a nested /Count does not count and /Pages is not /Page", "[pdf]") {
  const std::string pdf = "%PDF-1.7\n2 0 obj\n<</Type/Pages/Kids[3 0 R]/Extra<</Count 99>>/Count 1>>\nendobj\n"
                          "3 0 obj\n<</Type /Page/Parent 2 0 R>>\nendobj\n";
  auto counted = count_pdf_pages(as_bytes(pdf));
  REQUIRE(counted);
  CHECK(*counted == 1);
}

TEST_CASE("page dictionaries inside stream data are not counted from the raw file", "[pdf]") {
  const std::string pdf = plain_pdf(2, 2) + "9 0 obj\n<< /Length 40 >>\nstream\n(/Type /Page /Type /Page /Type /Page)\nendstream\nendobj\n";
  auto counted = count_pdf_pages(as_bytes(pdf));
  REQUIRE(counted);
  CHECK(*counted == 2);
}

TEST_CASE("pages inside FlateDecode object streams are counted", "[pdf]") {
  auto counted = count_pdf_pages(object_stream_pdf(12));
  REQUIRE(counted);
  CHECK(*counted == 12);
}

TEST_CASE("a PDF whose pages cannot be counted is refused", "[pdf]") {
  auto no_header = count_pdf_pages(as_bytes("hello /Type /Page"));
  REQUIRE_FALSE(no_header);
  CHECK(no_header.failure().code == error_code::invalid_media);

  auto no_tree = count_pdf_pages(as_bytes("%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"));
  REQUIRE_FALSE(no_tree);
  CHECK(no_tree.failure().message.find("cannot be counted") != std::string::npos);

  bytes corrupt = object_stream_pdf(3);
  const std::size_t stream_at = std::string(corrupt.begin(), corrupt.end()).find("stream\n") + 7;
  corrupt[stream_at] = 0x00;  // not a zlib header
  auto refused = count_pdf_pages(corrupt);
  REQUIRE_FALSE(refused);
  CHECK(refused.failure().code == error_code::invalid_media);

  pdf_page_count_limits tight;
  tight.max_inflated_bytes = 16;
  auto too_large = count_pdf_pages(object_stream_pdf(3), tight);
  REQUIRE_FALSE(too_large);
  CHECK(too_large.failure().code == error_code::media_too_large);
}

TEST_CASE("every truncation of a PDF is counted or refused without harm", "[pdf]") {
  const bytes pdf = object_stream_pdf(4);
  for (std::size_t size = 0; size <= pdf.size(); ++size) {
    const bytes cut(pdf.begin(), pdf.begin() + static_cast<std::ptrdiff_t>(size));
    auto counted = count_pdf_pages(cut);
    if (counted) CHECK(*counted <= 4);
  }
}
