#include "base64.hpp"

#include <array>

namespace mosaic::gemini_double {
namespace {

constexpr std::uint8_t not_base64 = 0xFF;

constexpr std::array<std::uint8_t, 256> make_decoding_table() {
  std::array<std::uint8_t, 256> table{};
  for (auto& entry : table) entry = not_base64;
  constexpr std::string_view standard = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t index = 0; index < standard.size(); ++index) {
    table[static_cast<unsigned char>(standard[index])] = static_cast<std::uint8_t>(index);
  }
  // The URL-safe alphabet differs only in these two characters.
  table[static_cast<unsigned char>('-')] = 62;
  table[static_cast<unsigned char>('_')] = 63;
  return table;
}

constexpr std::array<std::uint8_t, 256> decoding_table = make_decoding_table();

}  // namespace

std::optional<std::vector<std::uint8_t>> decode_base64(std::string_view encoded) {
  // Padding, when present, completes the last quartet: strip it and check it was the right amount.
  std::size_t padding = 0;
  while (padding < 2 && padding < encoded.size() && encoded[encoded.size() - 1 - padding] == '=') ++padding;
  const std::string_view symbols = encoded.substr(0, encoded.size() - padding);
  if (padding > 0 && encoded.size() % 4 != 0) return std::nullopt;
  // A single leftover symbol carries only 6 bits: no byte can end there.
  if (symbols.size() % 4 == 1) return std::nullopt;

  std::vector<std::uint8_t> bytes;
  bytes.reserve(symbols.size() / 4 * 3 + 2);
  std::uint32_t accumulator = 0;
  int accumulated_bits = 0;
  for (const char symbol : symbols) {
    const std::uint8_t value = decoding_table[static_cast<unsigned char>(symbol)];
    if (value == not_base64) return std::nullopt;
    accumulator = ((accumulator << 6) | value) & 0xFFFFFFu;  // at most 14 bits are ever pending
    accumulated_bits += 6;
    if (accumulated_bits >= 8) {
      accumulated_bits -= 8;
      bytes.push_back(static_cast<std::uint8_t>((accumulator >> accumulated_bits) & 0xFFu));
    }
  }
  return bytes;
}

}  // namespace mosaic::gemini_double
