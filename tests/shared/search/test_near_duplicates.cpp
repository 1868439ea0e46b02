#include <catch2/catch.hpp>

#include <cmath>

#include "hand_built_index.hpp"
#include "index/known_models.hpp"
#include "search/near_duplicates.hpp"
#include "search/result_json.hpp"

using mosaic::search::near_duplicate_leaders;
using mosaic::search::near_duplicate_similarity;

TEST_CASE("the local model's near-duplicate figure lies between its measured copies and distinct texts") {
  const float local = near_duplicate_similarity(mosaic::index::local_text_model.id);
  // tests/bench/near_duplicate_calibration.mjs: copies from 0.887 up, distinct texts up to 0.733.
  CHECK(local > 0.733f);
  CHECK(local < 0.887f);
  CHECK(near_duplicate_similarity("gemini-embedding-2") == mosaic::search::copy_similarity);
  for (const auto& calibration : mosaic::search::near_duplicate_calibrations) {
    CHECK(mosaic::index::known_output_dimensions(calibration.model_id).has_value());
  }
}

TEST_CASE("each hit joins the first earlier group leader it is near-identical to") {
  // Rank order: a, b, a scaled (a copy: the cosine ignores length), zero, a tilted copy of b, c, c's copy.
  const std::vector<float> rows{
      1.0f, 0.0f, 0.0f,   // 0: a
      0.0f, 1.0f, 0.0f,   // 1: b
      3.0f, 0.0f, 0.0f,   // 2: a again, longer
      0.0f, 0.0f, 0.0f,   // 3: a zero vector: joins nothing, nothing joins it
      0.1f, 1.0f, 0.0f,   // 4: b tilted, cosine 0.995 to b
      0.6f, 0.0f, 0.8f,   // 5: c, cosine 0.6 to a
      0.6f, 0.0f, 0.8f};  // 6: c again
  const auto leaders = near_duplicate_leaders(rows, 3, 0.9f);
  CHECK(leaders == std::vector<std::size_t>{0, 1, 0, 3, 1, 5, 5});
  SECTION("a higher threshold keeps the tilted copy apart") {
    CHECK(near_duplicate_leaders(rows, 3, 0.999f) == std::vector<std::size_t>{0, 1, 0, 3, 4, 5, 5});
  }
  SECTION("a hit near a duplicate but not near its leader leads its own group (groups stay flat)") {
    // d is 0.95 to a, e is 0.95 to d but only 0.8 to a: e does not join through d.
    const float angle = std::acos(0.95f);
    const std::vector<float> chain{1.0f, 0.0f, std::cos(angle), std::sin(angle), std::cos(2 * angle), std::sin(2 * angle)};
    CHECK(near_duplicate_leaders(chain, 2, 0.9f) == std::vector<std::size_t>{0, 0, 2});
  }
  CHECK(near_duplicate_leaders({}, 3, 0.9f).empty());
  CHECK(near_duplicate_leaders(rows, 0, 0.9f).empty());
}

TEST_CASE("a query with group_duplicates marks each near-duplicate and counts them on its leader") {
  using namespace mosaic;
  const std::vector<float> query{1.0f, 0.0f, 0.0f};
  // Scores 0.9, 0.89, 0.8, 0.7, 0.5: item 2 is a copy of item 1 (cosine 0.9997), item 4 of item 3
  // (0.988); item 5 is 0.83 to item 1, under the local model's figure.
  auto built = test::build_index({{test::at_similarity(0.9f)},
                                  {test::at_similarity(0.89f)},
                                  {{0.8f, 0.0f, 0.6f}},
                                  {{0.7f, 0.0f, std::sqrt(1.0f - 0.49f)}},
                                  {test::at_similarity(0.5f)}},
                                 false, std::string(index::local_text_model.id));
  search::query_options options;
  options.k = 10;

  SECTION("off by default: no hit is marked") {
    auto outcome = built.index.query(query, built.shards, options);
    REQUIRE(outcome.ok());
    REQUIRE(outcome->hits.size() == 5);
    for (const search::index_hit& hit : outcome->hits) {
      CHECK_FALSE(hit.duplicate_of.has_value());
      CHECK(hit.duplicates == 0);
    }
    const auto answer = search::query_outcome_json(built.index, outcome.value());
    for (const auto& result : answer["results"]) {
      CHECK_FALSE(result.contains("duplicate_of"));
      CHECK_FALSE(result.contains("duplicates"));
    }
  }
  SECTION("on: the hits keep their order; copies name their leader") {
    auto parsed = search::query_options_from_json_text(R"({"k": 10, "group_duplicates": true})");
    REQUIRE(parsed.ok());
    CHECK(parsed->group_duplicates);
    auto outcome = built.index.query(query, built.shards, parsed.value());
    REQUIRE(outcome.ok());
    REQUIRE(outcome->hits.size() == 5);
    std::vector<std::uint64_t> order;
    for (const search::index_hit& hit : outcome->hits) order.push_back(hit.item_id);
    CHECK(order == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
    CHECK_FALSE(outcome->hits[0].duplicate_of.has_value());
    CHECK(outcome->hits[0].duplicates == 1);
    CHECK(outcome->hits[1].duplicate_of == std::optional<std::uint64_t>{1});
    CHECK(outcome->hits[2].duplicates == 1);
    CHECK(outcome->hits[3].duplicate_of == std::optional<std::uint64_t>{3});
    CHECK_FALSE(outcome->hits[4].duplicate_of.has_value());
    CHECK(outcome->hits[4].duplicates == 0);
    const auto answer = search::query_outcome_json(built.index, outcome.value());
    const auto& results = answer.at("results");
    CHECK(results[0].at("duplicates") == 1);
    CHECK_FALSE(results[0].contains("duplicate_of"));
    CHECK(results[1].value("duplicate_of", "") == index::format_item_id(1));
    CHECK(results[3].value("duplicate_of", "") == index::format_item_id(3));
    CHECK_FALSE(results[4].contains("duplicate_of"));
    CHECK_FALSE(results[4].contains("duplicates"));
  }
  SECTION("a model without a measured figure groups copies only") {
    auto unmeasured = test::build_index({{test::at_similarity(0.9f)}, {test::at_similarity(0.89f)}, {test::at_similarity(0.5f)}});
    options.group_duplicates = true;
    auto outcome = unmeasured.index.query(query, unmeasured.shards, options);
    REQUIRE(outcome.ok());
    REQUIRE(outcome->hits.size() == 3);
    CHECK(outcome->hits[1].duplicate_of == std::optional<std::uint64_t>{1});
    CHECK_FALSE(outcome->hits[2].duplicate_of.has_value());
  }
  SECTION("a bad value is refused with its name") {
    auto refused = search::query_options_from_json_text(R"({"group_duplicates": "yes"})");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.failure().message.find("group_duplicates") != std::string::npos);
  }
}
