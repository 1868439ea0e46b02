// PDFs cut into parts with QPDF (server/extract/pdf_split), for Gemini's 6-page limit: each part is a
// PDF Poppler opens with the right pages, in order and with their text; hostile and locked files are
// refused with their reason. PDFs are written here byte by byte, encrypted ones with QPDF's writer.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include <qpdf/Buffer.hh>
#include <qpdf/Pl_Buffer.hh>
#include <qpdf/Pl_Flate.hh>
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

TEST_CASE("PDFs of 1, 6, 7 and 20 pages give parts of at most 6 pages covering every page", "[extract][pdf][split]") {
  for (const std::size_t pages : {1u, 6u, 7u, 20u}) {
    INFO(pages << " pages");
    const auto parts = split_pdf(testing::pdf_bytes(testing::make_text_pdf(numbered_pages(pages))));
    REQUIRE(parts);
    CHECK(parts->size() == (pages + 5) / 6);
    std::size_t next_page = 1;
    for (const pdf_part& part : parts.value()) {
      CHECK(part.first_page == next_page);
      CHECK(part.last_page - part.first_page + 1 <= 6);
      const auto contents = read_pdf(part.bytes);
      REQUIRE(contents);
      CHECK(contents->page_count == part.last_page - part.first_page + 1);
      CHECK(contents->page_texts.back() == "Lighthouse manual page " + std::to_string(part.last_page));
      next_page = part.last_page + 1;
    }
    CHECK(next_page == pages + 1);
  }
}

TEST_CASE("a zip-bomb-like PDF (a page stream inflating a thousandfold) is split without inflating it", "[extract][pdf][split][hostile]") {
  // Page 7's content: 16 MiB of spaces, Flate-compressed to some 16 KiB.
  constexpr std::size_t inflated = 16u << 20;
  Pl_Buffer compressed("bomb");
  {
    Pl_Flate deflate("deflate", &compressed, Pl_Flate::a_deflate);
    const std::string spaces(1u << 20, ' ');
    for (std::size_t written = 0; written < inflated; written += spaces.size()) {
      deflate.write(reinterpret_cast<const unsigned char*>(spaces.data()), spaces.size());
    }
    deflate.finish();
  }
  const std::shared_ptr<Buffer> bomb = compressed.getBufferSharedPointer();
  const std::string bomb_bytes(reinterpret_cast<const char*>(bomb->getBuffer()), bomb->getSize());
  REQUIRE(bomb_bytes.size() * 500 < inflated);
  std::vector<std::string> objects{"<< /Type /Catalog /Pages 2 0 R >>", "",
                                   "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"};
  std::string kids;
  for (std::size_t page = 1; page <= 7; ++page) {
    kids += std::to_string(2 + page * 2) + " 0 R ";
    objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                      "/Contents " + std::to_string(3 + page * 2) + " 0 R >>");
    const std::string drawing = "BT /F1 24 Tf 72 700 Td (Lighthouse manual page " + std::to_string(page) + ") Tj ET";
    objects.push_back(page < 7 ? "<< /Length " + std::to_string(drawing.size()) + " >>\nstream\n" + drawing + "\nendstream"
                               : "<< /Length " + std::to_string(bomb_bytes.size()) + " /Filter /FlateDecode >>\nstream\n" +
                                     bomb_bytes + "\nendstream");
  }
  objects[1] = "<< /Type /Pages /Kids [" + kids + "] /Count 7 >>";
  const auto pdf = testing::pdf_bytes(testing::pdf_from_objects(objects));

  const auto parts = split_pdf(pdf);
  REQUIRE(parts);
  REQUIRE(parts->size() == 2);
  // The bomb travels compressed: the part holding it is about its compressed size, not 16 MiB.
  CHECK(parts->back().bytes.size() < bomb_bytes.size() + 64 * 1024);
  CHECK(parts->front().bytes.size() < 64 * 1024);
  // Poppler reads the other pages' text and finds none on the bomb page; its text is bounded anyway.
  const auto contents = read_pdf(pdf);
  REQUIRE(contents);
  CHECK(contents->page_count == 7);
  CHECK(contents->page_texts.at(5) == "Lighthouse manual page 6");
  CHECK(contents->page_texts.at(6).empty());
}
