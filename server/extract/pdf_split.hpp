#pragma once
// Cutting a PDF into parts of consecutive pages with QPDF (libqpdf), for Gemini, which embeds a PDF
// of at most 6 pages: each part is a PDF of its own, written in memory (never beside the original),
// its pages copied with everything they use (fonts, images) and nothing else. The bytes are hostile:
// QPDF rebuilds a damaged cross-reference table when it can; what it cannot read, or a PDF that needs
// a password, is an error value with the reason. A PDF encrypted with an owner password only opens,
// and its parts are written unencrypted (as they display). Parts are deterministic: the same PDF
// gives the same bytes (their /ID is a digest of their contents), so the embedding cache finds them.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"

namespace mosaic::extract {

struct pdf_split_limits {
  std::size_t pages_per_part = 6;  // at least 1
  std::size_t max_pages = 2000;    // a longer PDF is refused rather than sent as hundreds of parts
};

struct pdf_part {
  std::size_t first_page = 0;  // in the original, from 1
  std::size_t last_page = 0;   // inclusive
  std::vector<std::uint8_t> bytes;
};

// The parts, in page order: pages 1..pages_per_part, then the next, the last one holding the rest.
// Errors: invalid_argument (pages_per_part 0), invalid_media (not a PDF QPDF can read, no pages),
// unsupported_media (encrypted with a password), media_too_large (over max_pages, or over 2 GiB).
result<std::vector<pdf_part>> split_pdf(std::span<const std::uint8_t> bytes, const pdf_split_limits& limits = {});

}  // namespace mosaic::extract
