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

// The defaults, chosen by make bench (README "Performance", partitioned layout; recall@10 against
// exact search). Measured before they changed (nprobe 8, a fixed depth of 256): WordNet's glosses
// (117,459 real embeddings, 343 partitions) reached 0.925, and more depth did not help (8/1024: 0.927)
// while more partitions did (16/256: 0.967): real embeddings spread a query's neighbours over more
// partitions than clustered synthetic data. The 1,000,000-item site (1,000 partitions of ~1,000 rows)
// reached 0.855 whatever nprobe (16/256: 0.855) and 0.972 at depth 1,024: with big partitions the
// sign-code estimate ranks true neighbours below the 256th candidate. So the depth grows with the
// rows scanned (one re-ranked row per 16 scanned, never fewer than 256), and 16 partitions are probed.
// At these defaults (make bench, wasm, 2026-12-06, one thread of a shared 2-core machine): WordNet
// 0.970 in 0.58 ms (5.3x the exact scan); the 1,000,000-item site 0.972 (warm 1.2 ms in Chromium); the
// peers' 100,000 x 768 clustered set 0.983 in 0.62 ms, against hnswlib-wasm's 0.73 ms at 0.986. More in
// README, "Performance", partitioned layout.
inline constexpr std::size_t default_nprobe = 16;
// A rerank_depth of 0 asks for the default depth: rerank_depth_for below.
inline constexpr std::size_t automatic_rerank_depth = 0;
inline constexpr std::size_t default_rerank_depth = automatic_rerank_depth;
inline constexpr std::size_t minimum_automatic_rerank_depth = 256;
inline constexpr std::size_t rows_scanned_per_automatic_rerank = 16;
inline constexpr std::size_t default_filtered_probe_budget = 64;
// What a caller may ask for: every partition of the largest manifest, and re-ranking 100,000 rows.
inline constexpr std::size_t max_nprobe = 65536;
inline constexpr std::size_t max_rerank_depth = 100000;

// The candidates re-ranked when `requested` were asked for (automatic_rerank_depth: grows with the
// `rows_to_scan` of the first probe, up to max_rerank_depth) for `k` results (never fewer than k).
std::size_t rerank_depth_for(std::size_t requested, std::size_t rows_to_scan, std::size_t k) noexcept;

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
  // What candidates are ranked by: the estimated cosine with the query when the partition's residual
  // statistics are given, else minus the Hamming distance.
  float estimate = 0.0f;
};

// Per-row numbers that turn a Hamming distance into a score comparable across partitions, computed
// once from a whole partition (its centre and dequantized rows): for row x and centre c, the residual
// r = x - c has norm |r| and <c, r>. For a query q with residual s = q - c the score is
//   <q, x> = |c|^2 + <c, s> + <c, r> + <s, r>,   <s, r> ~ |s| |r| cos(pi h / d)
// with h the Hamming distance of the sign codes of s and r over d dimensions (the angle estimate of
// sign projections). Ranking by raw Hamming distance cannot compare rows of different partitions
// (their residuals have other norms and other offsets): recall fell as more partitions were probed.
struct residual_statistics {
  std::vector<float> norms;        // |x - c| per row
  std::vector<float> centre_dots;  // <c, x - c> per row
  float centre_squared_norm = 0.0f;
};
// Needs the rows (a whole partition: invalid_argument for a head).
result<residual_statistics> compute_residual_statistics(const partition_view& whole);
struct candidate_scan {
  std::vector<candidate> candidates;  // at most rerank_depth, nearest first (ties: partition, row)
  std::size_t rows_scanned = 0;
  std::size_t rows_passed = 0;  // rows of the scanned partitions that passed the filter
};
// `probed`: heads or whole partitions, each partition at most once, of the query's dimensions.
// `rerank_depth`: as rerank_depth_for takes it (automatic: from the rows of `probed`).
// `statistics`: empty (rank by Hamming distance) or one per probed partition, in the same order.
result<candidate_scan> candidate_rows(const quantized_query& query, std::span<const partition_view> probed,
                                      std::size_t rerank_depth, const row_filter& filter = {},
                                      std::span<const residual_statistics* const> statistics = {});

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
  std::size_t rerank_depth = default_rerank_depth;  // rerank_depth_for: automatic, or as asked (at least k)
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
// `statistics`: empty, or one per partition of `loaded`, in the same order (see residual_statistics).
result<partitioned_search_outcome> search_partitions(const index::shard_view& centroids,
                                                     std::span<const float> unit_query,
                                                     std::span<const partition_view> loaded,
                                                     const partitioned_search_options& options,
                                                     std::span<const residual_statistics> statistics = {});

}  // namespace mosaic::partition
