#include "partition/kmeans.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "partition/partition_count.hpp"
#include "partition/seeded_random.hpp"
#include "vector/kernels.hpp"
#include "vector/quantize.hpp"

namespace mosaic::partition {
namespace {

// Rows scored per call of the body: large enough to amortize a call, small enough for a scratch
// buffer of partition_count scores per row to stay in cache.
constexpr std::size_t rows_per_task = 256;

// Cosine of two quantized unit vectors from their exact int8 dot: the same bits everywhere.
float similarity(std::int32_t dot, float left_scale, float right_scale) noexcept {
  return static_cast<float>(dot) * left_scale * right_scale;
}

// The sample: `count` distinct rows drawn by a partial Fisher-Yates shuffle, then put back in row
// order so the sums of an iteration visit them in the order of the input.
std::vector<std::size_t> draw_sample(std::size_t row_count, std::size_t count, seeded_random& random) {
  std::vector<std::size_t> indices(row_count);
  std::iota(indices.begin(), indices.end(), std::size_t{0});
  if (count >= row_count) return indices;
  for (std::size_t i = 0; i < count; ++i) {
    const auto pick = i + static_cast<std::size_t>(random.next_below(row_count - i));
    std::swap(indices[i], indices[pick]);
  }
  indices.resize(count);
  std::sort(indices.begin(), indices.end());
  return indices;
}

quantized_rows copy_rows(const quantized_rows& rows, const std::vector<std::size_t>& indices) {
  quantized_rows copy;
  copy.dimensions = rows.dimensions;
  copy.codes.resize(indices.size() * rows.dimensions);
  copy.scales.resize(indices.size());
  for (std::size_t i = 0; i < indices.size(); ++i) {
    const auto source = rows.row(indices[i]);
    std::copy(source.begin(), source.end(), copy.codes.begin() + static_cast<std::ptrdiff_t>(i * rows.dimensions));
    copy.scales[i] = rows.scales[indices[i]];
  }
  return copy;
}

// Centroids as the scans read them: int8 codes and scales, quantized exactly as rows are.
struct quantized_centroids {
  std::vector<std::int8_t> codes;
  std::vector<float> scales;
};

void quantize_centroid(std::span<const float> centroid, std::span<std::int8_t> codes, float& scale) {
  // Centroids are finite unit vectors built here, so quantization cannot fail.
  auto quantized = vector::quantize_i8(centroid, codes);
  scale = quantized ? quantized.value() : 0.0f;
}

// A row's dequantized vector, renormalized in double: centroids stay unit vectors whatever the
// rounding of the row they start from.
void set_unit_from_codes(std::span<const std::int8_t> codes, float scale, float* target) {
  double norm_squared = 0.0;
  for (std::int8_t code : codes) {
    const double value = static_cast<double>(code) * static_cast<double>(scale);
    norm_squared += value * value;
  }
  const double inverse_norm = norm_squared > 0.0 ? 1.0 / std::sqrt(norm_squared) : 0.0;
  for (std::size_t i = 0; i < codes.size(); ++i) {
    target[i] = static_cast<float>(static_cast<double>(codes[i]) * static_cast<double>(scale) * inverse_norm);
  }
}

// k-means++ over the sample. Distances are 2 - 2 cos, clamped at 0 (quantization can push the cosine
// of a row with itself a little past 1).
quantized_centroids seed_centroids(const quantized_rows& sample, std::size_t partition_count, seeded_random& random,
                                   const parallel_for_hook& parallel_for) {
  const std::size_t dimensions = sample.dimensions;
  const std::size_t row_count = sample.row_count();
  const vector::kernel_table& kernels = vector::active_kernels();
  quantized_centroids seeds;
  seeds.codes.resize(partition_count * dimensions);
  seeds.scales.resize(partition_count);
  std::vector<double> nearest_distance(row_count, 4.0);
  std::size_t chosen = static_cast<std::size_t>(random.next_below(row_count));
  for (std::size_t seed = 0; seed < partition_count; ++seed) {
    const auto chosen_codes = sample.row(chosen);
    std::copy(chosen_codes.begin(), chosen_codes.end(),
              seeds.codes.begin() + static_cast<std::ptrdiff_t>(seed * dimensions));
    seeds.scales[seed] = sample.scales[chosen];
    if (seed + 1 == partition_count) break;
    run_parallel_for(parallel_for, row_count, [&](std::size_t begin, std::size_t end) {
      std::vector<std::int32_t> dots(end - begin);
      kernels.scores_i8(chosen_codes.data(), sample.codes.data() + begin * dimensions, dimensions, end - begin,
                        dots.data());
      for (std::size_t row = begin; row < end; ++row) {
        const float cosine = similarity(dots[row - begin], sample.scales[chosen], sample.scales[row]);
        const double distance = std::max(0.0, 2.0 - 2.0 * static_cast<double>(cosine));
        nearest_distance[row] = std::min(nearest_distance[row], distance);
      }
    });
    double total = 0.0;
    for (double distance : nearest_distance) total += distance;
    if (!(total > 0.0)) {
      // Every row coincides with a seed: any row is as good as another; take them in turn.
      chosen = (chosen + 1) % row_count;
      continue;
    }
    const double target = random.next_unit() * total;
    double cumulative = 0.0;
    chosen = row_count - 1;
    for (std::size_t row = 0; row < row_count; ++row) {
      cumulative += nearest_distance[row];
      if (cumulative > target && nearest_distance[row] > 0.0) {
        chosen = row;
        break;
      }
    }
  }
  return seeds;
}

// For rows [begin, end) of `rows`: the most similar centroid (ties: the lower index) and that cosine.
void assign_range(const quantized_rows& rows, const quantized_centroids& centroids, std::size_t partition_count,
                  std::size_t begin, std::size_t end, std::uint32_t* nearest, float* nearest_similarity) {
  const vector::kernel_table& kernels = vector::active_kernels();
  const std::size_t dimensions = rows.dimensions;
  std::vector<std::int32_t> dots(partition_count);
  for (std::size_t row = begin; row < end; ++row) {
    kernels.scores_i8(rows.codes.data() + row * dimensions, centroids.codes.data(), dimensions, partition_count,
                      dots.data());
    std::size_t best = 0;
    float best_similarity = similarity(dots[0], rows.scales[row], centroids.scales[0]);
    for (std::size_t centroid = 1; centroid < partition_count; ++centroid) {
      const float candidate = similarity(dots[centroid], rows.scales[row], centroids.scales[centroid]);
      if (candidate > best_similarity) {
        best_similarity = candidate;
        best = centroid;
      }
    }
    nearest[row] = static_cast<std::uint32_t>(best);
    nearest_similarity[row] = best_similarity;
  }
}

}  // namespace

result<kmeans_result> train_kmeans(const quantized_rows& rows, const kmeans_options& options) {
  const std::size_t row_count = rows.row_count();
  const std::size_t partition_count = options.partition_count;
  if (rows.dimensions == 0 || rows.codes.size() != row_count * rows.dimensions) {
    return make_error(error_code::invalid_argument, "k-means: the quantized rows are inconsistent");
  }
  if (partition_count == 0 || partition_count > max_partition_count || partition_count > row_count) {
    return make_error(error_code::invalid_argument,
                      "k-means: partition count " + std::to_string(partition_count) + " must be between 1 and " +
                          "the smaller of " + std::to_string(row_count) + " rows and " +
                          std::to_string(max_partition_count));
  }
  const std::size_t dimensions = rows.dimensions;
  seeded_random random(options.seed);
  std::size_t sample_size = options.sample_size;
  if (sample_size == 0) {
    sample_size = partition_count > row_count / default_sample_rows_per_centroid
                      ? row_count
                      : partition_count * default_sample_rows_per_centroid;
  }
  sample_size = std::clamp(sample_size, partition_count, row_count);
  const quantized_rows sample = copy_rows(rows, draw_sample(row_count, sample_size, random));

  quantized_centroids centroids = seed_centroids(sample, partition_count, random, options.parallel_for);
  std::vector<float> unit_centroids(partition_count * dimensions);
  for (std::size_t centroid = 0; centroid < partition_count; ++centroid) {
    set_unit_from_codes(std::span<const std::int8_t>(centroids.codes).subspan(centroid * dimensions, dimensions),
                        centroids.scales[centroid], unit_centroids.data() + centroid * dimensions);
  }

  kmeans_result trained;
  trained.dimensions = rows.dimensions;
  std::vector<std::uint32_t> assignment(sample_size, 0xFFFFFFFFU), previous(sample_size, 0xFFFFFFFFU);
  std::vector<float> assigned_similarity(sample_size);
  std::vector<double> sums(partition_count * dimensions);
  std::vector<std::size_t> members(partition_count);
  for (std::size_t iteration = 0; iteration < options.max_iterations; ++iteration) {
    run_parallel_for(options.parallel_for, (sample_size + rows_per_task - 1) / rows_per_task,
                     [&](std::size_t first_task, std::size_t end_task) {
                       assign_range(sample, centroids, partition_count, first_task * rows_per_task,
                                    std::min(sample_size, end_task * rows_per_task), assignment.data(),
                                    assigned_similarity.data());
                     });
    ++trained.iterations;
    if (assignment == previous) {
      trained.converged = true;
      break;
    }
    previous = assignment;

    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(members.begin(), members.end(), std::size_t{0});
    for (std::size_t row = 0; row < sample_size; ++row) {
      const std::size_t centroid = assignment[row];
      ++members[centroid];
      const double scale = static_cast<double>(sample.scales[row]);
      double* sum = sums.data() + centroid * dimensions;
      const std::int8_t* codes = sample.codes.data() + row * dimensions;
      for (std::size_t i = 0; i < dimensions; ++i) sum[i] += static_cast<double>(codes[i]) * scale;
    }
    // Re-seeding candidates: the rows least similar to their centroid first.
    std::vector<std::size_t> outliers;
    std::size_t next_outlier = 0;
    for (std::size_t centroid = 0; centroid < partition_count; ++centroid) {
      const double* sum = sums.data() + centroid * dimensions;
      double norm_squared = 0.0;
      for (std::size_t i = 0; i < dimensions; ++i) norm_squared += sum[i] * sum[i];
      float* target = unit_centroids.data() + centroid * dimensions;
      if (members[centroid] > 0 && norm_squared > 0.0) {
        const double inverse_norm = 1.0 / std::sqrt(norm_squared);
        for (std::size_t i = 0; i < dimensions; ++i) target[i] = static_cast<float>(sum[i] * inverse_norm);
      } else {
        if (outliers.empty()) {
          outliers.resize(sample_size);
          std::iota(outliers.begin(), outliers.end(), std::size_t{0});
          std::stable_sort(outliers.begin(), outliers.end(), [&](std::size_t left, std::size_t right) {
            return assigned_similarity[left] < assigned_similarity[right];
          });
        }
        const std::size_t row = outliers[next_outlier % sample_size];
        ++next_outlier;
        set_unit_from_codes(sample.row(row), sample.scales[row], target);
      }
      quantize_centroid(std::span<const float>(target, dimensions),
                        std::span<std::int8_t>(centroids.codes).subspan(centroid * dimensions, dimensions),
                        centroids.scales[centroid]);
    }
  }
  trained.centroids = std::move(unit_centroids);
  return trained;
}

}  // namespace mosaic::partition
