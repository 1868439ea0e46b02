#include "partition/partition_assignment.hpp"

#include <numeric>
#include <string>

#include "partition/capped_placement.hpp"
#include "partition/partition_count.hpp"

namespace mosaic::partition {

result<partition_assignment> assign_partitions(const quantized_rows& rows, std::span<const float> centroids,
                                               std::size_t cap, const parallel_for_hook& parallel_for) {
  const std::size_t dimensions = rows.dimensions;
  const std::size_t row_count = rows.row_count();
  if (dimensions == 0 || rows.codes.size() != row_count * dimensions || centroids.size() % dimensions != 0) {
    return make_error(error_code::dimension_mismatch, "partition assignment: rows and centroids disagree in shape");
  }
  const std::size_t partition_count = centroids.size() / dimensions;
  if (partition_count == 0 || partition_count > max_partition_count) {
    return make_error(error_code::invalid_argument, "partition assignment: " + std::to_string(partition_count) +
                                                        " centroids (expected 1 ... 65536)");
  }
  if (cap == 0 || (row_count + cap - 1) / cap > partition_count) {
    return make_error(error_code::invalid_argument,
                      "partition assignment: " + std::to_string(partition_count) + " partitions of at most " +
                          std::to_string(cap) + " rows cannot hold " + std::to_string(row_count) + " rows");
  }
  // The centroids as the centroid table stores them (int8, encode_shard_from_f32's quantization).
  auto quantized_centroids = quantize_rows(centroids, rows.dimensions);
  if (!quantized_centroids) return std::move(quantized_centroids).failure();
  partition_assignment assignment;
  assignment.partition_of_row.resize(row_count);
  assignment.rows_of_partition.assign(partition_count, 0);
  std::vector<std::size_t> every_row(row_count);
  std::iota(every_row.begin(), every_row.end(), std::size_t{0});
  place_rows_under_cap(rows, quantized_centroids.value(), every_row, cap, parallel_for, assignment);
  return assignment;
}

}  // namespace mosaic::partition
