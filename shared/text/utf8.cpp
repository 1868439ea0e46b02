#include "text/utf8.hpp"

namespace mosaic::text {
namespace {

std::string hex_byte(std::uint8_t byte) {
  constexpr std::string_view digits = "0123456789ABCDEF";
  return std::string("0x") + digits[static_cast<std::size_t>(byte >> 4U)] + digits[static_cast<std::size_t>(byte & 0x0FU)];
}

utf8_error failure(std::size_t offset, std::size_t sequence_offset, utf8_problem problem, std::uint8_t lead,
                   std::uint8_t byte, std::size_t length) noexcept {
  return utf8_error{offset, sequence_offset, problem, lead, byte, static_cast<std::uint8_t>(length)};
}

// The range the byte after a lead byte must fall in. Four lead bytes narrow it, so that overlong
// forms, surrogates and values above U+10FFFF are found at the byte that makes them one; a
// continuation byte outside the range is `outside`.
struct second_byte_range {
  std::uint8_t minimum;
  std::uint8_t maximum;
  utf8_problem outside;
};

constexpr second_byte_range second_byte_range_after(std::uint8_t lead) noexcept {
  switch (lead) {
    case 0xE0U: return {0xA0U, 0xBFU, utf8_problem::overlong};        // below U+0800
    case 0xEDU: return {0x80U, 0x9FU, utf8_problem::surrogate};       // U+D800..U+DFFF
    case 0xF0U: return {0x90U, 0xBFU, utf8_problem::overlong};        // below U+10000
    case 0xF4U: return {0x80U, 0x8FU, utf8_problem::beyond_maximum};  // above U+10FFFF
    default: return {0x80U, 0xBFU, utf8_problem::not_a_continuation};
  }
}

}  // namespace

std::string utf8_error::description() const {
  switch (problem) {
    case utf8_problem::unexpected_continuation: return "unexpected continuation byte " + hex_byte(byte);
    case utf8_problem::invalid_lead_byte:
      return "byte " + hex_byte(byte) + " never starts a character (overlong or beyond U+10FFFF)";
    case utf8_problem::truncated:
      return "the " + std::to_string(length) + "-byte sequence is cut off by the end of the text";
    case utf8_problem::not_a_continuation:
    case utf8_problem::overlong:
    case utf8_problem::surrogate:
    case utf8_problem::beyond_maximum: break;
  }
  std::string text = "byte " + hex_byte(byte) + " cannot continue the sequence that starts with " + hex_byte(lead);
  if (problem == utf8_problem::overlong) text += " (an overlong form)";
  if (problem == utf8_problem::surrogate) text += " (a UTF-16 surrogate)";
  if (problem == utf8_problem::beyond_maximum) text += " (beyond U+10FFFF)";
  return text;
}

std::optional<utf8_error> decode_utf8(std::span<const std::uint8_t> bytes, std::vector<char32_t>* code_points) {
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    const std::uint8_t lead = bytes[offset];
    if (lead < 0x80U) {
      if (code_points != nullptr) code_points->push_back(lead);
      ++offset;
      continue;
    }
    std::size_t length = 0;
    if (lead >= 0xC2U && lead <= 0xDFU) {
      length = 2;
    } else if (lead >= 0xE0U && lead <= 0xEFU) {
      length = 3;
    } else if (lead >= 0xF0U && lead <= 0xF4U) {
      length = 4;
    } else if (lead <= 0xBFU) {
      return failure(offset, offset, utf8_problem::unexpected_continuation, lead, lead, 1);
    } else {
      return failure(offset, offset, utf8_problem::invalid_lead_byte, lead, lead, 1);
    }
    char32_t value = lead & (0x7FU >> length);  // the lead byte's payload bits
    const second_byte_range second = second_byte_range_after(lead);
    for (std::size_t index = 1; index < length; ++index) {
      if (offset + index == bytes.size()) return failure(offset, offset, utf8_problem::truncated, lead, lead, length);
      const std::uint8_t byte = bytes[offset + index];
      const std::uint8_t minimum = index == 1 ? second.minimum : std::uint8_t{0x80U};
      const std::uint8_t maximum = index == 1 ? second.maximum : std::uint8_t{0xBFU};
      if (byte < minimum || byte > maximum) {
        const bool is_continuation = byte >= 0x80U && byte <= 0xBFU;
        return failure(offset + index, offset, is_continuation ? second.outside : utf8_problem::not_a_continuation,
                       lead, byte, length);
      }
      value = (value << 6U) | (byte & 0x3FU);
    }
    if (code_points != nullptr) code_points->push_back(value);
    offset += length;
  }
  return std::nullopt;
}

status decode_utf8(std::string_view text, std::string_view what, std::vector<char32_t>& code_points) {
  const std::span bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  if (const auto invalid = decode_utf8(bytes, &code_points)) {
    return make_error(error_code::invalid_utf8, std::string(what) + " is not valid UTF-8 at byte " +
                                                    std::to_string(invalid->offset) + ": " + invalid->description());
  }
  return success{};
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

}  // namespace mosaic::text
