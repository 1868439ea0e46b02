#pragma once
// zlib with one stored (uncompressed) deflate block: valid input for any inflater, so tests and fuzz
// seeds can make compressed PDF object streams and PNG data without a compressor.
#include <cstdint>
#include <string>
#include <vector>

namespace mosaic::test {

inline std::vector<std::uint8_t> stored_zlib(const std::string& data) {
  std::vector<std::uint8_t> out = {0x78, 0x01, 0x01};
  const auto length = static_cast<std::uint16_t>(data.size());
  out.push_back(static_cast<std::uint8_t>(length));
  out.push_back(static_cast<std::uint8_t>(length >> 8));
  out.push_back(static_cast<std::uint8_t>(~length));
  out.push_back(static_cast<std::uint8_t>(~length >> 8));
  out.insert(out.end(), data.begin(), data.end());
  std::uint32_t a = 1, b = 0;
  for (const char character : data) {
    a = (a + static_cast<std::uint8_t>(character)) % 65521;
    b = (b + a) % 65521;
  }
  const std::uint32_t adler = b << 16 | a;
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(adler >> shift));
  return out;
}

}  // namespace mosaic::test
