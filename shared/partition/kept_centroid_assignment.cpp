#include "partition/kept_centroid_assignment.hpp"

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "partition/partition_count.hpp"
#include "vector/kernels.hpp"

namespace mosaic::partition {
namespace {

constexpr std::size_t rows_per_task = 256;

float similarity(std::int32_t dot, float left_scale, float right_scale) noexcept {
  return static_cast<float>(dot) * left_scale * right_scale;
}

}  // namespace

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

  const vector::kernel_table& kernels = vector::active_kernels();
  std::vector<std::uint32_t> nearest(placed.size());
  std::vector<float> nearest_similarity(placed.size());
  run_parallel_for(parallel_for, (placed.size() + rows_per_task - 1) / rows_per_task,
                   [&](std::size_t first_task, std::size_t end_task) {
                     std::vector<std::int32_t> dots(partition_count);
                     const std::size_t end = std::min(placed.size(), end_task * rows_per_task);
                     for (std::size_t index = first_task * rows_per_task; index < end; ++index) {
                       const std::size_t row = placed[index];
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

  std::vector<std::size_t> order(placed.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t left, std::size_t right) {
    return nearest_similarity[left] > nearest_similarity[right];
  });
  std::vector<std::int32_t> dots(partition_count);
  std::vector<std::uint32_t> preference(partition_count);
  for (const std::size_t index : order) {
    const std::size_t row = placed[index];
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
  return assignment;
}

}  // namespace mosaic::partition
