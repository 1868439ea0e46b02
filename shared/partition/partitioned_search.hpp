#pragma once
// Approximate search over a partitioned index (docs/format.md, "Partitioned layout"), in the steps a
// client that fetches lazily needs to see:
//   1. rank_partitions: score every centroid exactly (the centroid table is a small int8 shard) and
//      order them; the client fetches the heads (or whole files) of the first nprobe partitions.
//   2. candidate_rows: the query's sign code against each probed partition's centre, a Hamming scan of
//      the partition's codes (one bit per dimension, vector/kernels.hpp), the filter applied during the
//      scan, and the rerank_depth best rows over all probed partitions. The result names the rows a
//      client holding only heads must fetch (partition_row_range gives their byte ranges).
//   3. rerank: the exact int8 dot product of the query and each candidate's row, the k best returned.
// search_partitions runs the three over partitions already loaded whole, including the adaptive
// probe of filtered queries: when fewer than k scanned rows passed the filter, further partitions are
// probed in centroid order until k have, or filtered_probe_budget partitions were probed.
//
// Scores are those of a flat int8 search (the query quantized as vector/quantize.hpp does, the exact
// int8 kernel, times both scales), so the same row scores the same in both layouts; what is
// approximate is which rows are scored. Orders are total (ties: lower partition, then lower row), and
// the int8 and Hamming kernels are exact, so results are the same on every kernel variant and target.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "index/shard_codec.hpp"
#include "partition/partition_codec.hpp"

namespace mosaic::partition {

// Defaults chosen by tests/bench/partition_benchmark.cpp (native, AVX2, one thread of a shared
// 2-core machine, 2026-12-07; 100 queries, recall@10 against exact float search):
//   100,000 x 768 clustered (1,000 clusters, 317 partitions): flat int8 scan 1.94 ms, recall 0.987;
//     nprobe 8, depth 256: recall 0.981 in 0.176 ms (11x); 4/128: 0.979 (21x); 16/512: 0.980 (5.5x).
//   20,000 x 128 clustered, overlapping (142 partitions): 8/256: 0.833; 16/512: 0.875; 16/1024: 0.911.
//   Uniform random vectors (no clusters, the worst case): 100,000 x 768, 8/256: 0.050; 20,000 x 128: 0.213.
// Recall falls when more partitions are probed at a fixed depth: Hamming distances around different
// centres are not comparable, so far partitions' rows crowd the candidates. 8 partitions keeps the
// bytes a lazy client fetches small (8 heads of about sqrt(n) codes and ids) for most of the recall.
inline constexpr std::size_t default_nprobe = 8;
inline constexpr std::size_t default_rerank_depth = 256;
inline constexpr std::size_t default_filtered_probe_budget = 64;
// What a caller may ask for: every partition of the largest manifest, and re-ranking 100,000 rows.
inline constexpr std::size_t max_nprobe = 65536;
inline constexpr std::size_t max_rerank_depth = 100000;

// Whether row `row` of partition `partition` may be returned; empty: every row may.
using row_filter = std::function<bool(std::uint32_t partition, std::uint32_t row)>;

// A unit query with its int8 quantization, made once per query.
struct quantized_query {
  std::vector<float> unit;
  std::vector<std::int8_t> codes;
  float scale = 0.0f;
};
// `unit_query` must be finite and non-zero (it is used as given: prepare and normalize it first).
result<quantized_query> quantize_query(std::span<const float> unit_query);

struct ranked_partition {
  std::uint32_t partition = 0;
  float score = 0.0f;  // the query's cosine estimate with the partition's centroid
};
// Every partition of the centroid table (an int8 shard, one row per partition), best first.
result<std::vector<ranked_partition>> rank_partitions(const index::shard_view& centroids, const quantized_query& query);

struct candidate {
  std::uint32_t partition = 0;
  std::uint32_t row = 0;
  std::uint32_t distance = 0;  // Hamming distance between the query's and the row's sign codes
};
struct candidate_scan {
  std::vector<candidate> candidates;  // at most rerank_depth, nearest first (ties: partition, row)
  std::size_t rows_scanned = 0;
  std::size_t rows_passed = 0;  // rows of the scanned partitions that passed the filter
};
// `probed`: heads or whole partitions, each partition at most once, of the query's dimensions.
result<candidate_scan> candidate_rows(const quantized_query& query, std::span<const partition_view> probed,
                                      std::size_t rerank_depth, const row_filter& filter = {});

// A candidate's row, from a whole partition (rows_of_candidates) or fetched alone (decode_partition_row).
struct rerank_row {
  std::uint32_t partition = 0;
  std::uint32_t row = 0;
  std::uint64_t item_id = 0;
  partition_row data;
};
// The rows of `candidates` from whole partitions among `loaded` (missing_partition: invalid_argument).
result<std::vector<rerank_row>> rows_of_candidates(std::span<const candidate> candidates,
                                                   std::span<const partition_view> loaded);

struct partitioned_hit {
  std::uint64_t item_id = 0;
  float score = 0.0f;  // cosine estimate, as in a flat int8 search
  std::uint32_t partition = 0;
  std::uint32_t row = 0;
};
// The k best rows by exact int8 score, best first (ties: lower partition, then lower row).
result<std::vector<partitioned_hit>> rerank(const quantized_query& query, std::span<const rerank_row> rows,
                                            std::size_t k);

struct partitioned_search_options {
  std::size_t k = 10;
  std::size_t nprobe = default_nprobe;
  std::size_t rerank_depth = default_rerank_depth;  // raised to k when smaller
  row_filter filter;
  // Filtered queries only: the most partitions probed while fewer than k rows passed the filter.
  std::size_t filtered_probe_budget = default_filtered_probe_budget;
};

// How many of the ranked partitions to probe first, and whether a filtered query should probe one
// more after `probed` partitions of which `rows_passed` rows passed (the adaptive probe).
std::size_t initial_probe_count(std::size_t partition_count, const partitioned_search_options& options) noexcept;
bool should_probe_further(std::size_t probed, std::size_t rows_passed, std::size_t partition_count,
                          const partitioned_search_options& options) noexcept;

struct partitioned_search_outcome {
  std::vector<partitioned_hit> hits;
  std::vector<std::uint32_t> probed_partitions;  // in probe order
  std::size_t rows_scanned = 0;
  std::size_t rows_passed = 0;
};
// All steps over whole partitions. `loaded` must hold every partition the probe reaches (else
// invalid_argument naming it); it may hold others.
result<partitioned_search_outcome> search_partitions(const index::shard_view& centroids,
                                                     std::span<const float> unit_query,
                                                     std::span<const partition_view> loaded,
                                                     const partitioned_search_options& options);

}  // namespace mosaic::partition
