// k-nearest-neighbour label vote. Each case is small enough to work out by hand; the expected
// confidences below are the hand computation, done in double as the vote does and rounded once.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "search/label_vote.hpp"
#include "outcome_name.hpp"

using mosaic::test::outcome_name;
using mosaic::search::label_vote;
using mosaic::search::vote_label;
using mosaic::search::vote_method;
using mosaic::search::vote_neighbour;
using mosaic::search::vote_options;

namespace {

vote_options options_with(std::size_t k, vote_method method, float unknown_below = 0.0f) {
  vote_options options;
  options.k = k;
  options.method = method;
  options.unknown_below = unknown_below;
  return options;
}

label_vote vote(const std::vector<vote_neighbour>& neighbours, const vote_options& options) {
  auto outcome = vote_label(neighbours, options);
  REQUIRE(outcome_name(outcome) == "ok");
  return outcome.value();
}

// Scores enter the vote as float and are summed in double: the expected ratio is formed the same way.
double weight(float score) { return static_cast<double>(score); }
float ratio(double part, double whole) { return static_cast<float>(part / whole); }

}  // namespace

TEST_CASE("majority and score-weighted votes can pick different labels", "[label_vote]") {
  // Label 1 has one close neighbour, label 2 has two distant ones.
  const std::vector<vote_neighbour> neighbours = {{1, 0.9f}, {2, 0.3f}, {2, 0.3f}};

  const label_vote by_majority = vote(neighbours, options_with(5, vote_method::majority));
  CHECK(by_majority.known);
  CHECK(by_majority.label == 2);
  CHECK(by_majority.votes == 2);
  CHECK(by_majority.considered == 3);
  CHECK(by_majority.confidence == ratio(2.0, 3.0));
  CHECK(by_majority.best_score == 0.3f);

  const label_vote by_score = vote(neighbours, options_with(5, vote_method::score_weighted));
  CHECK(by_score.known);
  CHECK(by_score.label == 1);
  CHECK(by_score.votes == 1);
  CHECK(by_score.considered == 3);
  CHECK(by_score.confidence == ratio(weight(0.9f), weight(0.9f) + weight(0.3f) + weight(0.3f)));
  CHECK(by_score.confidence == Approx(0.6f).margin(1e-6));
  CHECK(by_score.best_score == 0.9f);
}

TEST_CASE("a clear winner", "[label_vote]") {
  const std::vector<vote_neighbour> neighbours = {{3, 0.95f}, {3, 0.9f}, {7, 0.5f}, {3, 0.85f}, {1, 0.2f}};
  for (vote_method method : {vote_method::majority, vote_method::score_weighted}) {
    INFO((method == vote_method::majority ? "majority" : "score_weighted"));
    const label_vote outcome = vote(neighbours, options_with(5, method));
    CHECK(outcome.known);
    CHECK(outcome.label == 3);
    CHECK(outcome.votes == 3);
    CHECK(outcome.considered == 5);
    CHECK(outcome.best_score == 0.95f);
    if (method == vote_method::majority) {
      CHECK(outcome.confidence == ratio(3.0, 5.0));
    } else {
      const double winner = weight(0.95f) + weight(0.9f) + weight(0.85f);
      CHECK(outcome.confidence == ratio(winner, winner + weight(0.5f) + weight(0.2f)));
    }
  }
}

TEST_CASE("ties between labels are broken by weight, then best score, then label id", "[label_vote]") {
  SECTION("higher total weight wins over more votes") {
    // Label 1: three votes weighing 0.9 in all; label 2: one vote weighing 0.95.
    const label_vote outcome =
        vote({{1, 0.3f}, {2, 0.95f}, {1, 0.3f}, {1, 0.3f}}, options_with(5, vote_method::score_weighted));
    CHECK(outcome.label == 2);
    CHECK(outcome.votes == 1);
    CHECK(outcome.confidence == ratio(weight(0.95f), weight(0.95f) + 3 * weight(0.3f)));
  }
  SECTION("equal vote counts: the label with the best single neighbour wins") {
    // Majority: two votes each, so equal weight; label 7 has the closest neighbour (0.9 > 0.6).
    const std::vector<vote_neighbour> neighbours = {{5, 0.6f}, {7, 0.9f}, {5, 0.5f}, {7, 0.1f}};
    const label_vote outcome = vote(neighbours, options_with(4, vote_method::majority));
    CHECK(outcome.label == 7);
    CHECK(outcome.votes == 2);
    CHECK(outcome.best_score == 0.9f);
    CHECK(outcome.confidence == 0.5f);
  }
  SECTION("equal weights: the label with the best single neighbour wins") {
    // 0.5 + 0.25 and 0.75 are exact in binary, so the two weights are exactly equal.
    const label_vote four_wins = vote({{2, 0.5f}, {4, 0.75f}, {2, 0.25f}}, options_with(5, vote_method::score_weighted));
    CHECK(four_wins.label == 4);
    CHECK(four_wins.best_score == 0.75f);
    CHECK(four_wins.confidence == 0.5f);
    const label_vote two_wins = vote({{4, 0.5f}, {2, 0.75f}, {4, 0.25f}}, options_with(5, vote_method::score_weighted));
    CHECK(two_wins.label == 2);
    CHECK(two_wins.best_score == 0.75f);
  }
  SECTION("equal weight and best score: the lower label id wins, whatever the order") {
    for (vote_method method : {vote_method::majority, vote_method::score_weighted}) {
      const label_vote forwards = vote({{9, 0.5f}, {3, 0.5f}}, options_with(5, method));
      const label_vote backwards = vote({{3, 0.5f}, {9, 0.5f}}, options_with(5, method));
      CHECK(forwards.label == 3);
      CHECK(backwards.label == 3);
      CHECK(forwards.confidence == 0.5f);
      CHECK(backwards.confidence == 0.5f);
    }
  }
}

TEST_CASE("unlabelled neighbours are skipped and not counted", "[label_vote]") {
  const std::vector<vote_neighbour> neighbours = {{0, 0.99f}, {0, 0.98f}, {2, 0.5f}, {0, 0.45f}, {1, 0.4f}};
  const label_vote outcome = vote(neighbours, options_with(2, vote_method::score_weighted));
  CHECK(outcome.known);
  CHECK(outcome.label == 2);
  CHECK(outcome.considered == 2);  // k counts labelled neighbours only
  CHECK(outcome.votes == 1);
  CHECK(outcome.confidence == ratio(weight(0.5f), weight(0.5f) + weight(0.4f)));

  const label_vote only_unlabelled = vote({{0, 0.99f}, {0, 0.9f}}, options_with(5, vote_method::majority));
  CHECK_FALSE(only_unlabelled.known);
  CHECK(only_unlabelled.considered == 0);
  CHECK(only_unlabelled.label == 0);
}

TEST_CASE("k limits how many labelled neighbours take part", "[label_vote]") {
  const std::vector<vote_neighbour> neighbours = {{1, 0.9f}, {2, 0.8f}, {2, 0.7f}, {2, 0.6f}};

  const label_vote nearest_only = vote(neighbours, options_with(1, vote_method::majority));
  CHECK(nearest_only.label == 1);
  CHECK(nearest_only.considered == 1);
  CHECK(nearest_only.confidence == 1.0f);

  // k = 2: one vote each; label 1 has the better neighbour (and the larger weight when weighted).
  for (vote_method method : {vote_method::majority, vote_method::score_weighted}) {
    const label_vote two = vote(neighbours, options_with(2, method));
    CHECK(two.label == 1);
    CHECK(two.considered == 2);
  }

  const label_vote all_four = vote(neighbours, options_with(4, vote_method::score_weighted));
  CHECK(all_four.label == 2);
  CHECK(all_four.considered == 4);
  CHECK(all_four.votes == 3);
  const double label_two = weight(0.8f) + weight(0.7f) + weight(0.6f);
  CHECK(all_four.confidence == ratio(label_two, label_two + weight(0.9f)));

  // A k larger than the list takes what there is.
  const label_vote large_k = vote(neighbours, options_with(100, vote_method::majority));
  CHECK(large_k.considered == 4);
  CHECK(large_k.confidence == 0.75f);
}

TEST_CASE("neighbours below the unknown threshold do not vote but do count", "[label_vote]") {
  SECTION("all below: unknown") {
    for (vote_method method : {vote_method::majority, vote_method::score_weighted}) {
      const label_vote outcome = vote({{1, 0.3f}, {2, 0.2f}, {1, 0.1f}}, options_with(5, method, 0.5f));
      CHECK_FALSE(outcome.known);
      CHECK(outcome.label == 0);
      CHECK(outcome.votes == 0);
      CHECK(outcome.considered == 3);
      CHECK(outcome.confidence == 0.0f);
    }
  }
  SECTION("some below: they dilute the winner's confidence") {
    // Only label 1 (0.8) is close enough to vote; labels 2 (0.4, 0.3) still count in the denominator.
    const std::vector<vote_neighbour> neighbours = {{1, 0.8f}, {2, 0.4f}, {2, 0.3f}};
    const label_vote weighted = vote(neighbours, options_with(5, vote_method::score_weighted, 0.5f));
    CHECK(weighted.known);
    CHECK(weighted.label == 1);
    CHECK(weighted.votes == 1);
    CHECK(weighted.considered == 3);
    CHECK(weighted.best_score == 0.8f);
    CHECK(weighted.confidence == ratio(weight(0.8f), weight(0.8f) + weight(0.4f) + weight(0.3f)));
    CHECK(weighted.confidence == Approx(0.8 / 1.5).margin(1e-6));

    const label_vote majority = vote(neighbours, options_with(5, vote_method::majority, 0.5f));
    CHECK(majority.known);
    CHECK(majority.label == 1);
    CHECK(majority.confidence == ratio(1.0, 3.0));
  }
  SECTION("a score equal to the threshold votes") {
    const label_vote outcome = vote({{4, 0.5f}}, options_with(5, vote_method::majority, 0.5f));
    CHECK(outcome.known);
    CHECK(outcome.label == 4);
    CHECK(outcome.confidence == 1.0f);
  }
}

TEST_CASE("negative similarities weigh nothing in a score-weighted vote", "[label_vote]") {
  const label_vote outcome = vote({{1, -0.2f}, {2, 0.4f}, {1, -0.1f}}, options_with(5, vote_method::score_weighted, -1.0f));
  CHECK(outcome.known);
  CHECK(outcome.label == 2);
  CHECK(outcome.considered == 3);
  CHECK(outcome.confidence == 1.0f);

  // Nobody has positive weight: there is no evidence for any label.
  const label_vote nothing = vote({{1, -0.2f}, {2, -0.4f}}, options_with(5, vote_method::score_weighted, -1.0f));
  CHECK_FALSE(nothing.known);
  CHECK(nothing.considered == 2);
}

TEST_CASE("an empty neighbour list is unknown", "[label_vote]") {
  for (vote_method method : {vote_method::majority, vote_method::score_weighted}) {
    const label_vote outcome = vote({}, options_with(5, method));
    CHECK_FALSE(outcome.known);
    CHECK(outcome.label == 0);
    CHECK(outcome.votes == 0);
    CHECK(outcome.considered == 0);
    CHECK(outcome.confidence == 0.0f);
  }
}

TEST_CASE("invalid options and scores are rejected with specific errors", "[label_vote]") {
  const std::vector<vote_neighbour> neighbours = {{1, 0.9f}, {2, 0.5f}};
  auto expect_error = [](const std::vector<vote_neighbour>& input, const vote_options& options,
                         const std::string& expected) {
    auto outcome = vote_label(input, options);
    CHECK(outcome_name(outcome) == expected);
    if (!outcome.ok()) CHECK_FALSE(outcome.failure().message.empty());
  };

  expect_error(neighbours, options_with(0, vote_method::majority), "invalid_argument");
  expect_error({}, options_with(0, vote_method::score_weighted), "invalid_argument");
  for (float threshold : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity()}) {
    INFO("threshold " << threshold);
    expect_error(neighbours, options_with(5, vote_method::majority, threshold), "invalid_argument");
  }
  for (float score : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    INFO("score " << score);
    expect_error({{1, 0.9f}, {2, score}}, options_with(5, vote_method::score_weighted), "non_finite_value");
    expect_error({{1, score}}, options_with(5, vote_method::majority), "non_finite_value");
  }
}
