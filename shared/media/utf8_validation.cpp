#include "media/utf8_validation.hpp"

namespace mosaic::media {

std::optional<utf8_error> find_utf8_error(std::span<const std::uint8_t> bytes) noexcept {
  std::size_t index = 0;
  while (index < bytes.size()) {
    const std::uint8_t lead = bytes[index];
    if (lead < 0x80) {
      ++index;
      continue;
    }
    std::size_t continuation_count = 0;
    std::uint32_t code_point = 0;
    std::uint32_t smallest_allowed = 0;  // anything below is an overlong form of a shorter sequence
    if (lead >= 0xC2 && lead <= 0xDF) {  // 0xC0 and 0xC1 can only start overlong forms
      continuation_count = 1;
      code_point = lead & 0x1Fu;
      smallest_allowed = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      continuation_count = 2;
      code_point = lead & 0x0Fu;
      smallest_allowed = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {  // 0xF5.. would start values beyond U+10FFFF
      continuation_count = 3;
      code_point = lead & 0x07u;
      smallest_allowed = 0x10000;
    } else if (lead >= 0x80 && lead <= 0xBF) {
      return utf8_error{index, "continuation byte without a lead byte"};
    } else if (lead == 0xC0 || lead == 0xC1) {
      return utf8_error{index, "overlong encoding"};
    } else {
      return utf8_error{index, "byte that never occurs in UTF-8"};
    }
    if (bytes.size() - index <= continuation_count) return utf8_error{index, "sequence cut short by the end of the input"};
    for (std::size_t position = 1; position <= continuation_count; ++position) {
      const std::uint8_t next = bytes[index + position];
      if ((next & 0xC0) != 0x80) return utf8_error{index, "sequence cut short by a byte that is not a continuation"};
      code_point = (code_point << 6) | (next & 0x3Fu);
    }
    if (code_point < smallest_allowed) return utf8_error{index, "overlong encoding"};
    if (code_point >= 0xD800 && code_point <= 0xDFFF) return utf8_error{index, "surrogate code point"};
    if (code_point > 0x10FFFF) return utf8_error{index, "code point beyond U+10FFFF"};
    index += continuation_count + 1;
  }
  return std::nullopt;
}

std::string latin1_to_utf8(std::span<const std::uint8_t> bytes) {
  std::string text;
  text.reserve(bytes.size());
  for (const std::uint8_t byte : bytes) {
    if (byte < 0x80) {
      text.push_back(static_cast<char>(byte));
    } else {
      text.push_back(static_cast<char>(0xC0 | (byte >> 6)));
      text.push_back(static_cast<char>(0x80 | (byte & 0x3F)));
    }
  }
  return text;
}

}  // namespace mosaic::media
