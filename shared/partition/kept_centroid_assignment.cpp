#include "partition/kept_centroid_assignment.hpp"

#include <string>
#include <vector>

#include "partition/capped_placement.hpp"
#include "partition/partition_count.hpp"

namespace mosaic::partition {

result<partition_assignment> assign_with_kept_centroids(const quantized_rows& rows, const quantized_rows& centroid_table,
                                                        std::span<const std::uint32_t> kept_partition_of_row,
                                                        std::size_t cap, const parallel_for_hook& parallel_for) {
  const std::size_t dimensions = rows.dimensions;
  const std::size_t row_count = rows.row_count();
  const std::size_t partition_count = centroid_table.row_count();
  if (dimensions == 0 || centroid_table.dimensions != dimensions || rows.codes.size() != row_count * dimensions ||
      centroid_table.codes.size() != partition_count * dimensions || kept_partition_of_row.size() != row_count) {
    return make_error(error_code::dimension_mismatch,
                      "kept-centroid assignment: rows, centroids and kept partitions disagree in shape");
  }
  if (partition_count == 0 || partition_count > max_partition_count) {
    return make_error(error_code::invalid_argument, "kept-centroid assignment: " + std::to_string(partition_count) +
                                                        " centroids (expected 1 ... 65536)");
  }
  if (cap == 0 || (row_count + cap - 1) / cap > partition_count) {
    return make_error(error_code::invalid_argument,
                      "kept-centroid assignment: " + std::to_string(partition_count) + " partitions of at most " +
                          std::to_string(cap) + " rows cannot hold " + std::to_string(row_count) + " rows");
  }

  partition_assignment assignment;
  assignment.partition_of_row.assign(row_count, no_kept_partition);
  assignment.rows_of_partition.assign(partition_count, 0);
  std::vector<std::size_t> placed;
  for (std::size_t row = 0; row < row_count; ++row) {
    const std::uint32_t kept = kept_partition_of_row[row];
    if (kept == no_kept_partition) {
      placed.push_back(row);
    } else if (kept >= partition_count) {
      return make_error(error_code::invalid_argument, "kept-centroid assignment: row " + std::to_string(row) +
                                                          " keeps partition " + std::to_string(kept) + " of " +
                                                          std::to_string(partition_count));
    } else {
      assignment.partition_of_row[row] = kept;
      ++assignment.rows_of_partition[kept];
    }
  }

  place_rows_under_cap(rows, centroid_table, placed, cap, parallel_for, assignment);
  return assignment;
}

}  // namespace mosaic::partition
