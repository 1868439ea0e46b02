#pragma once
// What Mosaic reads from a PDF through Poppler (libpoppler-cpp): the text of each page and a picture
// of its first page for the thumbnail. The bytes are hostile: Poppler repairs what it can (a missing
// cross-reference table is rebuilt), and what it cannot open is an error value with the reason. A
// PDF that needs a password is refused, never guessed at; one encrypted with an owner password only
// (permissions, no user password) opens like any other, as in every PDF reader.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace mosaic::extract {

struct pdf_reading_limits {
  std::size_t max_pages = 2000;                       // pages whose text is read; later pages are counted only
  std::size_t max_text_bytes = 8ull * 1024 * 1024;    // over all pages: a text bomb stops here
  std::uint32_t picture_longest_side = 256;           // the first page's picture, in pixels
};

struct pdf_contents {
  std::size_t page_count = 0;
  std::vector<std::string> page_texts;   // valid UTF-8, trimmed; empty for a page without a text layer
  std::vector<std::uint8_t> first_page_rgb;  // picture_width * picture_height * 3 bytes; empty: no picture
  std::uint32_t picture_width = 0;
  std::uint32_t picture_height = 0;
  bool text_cut = false;  // max_pages or max_text_bytes stopped the reading
};

// Errors: invalid_media (not a PDF Poppler can open: truncated beyond repair, no pages),
// unsupported_media (encrypted with a password), media_too_large (over 2 GiB).
result<pdf_contents> read_pdf(std::span<const std::uint8_t> bytes, const pdf_reading_limits& limits = {});

}  // namespace mosaic::extract
