#pragma once
// Unit vectors quantized to int8 once (vector/quantize.hpp, as shards and partitions store them), for
// index building: k-means, the assignment to partitions and the partition files all read the same
// codes. Scoring two int8 vectors with the exact integer kernel gives the same bits on every kernel
// variant and target, which is what makes the partitions of a build identical natively and in wasm.
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"

namespace mosaic::partition {

struct quantized_rows {
  std::uint32_t dimensions = 0;
  std::vector<std::int8_t> codes;  // row-major, row_count() * dimensions
  std::vector<float> scales;       // component i of row r is codes[r * dimensions + i] * scales[r]

  [[nodiscard]] std::size_t row_count() const noexcept { return scales.size(); }
  [[nodiscard]] std::span<const std::int8_t> row(std::size_t index) const noexcept {
    return std::span<const std::int8_t>(codes).subspan(index * dimensions, dimensions);
  }
};

// `vectors` holds whole rows of `dimensions` (1 ... 65,536) finite components, unit length.
result<quantized_rows> quantize_rows(std::span<const float> vectors, std::uint32_t dimensions);

}  // namespace mosaic::partition
