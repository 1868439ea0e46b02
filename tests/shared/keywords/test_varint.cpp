// Varints (shared/core/varint.hpp): unsigned LEB128, and the strictness docs/format.md asks for, so a
// value has exactly one encoding.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <vector>

#include "core/varint.hpp"

using mosaic::append_varint;
using mosaic::read_varint;
using mosaic::varint_outcome;
using bytes = std::vector<std::uint8_t>;

namespace {

bytes encoded(std::uint64_t value) {
  bytes out;
  append_varint(out, value);
  return out;
}

varint_outcome outcome_of(const bytes& input) {
  std::size_t offset = 0;
  std::uint64_t value = 0;
  return read_varint(input, offset, value);
}

}  // namespace

TEST_CASE("keywords varint: known encodings", "[keywords][varint]") {
  CHECK(encoded(0) == bytes{0x00});
  CHECK(encoded(1) == bytes{0x01});
  CHECK(encoded(127) == bytes{0x7F});
  CHECK(encoded(128) == bytes{0x80, 0x01});
  CHECK(encoded(300) == bytes{0xAC, 0x02});
  CHECK(encoded(16383) == bytes{0xFF, 0x7F});
  CHECK(encoded(16384) == bytes{0x80, 0x80, 0x01});
  CHECK(encoded(std::numeric_limits<std::uint64_t>::max()) ==
        bytes{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01});
  CHECK(mosaic::varint_size(0) == 1);
  CHECK(mosaic::varint_size(128) == 2);
  CHECK(mosaic::varint_size(std::numeric_limits<std::uint64_t>::max()) == 10);
}

TEST_CASE("keywords varint: every length round trips and advances the offset", "[keywords][varint]") {
  std::vector<std::uint64_t> values = {0, 1, 127, 128, 255, 256, 16383, 16384, 0xFFFFFFFFULL, 0x100000000ULL,
                                       std::uint64_t{1} << 63U, std::numeric_limits<std::uint64_t>::max()};
  for (unsigned shift = 0; shift < 64; ++shift) values.push_back((std::uint64_t{1} << shift) - 1);
  bytes stream;
  for (std::uint64_t value : values) append_varint(stream, value);
  std::size_t offset = 0;
  for (std::uint64_t value : values) {
    std::uint64_t decoded = 0;
    REQUIRE(read_varint(stream, offset, decoded) == varint_outcome::ok);
    CHECK(decoded == value);
  }
  CHECK(offset == stream.size());
}

TEST_CASE("keywords varint: redundant, too long and too large encodings are overlong", "[keywords][varint]") {
  CHECK(outcome_of({0x80, 0x00}) == varint_outcome::overlong);        // 0 in two bytes
  CHECK(outcome_of({0x81, 0x80, 0x00}) == varint_outcome::overlong);  // 1 in three bytes
  CHECK(outcome_of({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02}) == varint_outcome::overlong);  // 2^64
  CHECK(outcome_of({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}) == varint_outcome::overlong);
  CHECK(outcome_of({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x81}) == varint_outcome::overlong);
  CHECK(outcome_of({0x00}) == varint_outcome::ok);
}

TEST_CASE("keywords varint: a varint cut by the end of its bytes is past_end, and nothing moves", "[keywords][varint]") {
  CHECK(outcome_of({}) == varint_outcome::past_end);
  CHECK(outcome_of({0x80}) == varint_outcome::past_end);
  CHECK(outcome_of({0xFF, 0xFF}) == varint_outcome::past_end);
  const bytes input = {0x05, 0x80};
  std::size_t offset = 1;
  std::uint64_t value = 42;
  CHECK(read_varint(input, offset, value) == varint_outcome::past_end);
  CHECK(offset == 1);
  CHECK(value == 42);
  // A block is a subspan: the reader stops at its end even when the buffer goes on.
  const bytes longer = {0x85, 0x01, 0x00};
  offset = 0;
  CHECK(read_varint(std::span(longer).first(1), offset, value) == varint_outcome::past_end);
  CHECK(read_varint(longer, offset, value) == varint_outcome::ok);
  CHECK(value == 133);
}
