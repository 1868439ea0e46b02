// The one reader of filters by name (search/named_filter.hpp): JSON for POST /api/search and the
// browser, KEY=VALUE for the CLI, both through add_condition.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "search/named_filter.hpp"
#include "outcome_name.hpp"

using mosaic::test::outcome_name;
using namespace mosaic;
using mosaic::search::add_condition;
using mosaic::search::named_filter;
using mosaic::search::named_filter_from_json;
using nlohmann::json;

TEST_CASE("add_condition adds one condition per key and refuses what it cannot read", "[named_filter]") {
  named_filter conditions;
  REQUIRE(add_condition(conditions, "modality", "image").ok());
  REQUIRE(add_condition(conditions, "modality", "pdf").ok());
  REQUIRE(add_condition(conditions, "label", "alice").ok());
  REQUIRE(add_condition(conditions, "tag", "summer").ok());
  REQUIRE(add_condition(conditions, "exclude", "00000000000000ff").ok());
  CHECK(conditions.modalities == std::vector<std::string>{"image", "pdf"});
  CHECK(conditions.labels == std::vector<std::string>{"alice"});
  CHECK(conditions.tags == std::vector<std::string>{"summer"});
  CHECK(conditions.excluded_item_ids == std::vector<std::uint64_t>{0xff});

  const named_filter before = conditions;
  auto unknown_key = add_condition(conditions, "colour", "red");
  REQUIRE_FALSE(unknown_key.ok());
  CHECK(unknown_key.failure().code == error_code::invalid_argument);
  CHECK(unknown_key.failure().message.find("colour") != std::string::npos);
  CHECK(outcome_name(add_condition(conditions, "modality", "hologram")) == "invalid_argument");
  auto bad_id = add_condition(conditions, "exclude", "xyz");
  REQUIRE_FALSE(bad_id.ok());
  CHECK(bad_id.failure().message.find("xyz") != std::string::npos);
  // Nothing was added by the refused conditions.
  CHECK(conditions.modalities == before.modalities);
  CHECK(conditions.excluded_item_ids == before.excluded_item_ids);
}

TEST_CASE("named_filter_from_json reads strings and arrays of strings under the four keys", "[named_filter]") {
  auto filter = named_filter_from_json(json{{"modality", {"image", "text"}}, {"label", "alice"}, {"tag", json::array()},
                                            {"exclude", {"0000000000000001"}}});
  REQUIRE(outcome_name(filter) == "ok");
  CHECK(filter->modalities == std::vector<std::string>{"image", "text"});
  CHECK(filter->labels == std::vector<std::string>{"alice"});
  CHECK(filter->tags.empty());
  CHECK(filter->excluded_item_ids == std::vector<std::uint64_t>{1});

  auto nothing = named_filter_from_json(json(nullptr));
  REQUIRE(outcome_name(nothing) == "ok");
  CHECK(nothing->modalities.empty());
  CHECK(outcome_name(named_filter_from_json(json::object())) == "ok");
  CHECK(outcome_name(named_filter_from_json(json{{"label", nullptr}})) == "ok");
}

TEST_CASE("named_filter_from_json refuses a filter it cannot read, naming the field", "[named_filter]") {
  for (const json& bad : {json("label=alice"), json::array({"alice"}), json{{"lable", "alice"}}, json{{"label", 3}},
                          json{{"label", {"alice", 3}}}, json{{"tag", {{"nested", "object"}}}},
                          json{{"modality", "hologram"}}, json{{"exclude", "not an id"}}}) {
    INFO(bad.dump());
    auto filter = named_filter_from_json(bad);
    REQUIRE_FALSE(filter.ok());
    CHECK(filter.failure().code == error_code::invalid_argument);
    CHECK_FALSE(filter.failure().message.empty());
  }
  auto misspelt = named_filter_from_json(json{{"lable", "alice"}});
  CHECK(misspelt.failure().message.find("lable") != std::string::npos);
}
