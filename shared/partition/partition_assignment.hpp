#pragma once
// Every row of a collection assigned to one partition, with at most `cap` rows per partition.
//
// The rule, deterministic and documented in docs/format.md ("Partitioned layout"): each row's
// similarity to each centroid is the exact int8 score of the row and the centroid as the centroid
// table stores it (so the partition a query ranks first is the one the row was assigned to whenever
// there was room). Rows claim places in order of their similarity to their nearest centroid, most
// similar first (ties: the lower row); a row whose nearest partition is full goes to the most similar
// partition that still has room (ties: the lower partition). Rows central to a cluster therefore stay
// in it, and only the marginal rows of an oversized cluster move to a neighbour.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "partition/parallel_for.hpp"
#include "partition/quantized_rows.hpp"

namespace mosaic::partition {

struct partition_assignment {
  std::vector<std::uint32_t> partition_of_row;      // one entry per row
  std::vector<std::uint32_t> rows_of_partition;     // size per partition
  std::size_t moved_rows = 0;                       // rows not in their nearest partition (it was full)
};

// `centroids` holds whole unit vectors of rows.dimensions; cap * partitions must reach the row count.
result<partition_assignment> assign_partitions(const quantized_rows& rows, std::span<const float> centroids,
                                               std::size_t cap, const parallel_for_hook& parallel_for = {});

}  // namespace mosaic::partition
