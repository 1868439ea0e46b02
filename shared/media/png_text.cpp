#include "media/png_text.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

#include "core/byte_reader.hpp"
#include "text/utf8.hpp"

namespace mosaic::media {
namespace {

constexpr std::array<std::uint8_t, 8> png_signature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
constexpr std::string_view description_keyword = "Description";
// PNG limits a chunk's length to 2^31 - 1 so that readers can use signed 32-bit arithmetic.
constexpr std::uint32_t maximum_png_chunk_length = 0x7FFFFFFFu;

std::string_view as_text(byte_span bytes) noexcept {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::optional<std::string> non_empty(std::string text) {
  if (text.empty()) return std::nullopt;
  return text;
}

// tEXt: keyword, NUL, Latin-1 text (no terminator).
std::optional<std::string> text_chunk_description(byte_span data) {
  const auto separator = std::find(data.begin(), data.end(), std::uint8_t{0});
  if (separator == data.end()) return std::nullopt;
  const auto keyword_length = static_cast<std::size_t>(separator - data.begin());
  if (as_text(data.first(keyword_length)) != description_keyword) return std::nullopt;
  return non_empty(text::latin1_to_utf8(data.subspan(keyword_length + 1)));
}

// iTXt: keyword, NUL, compression flag, compression method, language tag, NUL, translated keyword,
// NUL, UTF-8 text. Compressed text would need zlib; the double only reads uncompressed captions.
std::optional<std::string> international_text_chunk_description(byte_span data) {
  const auto keyword_end = std::find(data.begin(), data.end(), std::uint8_t{0});
  if (keyword_end == data.end()) return std::nullopt;
  const auto keyword_length = static_cast<std::size_t>(keyword_end - data.begin());
  if (as_text(data.first(keyword_length)) != description_keyword) return std::nullopt;
  byte_span rest = data.subspan(keyword_length + 1);
  if (rest.size() < 2 || rest[0] != 0) return std::nullopt;
  rest = rest.subspan(2);
  for (int skipped_field = 0; skipped_field < 2; ++skipped_field) {  // language tag, translated keyword
    const auto field_end = std::find(rest.begin(), rest.end(), std::uint8_t{0});
    if (field_end == rest.end()) return std::nullopt;
    rest = rest.subspan(static_cast<std::size_t>(field_end - rest.begin()) + 1);
  }
  if (!text::is_valid_utf8(rest)) return std::nullopt;
  return non_empty(std::string(as_text(rest)));
}

}  // namespace

std::optional<std::string> read_png_description(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < png_signature.size() || !std::equal(png_signature.begin(), png_signature.end(), bytes.begin())) {
    return std::nullopt;
  }
  constexpr std::size_t chunk_overhead = 12;  // length, type, CRC
  std::size_t offset = png_signature.size();
  while (bytes.size() - offset >= chunk_overhead) {
    const std::uint32_t length = read_big_endian_32(bytes, offset);
    if (length > maximum_png_chunk_length || bytes.size() - offset - chunk_overhead < length) return std::nullopt;
    const byte_span data = bytes.subspan(offset + 8, length);
    if (has_tag(bytes, offset + 4, "tEXt")) {
      if (auto description = text_chunk_description(data)) return description;
    } else if (has_tag(bytes, offset + 4, "iTXt")) {
      if (auto description = international_text_chunk_description(data)) return description;
    } else if (has_tag(bytes, offset + 4, "IEND")) {
      return std::nullopt;
    }
    offset += chunk_overhead + length;  // cannot pass bytes.size(): checked above
  }
  return std::nullopt;
}

}  // namespace mosaic::media
