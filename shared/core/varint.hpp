#pragma once
// Unsigned LEB128 ("varint"): 7 bits per byte, least significant group first, the high bit set on every
// byte but the last. The reader is strict, as docs/format.md asks, so that every value has exactly one
// encoding and a hostile file cannot hide bytes in a number: at most 10 bytes, the tenth carries only
// bit 63 (0 or 1), and no redundant trailing zero group (0x80 0x00 for 0 is refused).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace mosaic {

inline constexpr std::size_t max_varint_bytes = 10;

enum class varint_outcome : std::uint8_t {
  ok,
  past_end,  // the bytes end before the last byte of the varint (its block is cut short)
  overlong,  // more than 10 bytes, bits beyond 64, or a redundant trailing zero group
};

// Reads the varint at `offset` in `bytes` (nothing past bytes.end() is touched) and, on ok, advances
// `offset` past it. On failure `offset` and `value` are left unchanged.
constexpr varint_outcome read_varint(std::span<const std::uint8_t> bytes, std::size_t& offset,
                                     std::uint64_t& value) noexcept {
  if (offset < bytes.size() && bytes[offset] < 0x80U) {  // most varints in an index are one byte
    value = bytes[offset];
    ++offset;
    return varint_outcome::ok;
  }
  std::uint64_t result = 0;
  std::size_t at = offset;
  for (std::size_t index = 0; index < max_varint_bytes; ++index, ++at) {
    if (at >= bytes.size()) return varint_outcome::past_end;
    const std::uint8_t byte = bytes[at];
    const std::uint64_t group = byte & 0x7FU;
    // The tenth byte holds bit 63 only: anything more does not fit in 64 bits.
    if (index == max_varint_bytes - 1 && byte > 1) return varint_outcome::overlong;
    result |= group << (7 * index);
    if ((byte & 0x80U) == 0) {
      if (byte == 0 && index > 0) return varint_outcome::overlong;  // a zero last group adds nothing
      offset = at + 1;
      value = result;
      return varint_outcome::ok;
    }
  }
  return varint_outcome::overlong;
}

inline void append_varint(std::vector<std::uint8_t>& bytes, std::uint64_t value) {
  while (value >= 0x80U) {
    bytes.push_back(static_cast<std::uint8_t>((value & 0x7FU) | 0x80U));
    value >>= 7U;
  }
  bytes.push_back(static_cast<std::uint8_t>(value));
}

constexpr std::size_t varint_size(std::uint64_t value) noexcept {
  std::size_t size = 1;
  while (value >= 0x80U) {
    value >>= 7U;
    ++size;
  }
  return size;
}

}  // namespace mosaic
