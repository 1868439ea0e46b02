#include "partition/quantized_rows.hpp"

#include <string>

#include "index/shard_header.hpp"
#include "vector/quantize.hpp"

namespace mosaic::partition {

result<quantized_rows> quantize_rows(std::span<const float> vectors, std::uint32_t dimensions) {
  if (dimensions == 0 || dimensions > index::max_shard_dimensions) {
    return make_error(error_code::bad_dimensions,
                      "dimensions must be between 1 and 65536, got " + std::to_string(dimensions));
  }
  if (vectors.size() % dimensions != 0) {
    return make_error(error_code::dimension_mismatch, std::to_string(vectors.size()) +
                                                          " components are not whole rows of " +
                                                          std::to_string(dimensions) + " dimensions");
  }
  quantized_rows rows;
  rows.dimensions = dimensions;
  const std::size_t row_count = vectors.size() / dimensions;
  rows.codes.resize(vectors.size());
  rows.scales.resize(row_count);
  for (std::size_t row = 0; row < row_count; ++row) {
    auto scale = vector::quantize_i8(vectors.subspan(row * dimensions, dimensions),
                                     std::span<std::int8_t>(rows.codes).subspan(row * dimensions, dimensions));
    if (!scale) return std::move(scale).failure();
    rows.scales[row] = scale.value();
  }
  return rows;
}

}  // namespace mosaic::partition
