#pragma once
// Spherical k-means for unit vectors under cosine similarity: the clustering that decides the
// partitions of a partitioned index (docs/format.md, "Partitioned layout").
//
// - Seeding is k-means++ (Arthur and Vassilvitskii, 2007): each next seed is a sample row drawn with
//   probability proportional to its squared distance to the nearest seed so far (2 - 2 cos for unit
//   vectors), from seeded_random, so a seed fixes the result.
// - Each iteration assigns every sample row to its most similar centroid (ties: the lower centroid),
//   then sets each centroid to the normalized sum of its rows. A centroid left without rows is
//   re-seeded at the sample row least similar to its own centroid (ties: the lower row), each row used
//   once per iteration. Training stops after max_iterations or when no row changed centroid.
// - Similarities are exact int8 dot products (rows and centroids quantized as shards store them)
//   times the two scales, and sums are taken in double in row order, so the centroids are
//   bit-identical on every kernel variant, natively and in wasm, and for any parallel_for split.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/result.hpp"
#include "partition/parallel_for.hpp"
#include "partition/quantized_rows.hpp"

namespace mosaic::partition {

inline constexpr std::uint64_t default_kmeans_seed = 0x6D6F73616963ULL;  // "mosaic"
inline constexpr std::size_t default_kmeans_iterations = 10;
// Rows per centroid in the training sample when the caller gives no sample size (FAISS's default
// budget): more rows barely move the centroids, while training time grows with the sample.
inline constexpr std::size_t default_sample_rows_per_centroid = 256;

struct kmeans_options {
  std::size_t partition_count = 0;  // k: 1 ... min(rows, 65,536)
  std::size_t max_iterations = default_kmeans_iterations;
  // Rows to train on, drawn without replacement from seeded_random; 0: partition_count *
  // default_sample_rows_per_centroid. All rows when the sample would hold them all.
  std::size_t sample_size = 0;
  std::uint64_t seed = default_kmeans_seed;
  parallel_for_hook parallel_for;  // runs the assignment and seeding scans; empty: serial
};

struct kmeans_result {
  std::uint32_t dimensions = 0;
  std::vector<float> centroids;  // partition_count unit vectors, row-major
  std::size_t iterations = 0;    // Lloyd iterations run
  bool converged = false;        // true when the last iteration changed no assignment
};

result<kmeans_result> train_kmeans(const quantized_rows& rows, const kmeans_options& options);

}  // namespace mosaic::partition
