// Keyword and hybrid queries through the one index (search/loaded_index.hpp): the keyword index's
// hits named by (shard, row), the filter applied to them, the default mode, and a worked example of
// the convex fusion whose order can be checked with pencil and paper.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "hand_built_index.hpp"
#include "search/result_json.hpp"

using namespace mosaic;
using mosaic::test::at_similarity;
using mosaic::test::build_index;

namespace {

const std::vector<float> query_vector{1.0f, 0.0f, 0.0f};

std::vector<std::uint64_t> ids_of(const search::query_outcome& outcome) {
  std::vector<std::uint64_t> ids;
  for (const search::index_hit& hit : outcome.hits) ids.push_back(hit.item_id);
  return ids;
}

search::query_options options_for(std::optional<search::search_mode> mode, std::string text) {
  search::query_options options;
  options.k = 10;
  options.mode = mode;
  options.text = std::move(text);
  return options;
}

}  // namespace

TEST_CASE("the convex fusion on a worked example: a keyword-only match rises above vector neighbours", "[hybrid]") {
  // Vector scores against (1, 0, 0): item 1 0.9, item 2 0.5, item 3 0.1. Only item 3 holds "zebra".
  // Min-max over each side: vector 1.0, 0.5, 0.0; keyword (one hit) item 3 1.0.
  // Fused with the default vector weight 0.2: item 1 0.2, item 2 0.1, item 3 0.8 → 3, 1, 2.
  auto built = build_index({{at_similarity(0.9f), "", "", "a striped horse of the plains"},
                            {at_similarity(0.5f), "", "", "a grey donkey"},
                            {at_similarity(0.1f), "", "", "zebra"}},
                           true);
  auto vector_only = built.index.query(query_vector, built.shards, options_for(search::search_mode::vector, "zebra"));
  REQUIRE(vector_only.ok());
  CHECK(ids_of(vector_only.value()) == std::vector<std::uint64_t>{1, 2, 3});
  CHECK(vector_only->mode == search::search_mode::vector);

  auto keyword = built.index.query({}, built.shards, options_for(search::search_mode::keyword, "zebra"));
  REQUIRE(keyword.ok());
  CHECK(ids_of(keyword.value()) == std::vector<std::uint64_t>{3});
  CHECK(keyword->hits.front().matched_terms == std::vector<std::string>{"zebra"});

  auto hybrid = built.index.query(query_vector, built.shards, options_for(search::search_mode::hybrid, "zebra"));
  REQUIRE(hybrid.ok());
  CHECK(hybrid->mode == search::search_mode::hybrid);
  REQUIRE(ids_of(hybrid.value()) == std::vector<std::uint64_t>{3, 1, 2});
  CHECK(hybrid->hits[0].score == Approx(0.8f));
  CHECK(hybrid->hits[1].score == Approx(0.2f));
  CHECK(hybrid->hits[2].score == Approx(0.1f));
  CHECK(hybrid->hits[0].matched_terms == std::vector<std::string>{"zebra"});
  CHECK(hybrid->hits[1].matched_terms.empty());

  SECTION("every chunk fused on its own gives the same order here (each item is its own document)") {
    search::query_options options = options_for(search::search_mode::hybrid, "zebra");
    options.one_per_document = false;
    auto chunks = built.index.query(query_vector, built.shards, options);
    REQUIRE(chunks.ok());
    CHECK(ids_of(chunks.value()) == std::vector<std::uint64_t>{3, 1, 2});
  }
  SECTION("a vector weight of 1 is the vector order") {
    search::query_options options = options_for(search::search_mode::hybrid, "zebra");
    options.fusion.vector_weight = 1.0f;
    auto weighted = built.index.query(query_vector, built.shards, options);
    REQUIRE(weighted.ok());
    CHECK(ids_of(weighted.value()) == std::vector<std::uint64_t>{1, 2, 3});
  }
}

TEST_CASE("hybrid fuses documents: a document's vector and keyword evidence meet across its chunks", "[hybrid]") {
  // Document A has two chunks: chunk 1 is the best vector match (0.9) without the word, chunk 2 holds
  // "zebra" with a weak vector (0.1). Document B (one chunk, 0.5) holds nothing. Per document: vector
  // A 0.9 → 1, B 0.5 → 0; keyword A 1. Fused (w 0.2): A 0.2 + 0.8 = 1.0, B 0. Fusing chunks instead
  // gives chunk 2 0.8, chunk 1 0.2 (vector 1, 0 over the three chunks... chunk 1 1.0·0.2): A is shown by
  // chunk 2, the chunk that leads A's chunks when they are fused one by one, and counts both.
  auto built = build_index({{at_similarity(0.9f), "", "docs/a.txt", "a striped horse"},
                            {at_similarity(0.1f), "", "docs/a.txt", "zebra"},
                            {at_similarity(0.5f), "", "docs/b.txt", "a grey donkey"}},
                           true);
  auto hybrid = built.index.query(query_vector, built.shards, options_for(search::search_mode::hybrid, "zebra"));
  REQUIRE(hybrid.ok());
  REQUIRE(ids_of(hybrid.value()) == std::vector<std::uint64_t>{2, 3});
  CHECK(hybrid->hits[0].score == Approx(1.0f));
  CHECK(hybrid->hits[0].matched_items == 2);
  CHECK(hybrid->hits[0].matched_terms == std::vector<std::string>{"zebra"});
  CHECK(hybrid->hits[1].score == Approx(0.0f).margin(1e-6));
}

TEST_CASE("the default mode is hybrid for a text query on an index with keywords, else vector", "[hybrid]") {
  auto with_keywords = build_index({{at_similarity(0.9f), "", "", "alpha"}, {at_similarity(0.2f), "", "", "beta"}}, true);
  auto without = build_index({{at_similarity(0.9f), "", "", "alpha"}, {at_similarity(0.2f), "", "", "beta"}}, false);
  auto hybrid = with_keywords.index.query(query_vector, with_keywords.shards, options_for(std::nullopt, "beta"));
  REQUIRE(hybrid.ok());
  CHECK(hybrid->mode == search::search_mode::hybrid);
  auto no_text = with_keywords.index.query(query_vector, with_keywords.shards, options_for(std::nullopt, "  "));
  REQUIRE(no_text.ok());
  CHECK(no_text->mode == search::search_mode::vector);
  auto plain = without.index.query(query_vector, without.shards, options_for(std::nullopt, "beta"));
  REQUIRE(plain.ok());
  CHECK(plain->mode == search::search_mode::vector);

  auto refused = without.index.query({}, without.shards, options_for(search::search_mode::keyword, "beta"));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.failure().message.find("no keyword index") != std::string::npos);
  auto no_vector = with_keywords.index.query({}, with_keywords.shards, options_for(search::search_mode::hybrid, "beta"));
  REQUIRE_FALSE(no_vector.ok());
  CHECK(no_vector.failure().message.find("vector") != std::string::npos);
}

TEST_CASE("keyword hits pass through the filter and codes are found whole and by parts", "[hybrid]") {
  auto built = build_index({{at_similarity(0.9f), "cats", "", "Error AB-1234 on login"},
                            {at_similarity(0.8f), "dogs", "", "error ab-1234 again, on login"},
                            {at_similarity(0.7f), "dogs", "", "nothing to see"}},
                           true);
  for (const std::string text : {"AB-1234", "ab1234", "1234"}) {
    auto found = built.index.query({}, built.shards, options_for(search::search_mode::keyword, text));
    REQUIRE(found.ok());
    INFO(text);
    CHECK(ids_of(found.value()).size() == 2);
  }
  search::query_options options = options_for(search::search_mode::keyword, "ab-1234");
  REQUIRE(search::add_condition(options.filter, "label", "dogs").ok());
  auto filtered = built.index.query({}, built.shards, options);
  REQUIRE(filtered.ok());
  CHECK(ids_of(filtered.value()) == std::vector<std::uint64_t>{2});
  options.filter = {};
  REQUIRE(search::add_condition(options.filter, "exclude", "0000000000000002").ok());
  auto excluded = built.index.query({}, built.shards, options);
  REQUIRE(excluded.ok());
  CHECK(ids_of(excluded.value()) == std::vector<std::uint64_t>{1});
}

TEST_CASE("a keyword result's JSON names its terms and highlights them in UTF-16 string indexes", "[hybrid]") {
  auto built = build_index({{at_similarity(0.9f), "", "", "Caf\u00e9 \U0001F642 zebras run"}}, true);
  auto found = built.index.query({}, built.shards, options_for(search::search_mode::keyword, "zebra running"));
  REQUIRE(found.ok());
  const nlohmann::json answer = search::query_outcome_json(built.index, found.value());
  CHECK(answer["mode"] == "keyword");
  REQUIRE(answer["results"].size() == 1);
  const nlohmann::json& hit = answer["results"][0];
  CHECK(hit["matched_terms"].size() == 2);
  // "Café 🙂 zebras run": C a f é (4 units) space 🙂 (2 units) space → "zebras" at 8..14, "run" at 15..18.
  CHECK(hit["highlights"]["snippet"] == nlohmann::json::array({nlohmann::json::array({8, 14}), nlohmann::json::array({15, 18})}));
  CHECK(hit["highlights"]["title"].empty());
}

TEST_CASE("a recording's result names the transcript segments that hold the query's words", "[hybrid]") {
  // Three segments heard in a recording; "floor" is said only in the second, "paper" in the second and
  // third. The snippet holds only the start, as the indexer's 240 characters may.
  mosaic::test::hand_built_item recording{at_similarity(0.9f), "", "calls/printer.wav",
                                          "please call me back the printer on the second floor is out of paper again paper"};
  recording.transcript = {{0, 1800, "please call me back"},
                          {4200, 6900, "the printer on the second floor is out of paper"},
                          {8000, 9000, "again paper"}};
  mosaic::test::hand_built_item note{at_similarity(0.5f), "", "", "a floor plan"};
  auto built = build_index({recording, note}, true);
  auto found = built.index.query(query_vector, built.shards, options_for(search::search_mode::hybrid, "floors paper"));
  REQUIRE(found.ok());
  const nlohmann::json answer = search::query_outcome_json(built.index, found.value());
  REQUIRE(answer["results"].size() == 2);
  const nlohmann::json& heard = answer["results"][0];
  REQUIRE(heard["item"]["source"] == "calls/printer.wav");
  // "the printer on the second floor is out of paper": "floor" at 26..31, "paper" at 42..47.
  using nlohmann::json;
  CHECK(heard["highlights"]["transcript"] ==
        json::array({json{{"segment", 1}, {"spans", json::array({json::array({26, 31}), json::array({42, 47})})}},
                     json{{"segment", 2}, {"spans", json::array({json::array({6, 11})})}}}));
  // An item without a transcript has no such key; a vector search highlights nothing.
  CHECK_FALSE(answer["results"][1]["highlights"].contains("transcript"));
  auto by_meaning = built.index.query(query_vector, built.shards, options_for(search::search_mode::vector, "floors paper"));
  REQUIRE(by_meaning.ok());
  CHECK_FALSE(search::query_outcome_json(built.index, by_meaning.value())["results"][0].contains("highlights"));
}

TEST_CASE("a recording whose transcript does not hold the words gives an empty list", "[hybrid]") {
  mosaic::test::hand_built_item recording{at_similarity(0.9f), "", "calls/quiet.wav", "the garden gate"};
  recording.transcript = {{0, 900, "nothing heard here"}};
  auto built = build_index({recording}, true);
  auto found = built.index.query({}, built.shards, options_for(search::search_mode::keyword, "garden"));
  REQUIRE(found.ok());
  const nlohmann::json answer = search::query_outcome_json(built.index, found.value());
  REQUIRE(answer["results"].size() == 1);
  CHECK(answer["results"][0]["highlights"]["transcript"] == nlohmann::json::array());
}
