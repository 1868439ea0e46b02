#pragma once
// Exact top-k search over one or many shards: every row is scored (no approximate index), with a
// bounded heap of k, filters applied during the scan, and a total order on results: higher score
// first, then lower shard index, then lower row. Equal inputs therefore give equal outputs everywhere.
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "index/shard_codec.hpp"
#include "search/filter.hpp"
#include "search/prepared_query.hpp"

namespace mosaic::search {

struct searchable_shard {
  index::shard_view vectors;
  const shard_attributes* attributes = nullptr;  // required only when the filter uses attributes
};

// How an int8 shard is scored. quantized_query quantizes the query too and uses the exact int8
// kernel (fastest; the benchmark reports its recall); float_query multiplies the float query with the
// int8 codes (slower, closer to float32 scores).
enum class i8_query_mode : std::uint8_t { quantized_query, float_query };

struct search_options {
  std::size_t k = 10;
  search::filter filter;
  i8_query_mode i8_mode = i8_query_mode::quantized_query;
  // Also keep the `labelled_k` best rows that pass the filter and carry a label, from the same scan:
  // the voters of the label vote (label_vote.hpp), found without scanning the index a second time,
  // and without unlabelled rows crowding them out. 0: none. Needs every shard's attributes.
  std::size_t labelled_k = 0;
};

struct search_hit {
  std::uint64_t item_id = 0;
  float score = 0.0f;  // cosine similarity estimate in [-1, 1]
  std::uint32_t shard = 0;
  std::uint32_t row = 0;
};

struct scan_outcome {
  std::vector<search_hit> best;           // the k best rows passing the filter, in result order
  std::vector<search_hit> best_labelled;  // the labelled_k best of those that carry a label
};

// One pass over the shards. The query has the shards' dimensions; all shards share one dimension count.
result<scan_outcome> scan(const prepared_query& query, std::span<const searchable_shard> shards,
                          const search_options& options);

// The k best rows: scan(...).best. `query` need not be normalized (it is prepared here, once), but it
// must be finite, non-zero and have the shards' dimensions.
result<std::vector<search_hit>> top_k(std::span<const float> query, std::span<const searchable_shard> shards,
                                      const search_options& options);

// The result order: true when `left` ranks before `right`.
inline bool ranks_before(const search_hit& left, const search_hit& right) noexcept {
  if (left.score != right.score) return left.score > right.score;
  if (left.shard != right.shard) return left.shard < right.shard;
  return left.row < right.row;
}

}  // namespace mosaic::search
