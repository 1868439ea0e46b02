#pragma once
// Reads varints and fixed-width fields inside one block of a keyword file, never past the block's end.
// The two decoders share it so every "overlong" and "past its block" failure is worded the same way.
// A read that fails leaves the reader where it was and records why; the caller turns that into a
// bad_payload_value naming the term or entry it was reading.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "core/varint.hpp"

namespace mosaic::keywords::detail {

class block_reader {
 public:
  // The block is bytes [begin, end) of `bytes`; requires begin <= end <= bytes.size().
  block_reader(std::span<const std::uint8_t> bytes, std::size_t begin, std::size_t end) noexcept
      : block_(bytes.first(end)), offset_(begin) {}

  [[nodiscard]] bool read_varint(std::uint64_t& value) noexcept {
    const varint_outcome outcome = mosaic::read_varint(block_, offset_, value);
    if (outcome == varint_outcome::ok) return true;
    problem_ = outcome == varint_outcome::overlong ? "an overlong varint" : "a varint past the end of its block";
    return false;
  }

  // A little-endian unsigned field of `width` bytes (at most 8).
  [[nodiscard]] bool read_fixed(std::size_t width, std::uint64_t& value) noexcept {
    if (remaining() < width) {
      problem_ = "a fixed-size field past the end of its block";
      return false;
    }
    value = 0;
    for (std::size_t index = width; index > 0; --index) value = value << 8U | block_[offset_ + index - 1];
    offset_ += width;
    return true;
  }

  [[nodiscard]] bool read_float(float& value) noexcept {
    std::uint64_t bits = 0;
    if (!read_fixed(4, bits)) return false;
    const auto bits32 = static_cast<std::uint32_t>(bits);
    std::memcpy(&value, &bits32, sizeof value);
    return true;
  }

  [[nodiscard]] bool read_bytes(std::size_t count, std::span<const std::uint8_t>& bytes) noexcept {
    if (remaining() < count) {
      problem_ = "bytes past the end of their block";
      return false;
    }
    bytes = block_.subspan(offset_, count);
    offset_ += count;
    return true;
  }

  [[nodiscard]] std::size_t offset() const noexcept { return offset_; }
  [[nodiscard]] std::size_t remaining() const noexcept { return block_.size() - offset_; }
  [[nodiscard]] bool at_end() const noexcept { return offset_ == block_.size(); }
  // What the last failed read met: "an overlong varint", "a varint past the end of its block", ...
  [[nodiscard]] std::string_view problem() const noexcept { return problem_; }

 private:
  std::span<const std::uint8_t> block_;
  std::size_t offset_;
  std::string_view problem_;
};

inline std::string_view as_text(std::span<const std::uint8_t> bytes) noexcept {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// A term for an error message: quoted, and cut short when long (terms are at most 128 bytes anyway).
inline std::string quoted_term(std::string_view term) {
  std::string quoted = "'";
  quoted.append(term.substr(0, 64));
  if (term.size() > 64) quoted += "...";
  quoted += "'";
  return quoted;
}

}  // namespace mosaic::keywords::detail
