#pragma once
// The similarity from which a result is a close match for its query, per embedding model: below it a
// result is shown as a weaker match (folded away in the web element), and when no result reaches it
// the answer is "no close match". Cosine similarities mean different things for different models, so
// the figure is measured per model, never guessed: tests/bench/close_match_calibration.mjs finds it on
// held-out queries (README, "Honest relevance"). A model without a measured figure has none, and then
// every result counts as shown.
#include <array>
#include <optional>
#include <string_view>

#include "index/known_models.hpp"

namespace mosaic::search {

struct close_match_calibration {
  std::string_view model_id;
  float similarity;  // cosine similarity of query and item, for the model's normalized vectors
};

// The local model (use-lite-512) on beir-msmarco-5k: the 95th percentile of the best similarity 200
// nonsense queries reach (calibration half 0.48, rounded up); on the held-out half 3% of nonsense
// queries reach it, 95% of real queries keep a close match and 90% of the judged-relevant passages in
// their top 10 stay close matches (build/bench/close-match-results.json, 2026-12-06).
inline constexpr std::array<close_match_calibration, 1> close_match_calibrations{{
    {index::local_text_model.id, 0.48f},
}};

// The model's close-match similarity, or nullopt for a model without a measured one.
constexpr std::optional<float> close_match_similarity(std::string_view model_id) noexcept {
  for (const close_match_calibration& calibration : close_match_calibrations) {
    if (calibration.model_id == model_id) return calibration.similarity;
  }
  return std::nullopt;
}

}  // namespace mosaic::search
