#include "search/label_vote.hpp"

#include <algorithm>
#include <cmath>

namespace mosaic::search {
namespace {

struct tally {
  std::uint32_t label;
  double weight = 0.0;
  std::size_t votes = 0;
  float best_score = -2.0f;
};

double weight_of(const vote_neighbour& neighbour, vote_method method) {
  return method == vote_method::majority ? 1.0 : std::max(0.0, static_cast<double>(neighbour.score));
}

}  // namespace

result<label_vote> vote_label(std::span<const vote_neighbour> neighbours_best_first, const vote_options& options) {
  if (options.k == 0) return make_error(error_code::invalid_argument, "label vote needs k >= 1");
  if (!std::isfinite(options.unknown_below)) {
    return make_error(error_code::invalid_argument, "the unknown threshold must be a finite similarity");
  }
  if (!(options.min_confidence >= 0.0f && options.min_confidence <= 1.0f)) {
    return make_error(error_code::invalid_argument, "the least confidence must be a number from 0 to 1");
  }
  label_vote outcome;
  std::vector<tally> tallies;
  double total_weight = 0.0;
  for (const vote_neighbour& neighbour : neighbours_best_first) {
    if (outcome.considered == options.k) break;
    if (neighbour.label == 0) continue;
    if (!std::isfinite(neighbour.score)) {
      return make_error(error_code::non_finite_value, "a neighbour's similarity is not finite");
    }
    ++outcome.considered;
    const double weight = weight_of(neighbour, options.method);
    total_weight += weight;
    if (neighbour.score < options.unknown_below) continue;
    auto existing = std::find_if(tallies.begin(), tallies.end(),
                                 [&](const tally& entry) { return entry.label == neighbour.label; });
    if (existing == tallies.end()) existing = tallies.insert(tallies.end(), tally{neighbour.label});
    existing->weight += weight;
    existing->votes += 1;
    existing->best_score = std::max(existing->best_score, neighbour.score);
  }
  if (tallies.empty() || total_weight <= 0.0) return outcome;

  const auto winner = std::min_element(tallies.begin(), tallies.end(), [](const tally& left, const tally& right) {
    if (left.weight != right.weight) return left.weight > right.weight;
    if (left.best_score != right.best_score) return left.best_score > right.best_score;
    return left.label < right.label;
  });
  if (winner->weight <= 0.0) return outcome;
  outcome.votes = winner->votes;
  outcome.best_score = winner->best_score;
  outcome.confidence = static_cast<float>(winner->weight / total_weight);
  outcome.known = outcome.confidence >= options.min_confidence;
  if (outcome.known) outcome.label = winner->label;
  return outcome;
}

}  // namespace mosaic::search
