#pragma once
// How the keyword index names an item: its vector file (the ordinal of its shard or partition in the
// manifest) and its row there, packed into one u64 (docs/format.md, "Keyword index"). Ordering
// references orders items by file, then row, which is the order postings are stored in.
#include <cstdint>

namespace mosaic::keywords {

using item_reference = std::uint64_t;  // vector file ordinal × 2^32 + row

constexpr item_reference make_item_reference(std::uint32_t vector_file, std::uint32_t row) noexcept {
  return (std::uint64_t{vector_file} << 32U) | row;
}
constexpr std::uint32_t reference_vector_file(item_reference reference) noexcept {
  return static_cast<std::uint32_t>(reference >> 32U);
}
constexpr std::uint32_t reference_row(item_reference reference) noexcept {
  return static_cast<std::uint32_t>(reference & 0xFFFFFFFFU);
}

}  // namespace mosaic::keywords
