#pragma once
// How many pages a PDF has, conservatively, without a PDF library. Two counts are made over the file
// and over its FlateDecode object streams (PDF 1.5+ keeps most dictionaries compressed there): the
// largest /Count of a /Type /Pages dictionary (the root of the page tree has the whole count) and
// the number of /Type /Page dictionaries. The answer is the larger: an incremental update that
// deleted pages can make it too high, never too low, so a caller enforcing a page limit errs on the
// side of refusing. Strings and comments are not tokenised, so a page dictionary quoted inside a
// string would count too; that also only errs high.
#include <cstdint>
#include <span>

#include "core/result.hpp"

namespace mosaic::media {

struct pdf_page_count_limits {
  std::size_t max_object_streams = 10000;
  std::size_t max_inflated_bytes = 64ull * 1024 * 1024;  // over all object streams together
};

// Errors: invalid_media (no %PDF- header, no page dictionary found anywhere, so the count is
// unknown; a corrupt object stream), media_too_large (object streams beyond the limits).
result<std::uint64_t> count_pdf_pages(std::span<const std::uint8_t> bytes, const pdf_page_count_limits& limits = {});

}  // namespace mosaic::media
