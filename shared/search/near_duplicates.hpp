#pragma once
// Near-duplicate grouping: results whose stored vectors are near-identical (the same picture twice,
// two copies of a text, a text with a word changed) are one answer, not several. Each ranked hit is
// assigned to the first earlier hit that leads a group and is at least the model's near-duplicate
// similarity to it; a hit near no earlier leader leads a group of its own. Comparing with leaders only
// keeps groups flat (a duplicate never leads) and the rank order of leaders unchanged, so a client
// shows one card per leader, with "N similar" folded under it.
//
// The figure is per model, measured (tests/bench/near_duplicate_calibration.mjs, 2026-12-06): with the
// local model (use-lite-512) copies of the sample collection's texts reach a cosine similarity of 1
// (identical), at least 0.925 (one word changed), 0.966 (one dropped), 0.968 (one added) and 0.887
// (commas and the full stop re-punctuated), while distinct texts on one topic reach at most 0.733
// (median 0.622 over 10 pairs). 0.85 sits between them with room on both sides. A model without a
// measured figure groups copies only: identical inputs give identical vectors in any model, and
// int8 rows of identical vectors are identical, so 0.98 only joins what is a copy up to rounding.
//
// No I/O; the caller hands the hits' stored vectors (any scale: the cosine normalizes them).
#include <array>
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "index/known_models.hpp"

namespace mosaic::search {

struct near_duplicate_calibration {
  std::string_view model_id;
  float similarity;  // cosine similarity of two items' stored vectors from which they are one answer
};

inline constexpr std::array<near_duplicate_calibration, 1> near_duplicate_calibrations{{
    {index::local_text_model.id, 0.85f},
}};

// For a model without a measured figure: copies only (see above).
inline constexpr float copy_similarity = 0.98f;

// Grouping compares each hit with the group leaders before it (at most n(n-1)/2 dot products): only
// the first this many hits of an answer are grouped, which bounds a k = 10000 query's extra work
// (125,000 dot products at most); hits past it are left as they are (their own groups).
inline constexpr std::size_t max_grouped_hits = 500;

[[nodiscard]] constexpr float near_duplicate_similarity(std::string_view model_id) noexcept {
  for (const near_duplicate_calibration& calibration : near_duplicate_calibrations) {
    if (calibration.model_id == model_id) return calibration.similarity;
  }
  return copy_similarity;
}

// `rows` holds `rows.size() / dimensions` ranked hits' vectors, one after another. For each hit, the
// position of its group's leader: its own position when it leads, else the first earlier leader whose
// cosine similarity to it is at least `threshold`. A zero vector leads a group of its own and joins
// none. `dimensions` 0 gives no hits.
[[nodiscard]] std::vector<std::size_t> near_duplicate_leaders(std::span<const float> rows, std::size_t dimensions,
                                                              float threshold);

}  // namespace mosaic::search
