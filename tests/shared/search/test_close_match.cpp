#include <catch2/catch.hpp>

#include "index/known_models.hpp"
#include "hand_built_index.hpp"
#include "search/close_match.hpp"
#include "search/result_json.hpp"

using mosaic::search::close_match_similarity;

TEST_CASE("the local model has a measured close-match similarity, a model without one has none") {
  const auto local = close_match_similarity(mosaic::index::local_text_model.id);
  REQUIRE(local.has_value());
  CHECK(*local > 0.0f);
  CHECK(*local < 1.0f);
  CHECK_FALSE(close_match_similarity("gemini-embedding-2").has_value());
  CHECK_FALSE(close_match_similarity("").has_value());
}

TEST_CASE("every calibrated model is a model Mosaic knows") {
  for (const auto& calibration : mosaic::search::close_match_calibrations) {
    CHECK(mosaic::index::known_output_dimensions(calibration.model_id).has_value());
  }
}

// The decision every client shows (index_hit::close): made in the query, from the model's figure.
TEST_CASE("each hit says whether it is a close match, by the model's figure or the query's words") {
  using namespace mosaic;
  const float cut_off = *close_match_similarity(index::local_text_model.id);
  const std::vector<float> query{1.0f, 0.0f, 0.0f};
  // Item 1 just above the figure, item 2 just below it, item 3 far below but holding "zebra".
  auto built = test::build_index({{test::at_similarity(cut_off + 0.05f), "", "", "a striped horse"},
                                  {test::at_similarity(cut_off - 0.05f), "", "", "a grey donkey"},
                                  {test::at_similarity(0.05f), "", "", "zebra"}},
                                 true, std::string(index::local_text_model.id));
  search::query_options options;
  options.k = 10;
  options.text = "zebra";

  SECTION("vector: the similarity is the score, close from the figure up") {
    options.mode = search::search_mode::vector;
    auto outcome = built.index.query(query, built.shards, options);
    REQUIRE(outcome.ok());
    REQUIRE(outcome->hits.size() == 3);
    CHECK(outcome->hits[0].close);
    CHECK(*outcome->hits[0].similarity == Approx(cut_off + 0.05f));
    CHECK_FALSE(outcome->hits[1].close);
    CHECK_FALSE(outcome->hits[2].close);
  }
  SECTION("hybrid: the fused score is no similarity; the hit's own similarity and its words decide") {
    options.mode = search::search_mode::hybrid;
    auto outcome = built.index.query(query, built.shards, options);
    REQUIRE(outcome.ok());
    REQUIRE(outcome->hits.size() == 3);
    for (const search::index_hit& hit : outcome->hits) {
      REQUIRE(hit.similarity.has_value());
      if (hit.item_id == 1) CHECK((hit.close && *hit.similarity == Approx(cut_off + 0.05f)));
      if (hit.item_id == 2) CHECK((!hit.close && *hit.similarity == Approx(cut_off - 0.05f)));
      if (hit.item_id == 3) CHECK((hit.close && *hit.similarity == Approx(0.05f)));  // holds "zebra"
    }
    const auto json = search::query_outcome_json(built.index, outcome.value());
    for (const auto& result : json["results"]) {
      CHECK(result["close"].get<bool>() == (result["id"] != index::format_item_id(2)));
      CHECK(result.contains("similarity"));
    }
  }
  SECTION("keyword: a hit holds the query's words, so it is close; there is no similarity") {
    options.mode = search::search_mode::keyword;
    auto outcome = built.index.query({}, built.shards, options);
    REQUIRE(outcome.ok());
    REQUIRE(outcome->hits.size() == 1);
    CHECK(outcome->hits[0].close);
    CHECK_FALSE(outcome->hits[0].similarity.has_value());
  }
  SECTION("a model without a measured figure: every hit counts as close") {
    auto unmeasured = test::build_index({{test::at_similarity(0.1f)}, {test::at_similarity(0.05f)}});
    search::query_options plain;
    auto outcome = unmeasured.index.query(query, unmeasured.shards, plain);
    REQUIRE(outcome.ok());
    for (const search::index_hit& hit : outcome->hits) CHECK(hit.close);
  }
}
