#pragma once
// The separators of a PNM (PBM/PGM/PPM) header: whitespace, and "#" comments up to the end of their
// line, as stb skips them between header numbers. Used by media detection (is it a PNM at all?) and
// by the structure check (its numbers, before stb reads them), so both agree on where a number starts.
#include <cstddef>
#include <cstdint>
#include <span>

namespace mosaic::media {

constexpr bool is_pnm_space(std::uint8_t byte) noexcept {
  return byte == ' ' || byte == '\t' || byte == '\n' || byte == '\r' || byte == '\v' || byte == '\f';
}

// The offset of the first byte at or after `offset` that is neither whitespace nor inside a comment.
constexpr std::size_t skip_pnm_spaces(std::span<const std::uint8_t> bytes, std::size_t offset) noexcept {
  while (offset < bytes.size()) {
    if (is_pnm_space(bytes[offset])) {
      ++offset;
    } else if (bytes[offset] == '#') {
      while (offset < bytes.size() && bytes[offset] != '\n' && bytes[offset] != '\r') ++offset;
    } else {
      break;
    }
  }
  return offset;
}

}  // namespace mosaic::media
