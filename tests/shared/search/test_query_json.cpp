// Query options and answers as JSON (search/result_json.hpp): the one shape of a search in the
// browser, POST /api/search and `mosaic query --json`.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "hand_built_index.hpp"
#include "index/item_metadata.hpp"
#include "search/result_json.hpp"

using namespace mosaic;
using mosaic::search::query_options_from_json;
using mosaic::test::at_similarity;
using mosaic::test::build_index;
using nlohmann::json;

TEST_CASE("query options: defaults, k, filter and the vote", "[query_json]") {
  auto defaults = query_options_from_json(json::object());
  REQUIRE(defaults.ok());
  CHECK(defaults->k == 10);
  CHECK_FALSE(defaults->vote.has_value());
  CHECK(defaults->filter.labels.empty());

  auto asked = query_options_from_json(json{{"k", 3.0}, {"filter", {{"label", "alice"}}}, {"text", "ignored here"},
                                            {"classify", {{"k", 7}, {"min_similarity", 0.25}, {"min_confidence", 0.5}}}});
  REQUIRE(asked.ok());
  CHECK(asked->k == 3);
  CHECK(asked->filter.labels == std::vector<std::string>{"alice"});
  REQUIRE(asked->vote.has_value());
  CHECK(asked->vote->k == 7);
  CHECK(asked->vote->unknown_below == 0.25f);
  CHECK(asked->vote->min_confidence == 0.5f);

  auto vote_defaults = query_options_from_json(json{{"k", 0}, {"classify", json::object()}});
  REQUIRE(vote_defaults.ok());
  CHECK(vote_defaults->k == 0);
  CHECK(vote_defaults->vote->k == 5);
}

TEST_CASE("query options refuse what they cannot read, naming the field", "[query_json]") {
  const std::vector<std::pair<json, std::string>> cases{
      {json::array(), "object"},
      {json{{"k", 0}}, "\"k\""},
      {json{{"k", -1}}, "\"k\""},
      {json{{"k", 2.5}}, "\"k\""},
      {json{{"k", "10"}}, "\"k\""},
      {json{{"k", 10001}}, "\"k\""},
      {json{{"filter", {{"colour", "red"}}}}, "colour"},
      {json{{"classify", true}}, "\"classify\""},
      {json{{"classify", {{"k", 0}}}}, "classify.k"},
      {json{{"classify", {{"min_similarity", 2}}}}, "classify.min_similarity"},
      {json{{"classify", {{"min_confidence", -0.1}}}}, "classify.min_confidence"},
      {json{{"classify", {{"min_confidence", "high"}}}}, "classify.min_confidence"},
  };
  for (const auto& [request, field] : cases) {
    INFO(request.dump());
    auto options = query_options_from_json(request);
    REQUIRE_FALSE(options.ok());
    CHECK(options.failure().code == error_code::invalid_argument);
    CHECK(options.failure().message.find(field) != std::string::npos);
  }
}

TEST_CASE("a query's answer: results with their items, and the vote with null for unknown", "[query_json]") {
  auto built = build_index({{at_similarity(0.9f), "alice", ""}, {at_similarity(0.5f), "", ""}, {at_similarity(0.2f), "bob", ""}});
  search::query_options options;
  options.k = 2;
  options.vote.emplace();
  options.vote->k = 1;
  auto outcome = built.index.query(std::vector<float>{1.0f, 0.0f, 0.0f}, built.shards, options);
  REQUIRE(outcome.ok());
  const json answer = search::query_outcome_json(built.index, outcome.value());
  REQUIRE(answer["results"].size() == 2);
  CHECK(answer["results"][0]["id"] == "0000000000000001");
  CHECK(answer["results"][0]["score"].get<double>() == Approx(0.9));
  // Exactly the item's entry in items/<hash>.json.
  CHECK(answer["results"][0]["item"] == index::item_metadata_json(*built.index.item(built.shards[0], 0)));
  CHECK(answer["results"][1]["item"]["title"] == "item 2");
  CHECK_FALSE(answer["results"][1]["item"].contains("label"));
  const json& vote = answer["classification"];
  CHECK(vote["known"] == true);
  CHECK(vote["label"] == "alice");
  CHECK(vote["votes"] == 1);
  CHECK(vote["considered"] == 1);
  REQUIRE(vote["neighbours"].size() == 1);
  CHECK(vote["neighbours"][0]["id"] == "0000000000000001");

  options.vote->unknown_below = 0.95f;  // nobody is that close
  outcome = built.index.query(std::vector<float>{1.0f, 0.0f, 0.0f}, built.shards, options);
  REQUIRE(outcome.ok());
  const json unknown = search::query_outcome_json(built.index, outcome.value());
  CHECK(unknown["classification"]["known"] == false);
  CHECK(unknown["classification"]["label"].is_null());

  options.vote.reset();
  outcome = built.index.query(std::vector<float>{1.0f, 0.0f, 0.0f}, built.shards, options);
  REQUIRE(outcome.ok());
  CHECK_FALSE(search::query_outcome_json(built.index, outcome.value()).contains("classification"));
}
