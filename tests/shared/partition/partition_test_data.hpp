#pragma once
// Test collections for the partition tests, made only from seeded_random and correctly rounded
// arithmetic (no std distributions, no libm transcendentals), so the same seed gives the same
// vectors natively and in wasm: the k-means reference checksum below depends on it.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "partition/seeded_random.hpp"
#include "vector/kernels.hpp"

namespace mosaic::test {

// Components uniform in [-1, 1), then normalized in double.
inline void normalize_row(std::span<float> row) {
  double norm_squared = 0.0;
  for (float value : row) norm_squared += static_cast<double>(value) * static_cast<double>(value);
  const double inverse_norm = 1.0 / std::sqrt(norm_squared);
  for (float& value : row) value = static_cast<float>(static_cast<double>(value) * inverse_norm);
}

inline float uniform_component(partition::seeded_random& random) {
  return static_cast<float>(random.next_unit() * 2.0 - 1.0);
}

inline std::vector<float> random_unit_vectors(std::size_t count, std::size_t dimensions, std::uint64_t seed) {
  partition::seeded_random random(seed);
  std::vector<float> values(count * dimensions);
  for (std::size_t row = 0; row < count; ++row) {
    std::span<float> vector_of_row(values.data() + row * dimensions, dimensions);
    for (float& value : vector_of_row) value = uniform_component(random);
    normalize_row(vector_of_row);
  }
  return values;
}

// `clusters` random unit centres; each vector is a centre plus uniform noise of amplitude `spread`
// per component, normalized. Which centre a vector belongs to is drawn uniformly.
struct clustered_collection {
  std::vector<float> centres;
  std::vector<float> vectors;
};
inline clustered_collection clustered_unit_vectors(std::size_t count, std::size_t dimensions, std::size_t clusters,
                                                   float spread, std::uint64_t seed) {
  clustered_collection collection;
  collection.centres = random_unit_vectors(clusters, dimensions, seed ^ 0xC1C1C1C1ULL);
  partition::seeded_random random(seed);
  collection.vectors.resize(count * dimensions);
  for (std::size_t row = 0; row < count; ++row) {
    const auto cluster = static_cast<std::size_t>(random.next_below(clusters));
    std::span<float> vector_of_row(collection.vectors.data() + row * dimensions, dimensions);
    for (std::size_t i = 0; i < dimensions; ++i) {
      vector_of_row[i] = collection.centres[cluster * dimensions + i] + spread * uniform_component(random);
    }
    normalize_row(vector_of_row);
  }
  return collection;
}

// The exact k nearest rows of `vectors` to `query` by float dot product (ties: lower row).
inline std::vector<std::uint32_t> exact_top_k(std::span<const float> query, std::span<const float> vectors,
                                              std::size_t k) {
  const std::size_t dimensions = query.size();
  const std::size_t count = vectors.size() / dimensions;
  std::vector<float> scores(count);
  vector::active_kernels().scores_f32(query.data(), vectors.data(), dimensions, count, scores.data());
  std::vector<std::uint32_t> order(count);
  for (std::size_t row = 0; row < count; ++row) order[row] = static_cast<std::uint32_t>(row);
  const std::size_t kept = k < count ? k : count;
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(kept), order.end(),
                    [&](std::uint32_t left, std::uint32_t right) {
                      return scores[left] != scores[right] ? scores[left] > scores[right] : left < right;
                    });
  order.resize(kept);
  return order;
}

}  // namespace mosaic::test
