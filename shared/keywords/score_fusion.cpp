#include "keywords/score_fusion.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mosaic::keywords {
namespace {

bool better(const scored_reference& left, const scored_reference& right) {
  if (left.score != right.score) return left.score > right.score;
  return left.reference < right.reference;
}

// The list best first, one entry per reference (its best score), NaN as the lowest score.
std::vector<scored_reference> ranked(std::span<const scored_reference> hits) {
  std::vector<scored_reference> list(hits.begin(), hits.end());
  for (scored_reference& hit : list) {
    if (std::isnan(hit.score)) hit.score = -std::numeric_limits<float>::infinity();
  }
  std::sort(list.begin(), list.end(), [](const scored_reference& left, const scored_reference& right) {
    if (left.reference != right.reference) return left.reference < right.reference;
    return left.score > right.score;
  });
  list.erase(std::unique(list.begin(), list.end(),
                         [](const scored_reference& left, const scored_reference& right) {
                           return left.reference == right.reference;
                         }),
             list.end());
  std::sort(list.begin(), list.end(), better);
  return list;
}

// Each score's share of the range of the list's best `window` entries (all when 0): the best 1, the
// window's worst 0, anything lower clamped to 0; a window without a range is all 1. Infinite scores (and
// NaN, made -inf by ranked()) are outside the range: +inf is 1, -inf is 0. `list` is best first.
void normalize_min_max(std::vector<scored_reference>& list, std::size_t window) {
  double highest = -std::numeric_limits<double>::infinity(), lowest = std::numeric_limits<double>::infinity();
  const std::size_t counted = window == 0 ? list.size() : std::min(window, list.size());
  for (std::size_t position = 0; position < counted; ++position) {
    const scored_reference& hit = list[position];
    if (!std::isfinite(hit.score)) continue;
    highest = std::max(highest, static_cast<double>(hit.score));
    lowest = std::min(lowest, static_cast<double>(hit.score));
  }
  const double range = highest - lowest;
  for (scored_reference& hit : list) {
    if (std::isinf(hit.score)) {
      hit.score = hit.score > 0 ? 1.0f : 0.0f;
    } else {
      const double share = range > 0 ? (static_cast<double>(hit.score) - lowest) / range : 1.0;
      hit.score = static_cast<float>(std::clamp(share, 0.0, 1.0));
    }
  }
}

}  // namespace

std::vector<scored_reference> fuse_scores(std::span<const scored_reference> vector_hits,
                                          std::span<const scored_reference> keyword_hits, const fusion_options& options) {
  std::vector<scored_reference> vector_list = ranked(vector_hits), keyword_list = ranked(keyword_hits);
  double vector_weight = 1.0, keyword_weight = 1.0;
  if (options.method == fusion_method::convex) {
    normalize_min_max(vector_list, options.normalization_window);
    normalize_min_max(keyword_list, options.normalization_window);
    vector_weight = static_cast<double>(options.vector_weight);
    keyword_weight = 1.0 - vector_weight;
  } else {
    for (std::vector<scored_reference>* list : {&vector_list, &keyword_list}) {
      for (std::size_t rank = 0; rank < list->size(); ++rank) {
        (*list)[rank].score = static_cast<float>(1.0 / (static_cast<double>(options.rank_constant) + static_cast<double>(rank + 1)));
      }
    }
  }
  std::sort(vector_list.begin(), vector_list.end(),
            [](const scored_reference& left, const scored_reference& right) { return left.reference < right.reference; });
  std::sort(keyword_list.begin(), keyword_list.end(),
            [](const scored_reference& left, const scored_reference& right) { return left.reference < right.reference; });
  std::vector<scored_reference> fused;
  fused.reserve(vector_list.size() + keyword_list.size());
  std::size_t left = 0, right = 0;
  while (left < vector_list.size() || right < keyword_list.size()) {
    item_reference reference = 0;
    double vector_score = 0, keyword_score = 0;
    if (right == keyword_list.size() ||
        (left < vector_list.size() && vector_list[left].reference < keyword_list[right].reference)) {
      reference = vector_list[left].reference;
      vector_score = static_cast<double>(vector_list[left++].score);
    } else if (left == vector_list.size() || keyword_list[right].reference < vector_list[left].reference) {
      reference = keyword_list[right].reference;
      keyword_score = static_cast<double>(keyword_list[right++].score);
    } else {
      reference = vector_list[left].reference;
      vector_score = static_cast<double>(vector_list[left++].score);
      keyword_score = static_cast<double>(keyword_list[right++].score);
    }
    fused.push_back({reference, static_cast<float>(vector_weight * vector_score + keyword_weight * keyword_score)});
  }
  std::sort(fused.begin(), fused.end(), better);
  return fused;
}

}  // namespace mosaic::keywords
