#include "partition/capped_placement.hpp"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "vector/kernels.hpp"

namespace mosaic::partition {
namespace {

constexpr std::size_t rows_per_task = 256;

float similarity(std::int32_t dot, float left_scale, float right_scale) noexcept {
  return static_cast<float>(dot) * left_scale * right_scale;
}

}  // namespace

void place_rows_under_cap(const quantized_rows& rows, const quantized_rows& centroid_table,
                          std::span<const std::size_t> rows_to_place, std::size_t cap,
                          const parallel_for_hook& parallel_for, partition_assignment& assignment) {
  const std::size_t dimensions = rows.dimensions;
  const std::size_t partition_count = centroid_table.row_count();
  const vector::kernel_table& kernels = vector::active_kernels();

  // Each row's nearest centroid, in parallel (the only part that grows with rows x partitions).
  std::vector<std::uint32_t> nearest(rows_to_place.size());
  std::vector<float> nearest_similarity(rows_to_place.size());
  run_parallel_for(parallel_for, (rows_to_place.size() + rows_per_task - 1) / rows_per_task,
                   [&](std::size_t first_task, std::size_t end_task) {
                     std::vector<std::int32_t> dots(partition_count);
                     const std::size_t end = std::min(rows_to_place.size(), end_task * rows_per_task);
                     for (std::size_t index = first_task * rows_per_task; index < end; ++index) {
                       const std::size_t row = rows_to_place[index];
                       kernels.scores_i8(rows.codes.data() + row * dimensions, centroid_table.codes.data(), dimensions,
                                         partition_count, dots.data());
                       std::size_t best = 0;
                       float best_similarity = similarity(dots[0], rows.scales[row], centroid_table.scales[0]);
                       for (std::size_t partition = 1; partition < partition_count; ++partition) {
                         const float candidate =
                             similarity(dots[partition], rows.scales[row], centroid_table.scales[partition]);
                         if (candidate > best_similarity) {
                           best_similarity = candidate;
                           best = partition;
                         }
                       }
                       nearest[index] = static_cast<std::uint32_t>(best);
                       nearest_similarity[index] = best_similarity;
                     }
                   });

  // Placing, serially (each place taken changes what the next row finds).
  std::vector<std::size_t> order(rows_to_place.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t left, std::size_t right) {
    return nearest_similarity[left] > nearest_similarity[right];
  });
  std::vector<std::int32_t> dots(partition_count);
  std::vector<std::uint32_t> preference(partition_count);
  for (const std::size_t index : order) {
    const std::size_t row = rows_to_place[index];
    std::uint32_t chosen = nearest[index];
    if (assignment.rows_of_partition[chosen] >= cap) {
      kernels.scores_i8(rows.codes.data() + row * dimensions, centroid_table.codes.data(), dimensions, partition_count,
                        dots.data());
      std::iota(preference.begin(), preference.end(), std::uint32_t{0});
      std::stable_sort(preference.begin(), preference.end(), [&](std::uint32_t left, std::uint32_t right) {
        return similarity(dots[left], rows.scales[row], centroid_table.scales[left]) >
               similarity(dots[right], rows.scales[row], centroid_table.scales[right]);
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
}

}  // namespace mosaic::partition
