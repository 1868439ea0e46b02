#pragma once
// A partitioned index built in memory the way an index writer builds one: k-means on the rows, every
// row assigned under the cap, the centroid table as an int8 shard, one partition file per centroid
// (rows in input order, item id = input row), all decoded again. Tests search it.
#include <catch2/catch.hpp>

#include <cstdint>
#include <span>
#include <vector>

#include "index/shard_codec.hpp"
#include "partition/kmeans.hpp"
#include "partition/partition_assignment.hpp"
#include "partition/partition_codec.hpp"
#include "partition/partition_count.hpp"
#include "partition/quantized_rows.hpp"

namespace mosaic::test {

struct built_partitioned_index {
  std::vector<std::uint8_t> centroid_bytes;
  index::shard_view centroids;
  std::vector<std::vector<std::uint8_t>> partition_bytes;
  std::vector<partition::partition_view> partitions;
  std::vector<std::uint32_t> partition_of_row;
};

inline built_partitioned_index build_partitioned_index(std::span<const float> vectors, std::uint32_t dimensions,
                                                       const partition::kmeans_options& training_options,
                                                       std::size_t cap) {
  built_partitioned_index built;
  auto rows = partition::quantize_rows(vectors, dimensions);
  REQUIRE(rows.ok());
  auto trained = partition::train_kmeans(rows.value(), training_options);
  REQUIRE(trained.ok());
  auto assignment = partition::assign_partitions(rows.value(), trained->centroids, cap, training_options.parallel_for);
  REQUIRE(assignment.ok());
  built.partition_of_row = assignment->partition_of_row;
  const std::size_t partition_count = training_options.partition_count;

  std::vector<std::uint64_t> centroid_ids(partition_count);
  for (std::size_t p = 0; p < partition_count; ++p) centroid_ids[p] = p;
  auto centroid_bytes = index::encode_shard_from_f32(dimensions, index::quantization::i8, trained->centroids, centroid_ids);
  REQUIRE(centroid_bytes.ok());
  built.centroid_bytes = std::move(centroid_bytes).value();
  auto centroids = index::decode_shard(built.centroid_bytes);
  REQUIRE(centroids.ok());
  built.centroids = centroids.value();

  std::vector<std::vector<std::size_t>> members(partition_count);
  for (std::size_t row = 0; row < built.partition_of_row.size(); ++row) members[built.partition_of_row[row]].push_back(row);
  built.partition_bytes.resize(partition_count);
  for (std::size_t p = 0; p < partition_count; ++p) {
    std::vector<std::int8_t> codes;
    std::vector<float> scales;
    std::vector<std::uint64_t> ids;
    for (std::size_t row : members[p]) {
      const auto row_codes = rows->row(row);
      codes.insert(codes.end(), row_codes.begin(), row_codes.end());
      scales.push_back(rows->scales[row]);
      ids.push_back(row);
    }
    partition::partition_contents contents;
    contents.dimensions = dimensions;
    contents.partition = static_cast<std::uint32_t>(p);
    contents.centre = std::span<const float>(trained->centroids).subspan(p * dimensions, dimensions);
    contents.codes = codes;
    contents.scales = scales;
    contents.item_ids = ids;
    auto encoded = partition::encode_partition(contents);
    REQUIRE(encoded.ok());
    built.partition_bytes[p] = std::move(encoded).value();
  }
  for (std::size_t p = 0; p < partition_count; ++p) {
    auto view = partition::decode_partition(built.partition_bytes[p]);
    REQUIRE(view.ok());
    built.partitions.push_back(view.value());
  }
  return built;
}

}  // namespace mosaic::test
