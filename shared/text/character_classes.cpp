#include "text/character_classes.hpp"

#include <algorithm>
#include <cstddef>
#include <span>

// Generated at build time (scripts/generate-unicode-tables.mjs); see character_classes.hpp.
namespace mosaic::text::unicode_tables {
extern const char unicode_version[];
extern const std::uint32_t character_kind_ranges[];
extern const std::size_t character_kind_range_count;
extern const std::uint32_t fold_keys[];
extern const std::uint32_t fold_values[];
extern const std::size_t fold_count;
extern const char32_t fold_sequences[];
}  // namespace mosaic::text::unicode_tables

namespace mosaic::text {
namespace {

namespace tables = unicode_tables;

constexpr std::uint32_t sequence_flag = 0x80000000U;

// The range holding a code point: the last whose first code point is not after it.
std::uint32_t range_of(char32_t code_point) noexcept {
  const std::span ranges(tables::character_kind_ranges, tables::character_kind_range_count);
  const std::uint32_t key = (static_cast<std::uint32_t>(code_point) << 8U) | 0xFFU;
  const auto after = std::upper_bound(ranges.begin(), ranges.end(), key);
  return *(after - 1);  // the first range starts at U+0000
}

}  // namespace

std::string_view unicode_version() noexcept { return tables::unicode_version; }

character_kind kind_of(char32_t code_point) noexcept {
  if (code_point > 0x10FFFFU) return character_kind::other;
  if (code_point < 0x80U) {  // the common case, without a search
    if ((code_point | 0x20U) >= U'a' && (code_point | 0x20U) <= U'z') return character_kind::latin_greek_letter;
    if (code_point >= U'0' && code_point <= U'9') return character_kind::digit;
    return character_kind::other;
  }
  return static_cast<character_kind>(range_of(code_point) & 0xFFU);
}

int digit_value(char32_t code_point) noexcept {
  if (code_point > 0x10FFFFU) return -1;
  const std::uint32_t range = range_of(code_point);
  if (static_cast<character_kind>(range & 0xFFU) != character_kind::digit) return -1;
  return static_cast<int>(static_cast<std::uint32_t>(code_point) - (range >> 8U));
}

void append_utf8(char32_t code_point, std::string& output) {
  const auto value = static_cast<std::uint32_t>(code_point);
  if (value < 0x80U) {
    output.push_back(static_cast<char>(value));
  } else if (value < 0x800U) {
    output.push_back(static_cast<char>(0xC0U | (value >> 6U)));
    output.push_back(static_cast<char>(0x80U | (value & 0x3FU)));
  } else if (value < 0x10000U) {
    output.push_back(static_cast<char>(0xE0U | (value >> 12U)));
    output.push_back(static_cast<char>(0x80U | ((value >> 6U) & 0x3FU)));
    output.push_back(static_cast<char>(0x80U | (value & 0x3FU)));
  } else {
    output.push_back(static_cast<char>(0xF0U | (value >> 18U)));
    output.push_back(static_cast<char>(0x80U | ((value >> 12U) & 0x3FU)));
    output.push_back(static_cast<char>(0x80U | ((value >> 6U) & 0x3FU)));
    output.push_back(static_cast<char>(0x80U | (value & 0x3FU)));
  }
}

void append_folded(char32_t code_point, std::string& output) {
  if (code_point < 0x80U) {
    output.push_back(static_cast<char>(code_point >= U'A' && code_point <= U'Z' ? code_point + 0x20U : code_point));
    return;
  }
  const int digit = digit_value(code_point);
  if (digit >= 0) {
    output.push_back(static_cast<char>('0' + digit));
    return;
  }
  const std::span keys(tables::fold_keys, tables::fold_count);
  const auto found = std::lower_bound(keys.begin(), keys.end(), static_cast<std::uint32_t>(code_point));
  if (found == keys.end() || *found != static_cast<std::uint32_t>(code_point)) {
    append_utf8(code_point, output);
    return;
  }
  const std::uint32_t value = tables::fold_values[static_cast<std::size_t>(found - keys.begin())];
  if ((value & sequence_flag) == 0) {
    append_utf8(static_cast<char32_t>(value), output);
    return;
  }
  const std::size_t offset = (value & ~sequence_flag) >> 3U;
  const std::size_t count = value & 7U;
  for (std::size_t index = 0; index < count; ++index) append_utf8(tables::fold_sequences[offset + index], output);
}

}  // namespace mosaic::text
