// The core's byte reader (shared/core/byte_reader.hpp): both byte orders at every width, reads that
// end exactly at the last byte, and the bounds checks (has_bytes, has_tag) at and past the end,
// including offsets so large that offset + count would overflow.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "core/byte_reader.hpp"

using namespace mosaic;

TEST_CASE("byte reader: both byte orders at every width", "[core][byte_reader]") {
  const std::array<std::uint8_t, 9> bytes = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xFF};
  const byte_span span(bytes);
  CHECK(read_big_endian_16(span, 1) == 0x0102);
  CHECK(read_little_endian_16(span, 1) == 0x0201);
  CHECK(read_big_endian_32(span, 0) == 0x00010203u);
  CHECK(read_little_endian_32(span, 0) == 0x03020100u);
  CHECK(read_big_endian_64(span, 0) == 0x0001020304050607ull);
  CHECK(read_big_endian(span, 5, 3) == 0x050607u);
  CHECK(read_little_endian(span, 5, 3) == 0x070605u);
  CHECK(read_big_endian(span, 3, 0) == 0);
  // High bytes stay unsigned: no sign extension from 0xFF.
  CHECK(read_big_endian_16(span, 7) == 0x07FF);
  CHECK(read_little_endian_16(span, 7) == 0xFF07);
  CHECK(read_big_endian_32(span, 5) == 0x050607FFu);
  CHECK(read_little_endian_32(span, 5) == 0xFF070605u);
  static_assert(read_big_endian_32(byte_span(std::array<std::uint8_t, 4>{0xDE, 0xAD, 0xBE, 0xEF}), 0) == 0xDEADBEEFu);
}

TEST_CASE("byte reader: bounds at and past the end, without overflow", "[core][byte_reader]") {
  const std::vector<std::uint8_t> bytes = {'R', 'I', 'F', 'F', 0x24, 0x00, 0x00, 0x00};
  const byte_span span(bytes);
  constexpr std::size_t huge = std::numeric_limits<std::size_t>::max();

  CHECK(has_bytes(span, 0, 8));
  CHECK(has_bytes(span, 4, 4));   // the last four bytes exactly
  CHECK_FALSE(has_bytes(span, 5, 4));
  CHECK(has_bytes(span, 8, 0));   // nothing, at the end
  CHECK_FALSE(has_bytes(span, 9, 0));
  CHECK_FALSE(has_bytes(span, huge, 1));
  CHECK_FALSE(has_bytes(span, 1, huge));  // offset + count would wrap around
  CHECK_FALSE(has_bytes(span, huge, huge));
  CHECK(has_bytes(byte_span(), 0, 0));
  CHECK_FALSE(has_bytes(byte_span(), 0, 1));

  CHECK(read_little_endian_32(span, 4) == 0x24u);  // a read that ends at the last byte
  CHECK(has_tag(span, 0, "RIFF"));
  CHECK_FALSE(has_tag(span, 0, "RIFX"));
  CHECK(has_tag(span, 5, std::string_view("\0\0\0", 3)));  // the last three bytes
  CHECK_FALSE(has_tag(span, 6, std::string_view("\0\0\0", 3)));  // would pass the end by one
  CHECK(has_tag(span, 8, ""));
  CHECK_FALSE(has_tag(span, 9, ""));
  CHECK_FALSE(has_tag(span, huge, "R"));
  CHECK_FALSE(has_tag(byte_span(), 0, "R"));
}
