#include "partition/partition_assignment.hpp"

#include <algorithm>
#include <numeric>
#include <string>

#include "partition/partition_count.hpp"
#include "vector/kernels.hpp"

namespace mosaic::partition {
namespace {

constexpr std::size_t rows_per_task = 256;

float similarity(std::int32_t dot, float left_scale, float right_scale) noexcept {
  return static_cast<float>(dot) * left_scale * right_scale;
}

}  // namespace

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
  const quantized_rows& table = quantized_centroids.value();
  const vector::kernel_table& kernels = vector::active_kernels();

  std::vector<std::uint32_t> nearest(row_count);
  std::vector<float> nearest_similarity(row_count);
  run_parallel_for(parallel_for, (row_count + rows_per_task - 1) / rows_per_task,
                   [&](std::size_t first_task, std::size_t end_task) {
                     std::vector<std::int32_t> dots(partition_count);
                     const std::size_t end = std::min(row_count, end_task * rows_per_task);
                     for (std::size_t row = first_task * rows_per_task; row < end; ++row) {
                       kernels.scores_i8(rows.codes.data() + row * dimensions, table.codes.data(), dimensions,
                                         partition_count, dots.data());
                       std::size_t best = 0;
                       float best_similarity = similarity(dots[0], rows.scales[row], table.scales[0]);
                       for (std::size_t partition = 1; partition < partition_count; ++partition) {
                         const float candidate = similarity(dots[partition], rows.scales[row], table.scales[partition]);
                         if (candidate > best_similarity) {
                           best_similarity = candidate;
                           best = partition;
                         }
                       }
                       nearest[row] = static_cast<std::uint32_t>(best);
                       nearest_similarity[row] = best_similarity;
                     }
                   });

  std::vector<std::size_t> order(row_count);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t left, std::size_t right) {
    return nearest_similarity[left] > nearest_similarity[right];
  });

  partition_assignment assignment;
  assignment.partition_of_row.resize(row_count);
  assignment.rows_of_partition.assign(partition_count, 0);
  std::vector<std::int32_t> dots(partition_count);
  std::vector<std::uint32_t> preference(partition_count);
  for (const std::size_t row : order) {
    std::uint32_t chosen = nearest[row];
    if (assignment.rows_of_partition[chosen] >= cap) {
      kernels.scores_i8(rows.codes.data() + row * dimensions, table.codes.data(), dimensions, partition_count,
                        dots.data());
      std::iota(preference.begin(), preference.end(), std::uint32_t{0});
      std::stable_sort(preference.begin(), preference.end(), [&](std::uint32_t left, std::uint32_t right) {
        return similarity(dots[left], rows.scales[row], table.scales[left]) >
               similarity(dots[right], rows.scales[row], table.scales[right]);
      });
      for (const std::uint32_t partition : preference) {
        if (assignment.rows_of_partition[partition] < cap) {
          chosen = partition;
          break;
        }
      }
      ++assignment.moved_rows;
    }
    assignment.partition_of_row[row] = chosen;
    ++assignment.rows_of_partition[chosen];
  }
  return assignment;
}

}  // namespace mosaic::partition
