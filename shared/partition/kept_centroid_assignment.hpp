#pragma once
// A new generation of a partitioned index that keeps the previous generation's centroid table
// (docs/format.md, "Updates"): rows the previous generation already held, unchanged, stay in their
// partition; only added and changed rows are placed, so a partition none of whose rows changed is
// written again byte for byte (the same hash) and a client keeps the copy it holds.
//
// Placing follows assign_partitions' rule against the stored (int8) centroid table: the placed rows
// claim places in decreasing order of their similarity to their nearest centroid (ties: the lower
// row), and a row whose nearest partition is full goes to the most similar partition with room (ties:
// the lower partition). Kept rows count against the cap but never move, since moving one would change
// two partitions' hashes.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/result.hpp"
#include "partition/parallel_for.hpp"
#include "partition/partition_assignment.hpp"
#include "partition/quantized_rows.hpp"

namespace mosaic::partition {

// The cap with kept centroids: four times the mean partition size, looser than a fresh build's
// three times, so that growth where the collection grows still lands in its nearest partition for a while
// (recall) while the largest single fetch stays bounded.
inline constexpr std::size_t kept_centroids_cap_over_mean = 4;
// A writer says the partitions have grown unbalanced, and that a re-run with fresh training would
// help, once the largest partition holds more than this many times the mean: a fresh build stays at
// or under 3 (its cap) up to rounding.
inline constexpr double unbalanced_partition_factor = 3.5;

// The cap for row_count rows in partition_count kept partitions: ceil(rows / partitions) * 4.
inline std::size_t kept_centroids_partition_cap(std::uint64_t row_count, std::size_t partition_count) noexcept {
  if (partition_count == 0) return 0;
  const std::uint64_t mean = (row_count + partition_count - 1) / partition_count;
  return static_cast<std::size_t>(mean * kept_centroids_cap_over_mean);
}

inline constexpr std::uint32_t no_kept_partition = 0xFFFFFFFFu;

// `kept_partition_of_row[r]`: the partition row r keeps, or no_kept_partition for a row to place.
// `centroid_table`: the stored centroids (codes and scales as the centroid table's shard holds them),
// of rows.dimensions. `cap` * partitions must reach the row count. moved_rows counts placed rows that
// did not get their nearest partition.
result<partition_assignment> assign_with_kept_centroids(const quantized_rows& rows, const quantized_rows& centroid_table,
                                                        std::span<const std::uint32_t> kept_partition_of_row,
                                                        std::size_t cap, const parallel_for_hook& parallel_for = {});

}  // namespace mosaic::partition
