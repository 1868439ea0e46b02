#pragma once
// Hybrid ranking: one list from vector search, one from keyword search, fused into one. Generic: the
// caller maps its hits to item references (or any u64 key) and back.
#include <cstdint>
#include <span>
#include <vector>

#include "keywords/item_reference.hpp"

namespace mosaic::keywords {

struct scored_reference {
  item_reference reference = 0;
  float score = 0;
  friend bool operator==(const scored_reference&, const scored_reference&) = default;
};

enum class fusion_method : std::uint8_t {
  convex,           // w·v + (1 − w)·k over min-max normalized scores
  reciprocal_rank,  // Σ 1 / (rank_constant + rank), rank from 1 in each list
};

struct fusion_options {
  fusion_method method = fusion_method::convex;
  // w, convex only. 0.2: measured on beir-msmarco-5k with the local model (nDCG@10 0.7494 at 0.2, 0.7504 at
  // 0.25, 0.7489 at 0.3, 0.7296 at 0.4), and with a vector side of noise (a model that knows nothing of the
  // language) it costs 0.005 against keyword alone where 0.3 costs 0.025 (README, "Keyword and hybrid search").
  float vector_weight = 0.2f;
  float rank_constant = 60.0f;   // reciprocal_rank only
  // convex: each list's minimum and maximum are taken over its best `normalization_window` entries (0: the
  // whole list), and scores below that minimum count as 0. A caller that asks for more hits (a larger k,
  // "load more") then fuses longer lists without moving the scores of the first ones.
  std::size_t normalization_window = 0;
};

// convex: each list min-max normalized over itself, or over its best normalization_window entries (a
// single-element or all-equal window normalizes to 1),
// missing = 0, fused = w·v + (1−w)·k. reciprocal_rank: Σ 1/(rank_constant + rank), each list ranked by
// score desc, ties by reference asc. Returns all references of both lists, best first, ties by
// reference asc. A reference listed twice in one list counts once, with its best score; NaN scores
// count as the list's lowest.
std::vector<scored_reference> fuse_scores(std::span<const scored_reference> vector_hits,
                                          std::span<const scored_reference> keyword_hits, const fusion_options& options);

}  // namespace mosaic::keywords
