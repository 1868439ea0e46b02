#pragma once
// k-nearest-neighbour label vote: "which person is in this photo", from a collection laid out one
// folder per person. The neighbours come from top_k (best first); each carries its item's label id.
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"

namespace mosaic::search {

enum class vote_method : std::uint8_t {
  majority,        // one vote per neighbour
  score_weighted,  // each neighbour votes with its similarity (negative similarities count as 0)
};

struct vote_options {
  std::size_t k = 5;                 // how many labelled neighbours take part
  vote_method method = vote_method::score_weighted;
  float unknown_below = 0.0f;        // neighbours less similar than this do not vote
  float min_confidence = 0.0f;       // a winner with less confidence than this (0..1) is "unknown"
};

struct vote_neighbour {
  std::uint32_t label = 0;  // 0: unlabelled, skipped
  float score = 0.0f;
};

struct label_vote {
  bool known = false;         // false: "unknown" (nobody close enough, no labelled neighbour, or the
                              // winner's confidence below min_confidence: its figures are kept then)
  std::uint32_t label = 0;    // the winner when known, else 0
  float confidence = 0.0f;    // winner's weight / total weight of the k labelled neighbours, in [0, 1]
  std::size_t votes = 0;      // neighbours that voted for the winner
  std::size_t considered = 0; // labelled neighbours looked at (<= k)
  float best_score = 0.0f;    // highest similarity among the winner's voters
};

// Ties between labels are broken by higher total weight, then higher best single similarity, then
// lower label id, so the outcome never depends on anything but the input.
result<label_vote> vote_label(std::span<const vote_neighbour> neighbours_best_first, const vote_options& options);

}  // namespace mosaic::search
