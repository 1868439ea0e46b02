// A generation that keeps its centroid table: kept rows stay where they were, placed rows go to their
// nearest centroid under the cap (or the most similar with room), and the result does not depend on
// how the parallel_for hook splits the work.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "partition/kept_centroid_assignment.hpp"
#include "partition/kmeans.hpp"
#include "partition/partition_count.hpp"
#include "partition_test_data.hpp"

using namespace mosaic;
using namespace mosaic::partition;

namespace {

quantized_rows table_of(const std::vector<float>& centroids, std::uint32_t dimensions) {
  return quantize_rows(centroids, dimensions).value();
}

// The exact int8 similarity the assignment uses.
float stored_similarity(const quantized_rows& rows, std::size_t row, const quantized_rows& table, std::size_t centroid) {
  std::int32_t dot = 0;
  const auto left = rows.row(row);
  const auto right = table.row(centroid);
  for (std::size_t i = 0; i < left.size(); ++i) dot += std::int32_t{left[i]} * std::int32_t{right[i]};
  return static_cast<float>(dot) * rows.scales[row] * table.scales[centroid];
}

}  // namespace

TEST_CASE("kept rows stay, placed rows go to their nearest centroid when it has room", "[partition][kept]") {
  constexpr std::uint32_t dimensions = 32;
  const auto collection = test::clustered_unit_vectors(600, dimensions, 6, 0.3f, 77);
  const quantized_rows rows = quantize_rows(collection.vectors, dimensions).value();
  const quantized_rows table = table_of(collection.centres, dimensions);
  std::vector<std::uint32_t> kept(rows.row_count(), no_kept_partition);
  // The first 400 rows keep a partition that is deliberately not their nearest (row mod 6).
  for (std::size_t row = 0; row < 400; ++row) kept[row] = static_cast<std::uint32_t>(row % 6);
  auto assigned = assign_with_kept_centroids(rows, table, kept, kept_centroids_partition_cap(600, 6));
  REQUIRE(assigned.ok());
  for (std::size_t row = 0; row < 400; ++row) CHECK(assigned->partition_of_row[row] == row % 6);
  std::size_t total = 0;
  for (std::uint32_t count : assigned->rows_of_partition) total += count;
  CHECK(total == 600);
  // Cap 300: no partition fills, so every placed row is in its nearest partition.
  CHECK(assigned->moved_rows == 0);
  for (std::size_t row = 400; row < 600; ++row) {
    const std::uint32_t chosen = assigned->partition_of_row[row];
    for (std::size_t centroid = 0; centroid < 6; ++centroid) {
      CHECK(stored_similarity(rows, row, table, chosen) >= stored_similarity(rows, row, table, centroid));
    }
  }
  // The same answer whatever the split of the scoring work.
  const parallel_for_hook backwards = [](std::size_t count, const std::function<void(std::size_t, std::size_t)>& body) {
    for (std::size_t task = count; task-- > 0;) body(task, task + 1);
  };
  auto split = assign_with_kept_centroids(rows, table, kept, kept_centroids_partition_cap(600, 6), backwards);
  REQUIRE(split.ok());
  CHECK(split->partition_of_row == assigned->partition_of_row);
}

TEST_CASE("placed rows overflow to the most similar partition with room, and kept rows count against the cap", "[partition][kept]") {
  constexpr std::uint32_t dimensions = 16;
  const auto collection = test::clustered_unit_vectors(90, dimensions, 3, 0.2f, 5);
  const quantized_rows rows = quantize_rows(collection.vectors, dimensions).value();
  const quantized_rows table = table_of(collection.centres, dimensions);
  // Partition 0 is full of kept rows already (cap 30): every placed row nearest to it must go elsewhere.
  std::vector<std::uint32_t> kept(rows.row_count(), no_kept_partition);
  for (std::size_t row = 0; row < 30; ++row) kept[row] = 0;
  auto assigned = assign_with_kept_centroids(rows, table, kept, 30);
  REQUIRE(assigned.ok());
  CHECK(assigned->rows_of_partition == std::vector<std::uint32_t>{30, 30, 30});
  std::size_t nearest_to_zero = 0;
  for (std::size_t row = 30; row < 90; ++row) {
    const bool nearest_is_zero = stored_similarity(rows, row, table, 0) > stored_similarity(rows, row, table, 1) &&
                                 stored_similarity(rows, row, table, 0) > stored_similarity(rows, row, table, 2);
    if (nearest_is_zero) ++nearest_to_zero;
    CHECK(assigned->partition_of_row[row] != 0);
  }
  CHECK(assigned->moved_rows >= nearest_to_zero);
  CHECK(nearest_to_zero > 0);
}

TEST_CASE("the kept-centroid assignment refuses impossible requests", "[partition][kept]") {
  constexpr std::uint32_t dimensions = 8;
  const auto vectors = test::random_unit_vectors(10, dimensions, 1);
  const quantized_rows rows = quantize_rows(vectors, dimensions).value();
  const quantized_rows table = table_of(test::random_unit_vectors(2, dimensions, 2), dimensions);
  std::vector<std::uint32_t> kept(10, no_kept_partition);
  CHECK(assign_with_kept_centroids(rows, table, kept, 4).failure().code == error_code::invalid_argument);  // 2 x 4 < 10
  kept[3] = 2;  // only partitions 0 and 1 exist
  CHECK(assign_with_kept_centroids(rows, table, kept, 5).failure().code == error_code::invalid_argument);
  std::vector<std::uint32_t> short_list(9, no_kept_partition);
  CHECK(assign_with_kept_centroids(rows, table, short_list, 5).failure().code == error_code::dimension_mismatch);
  CHECK(kept_centroids_partition_cap(1000, 10) == 400);
  CHECK(kept_centroids_partition_cap(1001, 10) == 404);
}
