#pragma once
// Size arithmetic for the decoders of hostile files (shards, partitions): a header's counts multiplied
// and summed into offsets must be caught when they overflow, never wrap into a small, plausible size.
#include <cstdint>

namespace mosaic {

// `value` rounded up to a multiple of `alignment` (a power of two or any non-zero step); callers keep
// `value` far below the top of the range (sizes already bounded by the file's length).
constexpr std::uint64_t align_up(std::uint64_t value, std::uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

// Multiplication and addition that report overflow (false) instead of wrapping.
inline bool checked_multiply(std::uint64_t left, std::uint64_t right, std::uint64_t& product) {
  return !__builtin_mul_overflow(left, right, &product);
}
inline bool checked_add(std::uint64_t left, std::uint64_t right, std::uint64_t& sum) {
  return !__builtin_add_overflow(left, right, &sum);
}

}  // namespace mosaic
