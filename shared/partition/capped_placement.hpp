#pragma once
// The placing rule both assignments share (assign_partitions for a fresh build, assign_with_kept_
// centroids for an update; docs/format.md, "Partitioned layout"): each row to place goes to its
// nearest centroid by the exact int8 score against the centroid table as stored; rows claim places in
// decreasing order of that similarity (ties: the lower row), and a row whose nearest partition is
// full goes to the most similar partition that still has room (ties: the lower partition). One copy,
// so a re-index places a row exactly where a fresh build with the same centroids would have.
#include <cstddef>
#include <span>

#include "partition/parallel_for.hpp"
#include "partition/partition_assignment.hpp"
#include "partition/quantized_rows.hpp"

namespace mosaic::partition {

// Places `rows_to_place` (row numbers of `rows`, ascending) into `assignment`, whose partition_of_row
// and rows_of_partition already hold every row placed before (kept rows count against the cap).
// Preconditions, checked by the callers: shapes agree, and the cap leaves room for every row to place.
void place_rows_under_cap(const quantized_rows& rows, const quantized_rows& centroid_table,
                          std::span<const std::size_t> rows_to_place, std::size_t cap,
                          const parallel_for_hook& parallel_for, partition_assignment& assignment);

}  // namespace mosaic::partition
