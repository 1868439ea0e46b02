#pragma once
// Fixed-width integers and tags read from bytes, whatever the host's byte order: the one reader the
// media parsers (RIFF/WAV, PNG, JPEG, BMP, TGA, MP3, ISO media) share. The readers do not check
// bounds: each parser checks a chunk's or box's size first (with has_bytes, which cannot overflow),
// then reads inside it. has_tag checks for itself, so it may probe anywhere.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace mosaic {

using byte_span = std::span<const std::uint8_t>;

// Whether `count` bytes start at `offset` inside `bytes` (false, never an overflow, for any offset).
constexpr bool has_bytes(byte_span bytes, std::size_t offset, std::size_t count) noexcept {
  return offset <= bytes.size() && bytes.size() - offset >= count;
}

// Whether the ASCII `tag` ("RIFF", "ftyp", ...) stands at `offset`; false when it would pass the end.
constexpr bool has_tag(byte_span bytes, std::size_t offset, std::string_view tag) noexcept {
  if (!has_bytes(bytes, offset, tag.size())) return false;
  for (std::size_t index = 0; index < tag.size(); ++index) {
    if (bytes[offset + index] != static_cast<unsigned char>(tag[index])) return false;
  }
  return true;
}

// The `width` bytes (at most 8) at `offset`, most significant first. Needs has_bytes(bytes, offset, width).
constexpr std::uint64_t read_big_endian(byte_span bytes, std::size_t offset, std::size_t width) noexcept {
  std::uint64_t value = 0;
  for (std::size_t index = 0; index < width; ++index) value = value << 8U | bytes[offset + index];
  return value;
}

// The `width` bytes (at most 8) at `offset`, least significant first. Needs has_bytes(bytes, offset, width).
constexpr std::uint64_t read_little_endian(byte_span bytes, std::size_t offset, std::size_t width) noexcept {
  std::uint64_t value = 0;
  for (std::size_t index = width; index > 0; --index) value = value << 8U | bytes[offset + index - 1];
  return value;
}

constexpr std::uint16_t read_big_endian_16(byte_span bytes, std::size_t offset) noexcept {
  return static_cast<std::uint16_t>(read_big_endian(bytes, offset, 2));
}
constexpr std::uint32_t read_big_endian_32(byte_span bytes, std::size_t offset) noexcept {
  return static_cast<std::uint32_t>(read_big_endian(bytes, offset, 4));
}
constexpr std::uint64_t read_big_endian_64(byte_span bytes, std::size_t offset) noexcept {
  return read_big_endian(bytes, offset, 8);
}
constexpr std::uint16_t read_little_endian_16(byte_span bytes, std::size_t offset) noexcept {
  return static_cast<std::uint16_t>(read_little_endian(bytes, offset, 2));
}
constexpr std::uint32_t read_little_endian_32(byte_span bytes, std::size_t offset) noexcept {
  return static_cast<std::uint32_t>(read_little_endian(bytes, offset, 4));
}

}  // namespace mosaic
