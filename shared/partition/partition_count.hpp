#pragma once
// How many partitions a collection gets, and how many rows one may hold.
//
// Partition count: ceil(sqrt(rows)), at most 65,536. It balances the two things a browser fetches for a
// query: the centroid table (one row per partition, fetched before the first query) and the probed
// partitions (each about sqrt(rows) rows). At 1,000,000 rows of 768 dimensions that is 1,000 partitions:
// a 0.8 MB centroid table and partitions of about 1,000 rows (104 KB of head, 0.8 MB of int8 rows).
// The 65,536 limit of docs/format.md is reached only past 4.29 billion rows.
//
// Cap: three times the mean partition size, ceil(rows / partitions) * 3. It bounds the largest single
// fetch while leaving k-means room for uneven clusters (real collections are not uniform); rows past
// the cap go to their next nearest partition (partition_assignment.hpp). It was twice the mean: on
// the peers benchmark's clustered data k-means gives one centroid seven clusters (2.2 times the
// mean), so a cap of twice the mean displaced 272 rows, and a displaced row's next nearest centroid
// is close to arbitrary (its cluster has no other partition), so queries near its cluster missed it
// until nprobe 128. Three times the mean displaces none there and still bounds the largest fetch.
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace mosaic::partition {

inline constexpr std::size_t max_partition_count = 65536;
inline constexpr std::size_t default_cap_over_mean = 3;

// 0 for no rows; else ceil(sqrt(row_count)) capped at max_partition_count (and never above row_count).
inline std::size_t partition_count_for_rows(std::uint64_t row_count) noexcept {
  if (row_count == 0) return 0;
  // Past 65,536^2 rows the limit applies anyway; below it every square here fits in 64 bits.
  if (row_count >= std::uint64_t{max_partition_count} * max_partition_count) return max_partition_count;
  // Integer square root rounded up, corrected after the floating estimate so it is exact for all u64.
  auto root = static_cast<std::uint64_t>(std::sqrt(static_cast<double>(row_count)));
  while (root > 0 && root * root > row_count) --root;
  while ((root + 1) * (root + 1) <= row_count) ++root;
  if (root * root < row_count) ++root;
  return root > max_partition_count ? max_partition_count : static_cast<std::size_t>(root);
}

// The most rows one partition may hold for row_count rows in partition_count partitions (>= 1).
inline std::size_t default_partition_cap(std::uint64_t row_count, std::size_t partition_count) noexcept {
  if (partition_count == 0) return 0;
  const std::uint64_t mean = (row_count + partition_count - 1) / partition_count;
  return static_cast<std::size_t>(mean * default_cap_over_mean);
}

}  // namespace mosaic::partition
