// PDFs cut into parts with QPDF (server/extract/pdf_split), for Gemini's 6-page limit: each part is a
// PDF Poppler opens with the right pages, in order and with their text; hostile and locked files are
// refused with their reason. PDFs are written here byte by byte, encrypted ones with QPDF's writer.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include <qpdf/Buffer.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFWriter.hh>

#include "extract/pdf_document.hpp"
#include "extract/pdf_split.hpp"
#include "pdf_fixtures.hpp"

using namespace mosaic;
using namespace mosaic::extract;

namespace {

std::vector<std::string> numbered_pages(std::size_t count) {
  std::vector<std::string> lines;
  for (std::size_t page = 1; page <= count; ++page) lines.push_back("Lighthouse manual page " + std::to_string(page));
  return lines;
}

// `plain` rewritten by QPDF with AES-256 encryption (R6); an empty user password opens it for anyone.
std::vector<std::uint8_t> encrypted(const std::vector<std::uint8_t>& plain, const char* user_password) {
  QPDF source;
  source.processMemoryFile("fixture", reinterpret_cast<const char*>(plain.data()), plain.size());
  QPDFWriter writer(source);
  writer.setOutputMemory();
  writer.setR6EncryptionParameters(user_password, "owner secret", true, false, true, false, false, false, qpdf_r3p_full, true);
  writer.write();
  const std::shared_ptr<Buffer> buffer = writer.getBufferSharedPointer();
  return {buffer->getBuffer(), buffer->getBuffer() + buffer->getSize()};
}

}  // namespace

TEST_CASE("a 14-page PDF becomes parts of 6, 6 and 2 pages that Poppler opens", "[extract][pdf][split]") {
  const auto original = testing::pdf_bytes(testing::make_text_pdf(numbered_pages(14)));
  const auto parts = split_pdf(original);
  REQUIRE(parts);
  REQUIRE(parts->size() == 3);
  const std::size_t expected_first[] = {1, 7, 13};
  const std::size_t expected_last[] = {6, 12, 14};
  for (std::size_t index = 0; index < 3; ++index) {
    const pdf_part& part = (*parts)[index];
    INFO("part " << index + 1);
    CHECK(part.first_page == expected_first[index]);
    CHECK(part.last_page == expected_last[index]);
    const auto contents = read_pdf(part.bytes);
    REQUIRE(contents);
    CHECK(contents->page_count == part.last_page - part.first_page + 1);
    // The pages are the original's, in order: their text says which they are.
    REQUIRE(contents->page_texts.size() == contents->page_count);
    for (std::size_t page = 0; page < contents->page_count; ++page) {
      CHECK(contents->page_texts[page] == "Lighthouse manual page " + std::to_string(part.first_page + page));
    }
  }
  // Made in memory and deterministic: the same PDF gives the same parts (the embedding cache's key).
  const auto again = split_pdf(original);
  REQUIRE(again);
  for (std::size_t index = 0; index < 3; ++index) CHECK((*again)[index].bytes == (*parts)[index].bytes);
}

TEST_CASE("a PDF within one part is one part; the part size and page cap are honoured", "[extract][pdf][split]") {
  const auto six = testing::pdf_bytes(testing::make_text_pdf(numbered_pages(6)));
  const auto whole = split_pdf(six);
  REQUIRE(whole);
  REQUIRE(whole->size() == 1);
  CHECK(whole->front().first_page == 1);
  CHECK(whole->front().last_page == 6);

  const auto seven = testing::pdf_bytes(testing::make_text_pdf(numbered_pages(7)));
  pdf_split_limits limits;
  limits.pages_per_part = 3;
  const auto threes = split_pdf(seven, limits);
  REQUIRE(threes);
  REQUIRE(threes->size() == 3);
  CHECK(threes->back().first_page == 7);
  CHECK(threes->back().last_page == 7);
  CHECK(read_pdf(threes->back().bytes)->page_texts.at(0) == "Lighthouse manual page 7");

  limits.max_pages = 6;
  const auto capped = split_pdf(seven, limits);
  REQUIRE_FALSE(capped);
  CHECK(capped.failure().code == error_code::media_too_large);
  CHECK(capped.failure().message.find("7 pages") != std::string::npos);
  limits.pages_per_part = 0;
  CHECK(split_pdf(seven, limits).failure().code == error_code::invalid_argument);
}

TEST_CASE("locked, damaged and foreign PDFs are refused with their reason", "[extract][pdf][split]") {
  const auto plain = testing::pdf_bytes(testing::make_text_pdf(numbered_pages(8)));
  const auto locked = split_pdf(encrypted(plain, "user secret"));
  REQUIRE_FALSE(locked);
  CHECK(locked.failure().code == error_code::unsupported_media);
  CHECK(locked.failure().message.find("password") != std::string::npos);

  // An owner password only: it opens like in any reader, and its parts are written unencrypted.
  const auto permissions_only = split_pdf(encrypted(plain, ""));
  REQUIRE(permissions_only);
  REQUIRE(permissions_only->size() == 2);
  const auto second = read_pdf(permissions_only->back().bytes);
  REQUIRE(second);
  CHECK(second->page_count == 2);
  CHECK(second->page_texts.at(1) == "Lighthouse manual page 8");

  const std::string whole = testing::make_text_pdf(numbered_pages(8));
  const auto truncated = split_pdf(testing::pdf_bytes(whole.substr(0, 40)));
  REQUIRE_FALSE(truncated);
  CHECK(truncated.failure().code == error_code::invalid_media);
  const auto foreign = split_pdf(testing::pdf_bytes("PK\x03\x04 not a PDF at all"));
  REQUIRE_FALSE(foreign);
  CHECK(foreign.failure().message.find("%PDF-") != std::string::npos);
  CHECK_FALSE(split_pdf({}));
}
