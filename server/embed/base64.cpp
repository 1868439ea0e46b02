#include "embed/base64.hpp"

#include <array>
#include <cstdint>

namespace mosaic::server {
namespace {

constexpr std::string_view base64_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t not_base64 = 0xFF;

constexpr std::array<std::uint8_t, 256> make_decoding_table() {
  std::array<std::uint8_t, 256> table{};
  for (auto& entry : table) entry = not_base64;
  for (std::size_t index = 0; index < base64_alphabet.size(); ++index) {
    table[static_cast<unsigned char>(base64_alphabet[index])] = static_cast<std::uint8_t>(index);
  }
  // proto3 JSON readers also take the URL-safe alphabet, which differs only in these two.
  table[static_cast<unsigned char>('-')] = 62;
  table[static_cast<unsigned char>('_')] = 63;
  return table;
}

constexpr std::array<std::uint8_t, 256> decoding_table = make_decoding_table();

error base64_error(std::size_t offset, std::string_view why) {
  return make_error(error_code::invalid_argument,
                    "invalid base64 at offset " + std::to_string(offset) + ": " + std::string(why));
}

}  // namespace

result<std::string> decode_base64(std::string_view text) {
  // Padding, when present, completes the last quartet; it is optional, as for proto3 JSON readers.
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  const std::string_view symbols = text.substr(0, text.size() - padding);
  // Characters first, so the error names the first offending one.
  for (std::size_t offset = 0; offset < symbols.size(); ++offset) {
    if (decoding_table[static_cast<unsigned char>(symbols[offset])] == not_base64) {
      return base64_error(offset, symbols[offset] == '=' ? "'=' padding inside the text"
                                                         : "a character outside the base64 alphabet");
    }
  }
  if (padding > 0 && text.size() % 4 != 0) {
    return base64_error(symbols.size(), "the '=' padding does not complete a group of four");
  }
  // A lone last symbol carries 6 bits: no byte can end there.
  if (symbols.size() % 4 == 1) return base64_error(symbols.size() - 1, "the text ends in the middle of a byte");

  std::string bytes;
  bytes.reserve(symbols.size() / 4 * 3 + 2);
  std::uint32_t accumulator = 0;
  int accumulated_bits = 0;
  for (const char symbol : symbols) {
    accumulator = ((accumulator << 6) | decoding_table[static_cast<unsigned char>(symbol)]) & 0xFFFFFFu;
    accumulated_bits += 6;  // at most 14 bits are ever pending
    if (accumulated_bits >= 8) {
      accumulated_bits -= 8;
      bytes.push_back(static_cast<char>((accumulator >> accumulated_bits) & 0xFFu));
    }
  }
  return bytes;
}

std::string encode_base64(std::string_view bytes) {
  std::string text;
  text.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t index = 0;
  for (; index + 3 <= bytes.size(); index += 3) {
    const std::uint32_t group = (std::uint32_t{static_cast<unsigned char>(bytes[index])} << 16) |
                                (std::uint32_t{static_cast<unsigned char>(bytes[index + 1])} << 8) |
                                std::uint32_t{static_cast<unsigned char>(bytes[index + 2])};
    text += base64_alphabet[(group >> 18) & 0x3F];
    text += base64_alphabet[(group >> 12) & 0x3F];
    text += base64_alphabet[(group >> 6) & 0x3F];
    text += base64_alphabet[group & 0x3F];
  }
  const std::size_t left = bytes.size() - index;
  if (left > 0) {
    std::uint32_t group = std::uint32_t{static_cast<unsigned char>(bytes[index])} << 16;
    if (left == 2) group |= std::uint32_t{static_cast<unsigned char>(bytes[index + 1])} << 8;
    text += base64_alphabet[(group >> 18) & 0x3F];
    text += base64_alphabet[(group >> 12) & 0x3F];
    text += left == 2 ? base64_alphabet[(group >> 6) & 0x3F] : '=';
    text += '=';
  }
  return text;
}

}  // namespace mosaic::server
