// One result per document (search/document_grouping): the best hit of each document in rank order,
// with its count of matched chunks; and search_documents over the real exact top-k, checked against
// brute force (each document's best chunk score, ranked) for every k.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "index/shard_codec.hpp"
#include "search/document_grouping.hpp"
#include "search/top_k.hpp"

using mosaic::search::best_hit_per_document;
using mosaic::search::search_documents;
using mosaic::search::search_hit;

TEST_CASE("grouping keeps each document's first hit, in rank order, and counts the rest", "[grouping]") {
  const std::vector<std::string> documents = {"a.txt", "b.txt", "a.txt", "", "c.txt", "b.txt", "", "d.txt", "a.txt"};
  const auto document_of = [&](std::size_t position) -> std::string_view { return documents[position]; };
  const auto groups = best_hit_per_document(documents.size(), document_of, 10);
  REQUIRE(groups.size() == 6);  // a, b, (none), c, (none), d
  CHECK(groups[0].position == 0);
  CHECK(groups[0].matched_items == 3);
  CHECK(groups[1].position == 1);
  CHECK(groups[1].matched_items == 2);
  CHECK(groups[2].position == 3);  // no source: its own document
  CHECK(groups[2].matched_items == 1);
  CHECK(groups[3].position == 4);
  CHECK(groups[4].position == 6);
  CHECK(groups[5].position == 7);

  const auto first_two = best_hit_per_document(documents.size(), document_of, 2);
  REQUIRE(first_two.size() == 2);
  CHECK(first_two[0].matched_items == 3);  // later hits of kept documents still count
  CHECK(first_two[1].matched_items == 2);
  CHECK(best_hit_per_document(documents.size(), document_of, 0).empty());
  CHECK(best_hit_per_document(0, document_of, 5).empty());
}

TEST_CASE("search_documents over exact top-k equals each document's best chunk, ranked", "[grouping]") {
  constexpr std::uint32_t dimensions = 19;
  constexpr std::size_t item_count = 300;
  std::mt19937 random(7);
  std::normal_distribution<float> normal;
  std::vector<float> vectors(item_count * dimensions);
  for (float& value : vectors) value = normal(random);
  for (std::size_t row = 0; row < item_count; ++row) {  // stored vectors are unit vectors
    const std::span<float> vector(vectors.data() + row * dimensions, dimensions);
    float norm = 0.0f;
    for (const float value : vector) norm += value * value;
    for (float& value : vector) value /= std::sqrt(norm);
  }
  std::vector<std::uint64_t> ids(item_count);
  std::vector<std::string> source(item_count);
  for (std::size_t i = 0; i < item_count; ++i) {
    ids[i] = 1000 + i;
    // 60 documents of 5 chunks each, spread over the rows. Not drawn from a distribution: those differ
    // between standard libraries (libstdc++ natively, libc++ in wasm), and the count below must hold on both.
    source[i] = "doc-" + std::to_string((i * 7) % 60) + ".txt";
  }
  source[17].clear();  // an item with no source is a document of its own
  auto encoded = mosaic::index::encode_shard_from_f32(dimensions, mosaic::index::quantization::f32, vectors, ids);
  INFO((encoded ? std::string() : encoded.failure().message));
  REQUIRE(encoded);
  const std::vector<std::uint8_t> bytes = std::move(encoded).value();
  auto decoded = mosaic::index::decode_shard(bytes);
  REQUIRE(decoded);
  const auto shard = decoded.value();
  const std::vector<mosaic::search::searchable_shard> shards = {{shard, nullptr}};
  std::vector<float> query(dimensions);
  for (float& value : query) value = normal(random);

  mosaic::search::search_options everything;
  everything.k = item_count;
  auto searched = mosaic::search::top_k(query, shards, everything);
  INFO((searched ? std::string() : searched.failure().message));
  REQUIRE(searched);
  const std::vector<search_hit> all_hits = std::move(searched).value();
  // Brute force: each document's best score, then rank by it.
  std::vector<std::pair<std::string, search_hit>> expected;
  std::map<std::string, std::size_t> seen;
  for (const search_hit& hit : all_hits) {
    const std::string& document = source[hit.row];
    const std::string key = document.empty() ? "#" + std::to_string(hit.row) : document;
    if (seen.emplace(key, expected.size()).second) expected.emplace_back(key, hit);
  }
  REQUIRE(expected.size() == 61);

  for (const std::size_t k : {1u, 3u, 10u, 14u, 40u, 61u, 100u}) {
    std::size_t searches = 0;
    const auto documents = search_documents<search_hit>(
        k, item_count,
        [&](std::size_t asked) {
          ++searches;
          mosaic::search::search_options options;
          options.k = asked;
          return mosaic::search::top_k(query, shards, options);
        },
        [&](const search_hit& hit) -> std::string_view { return source[hit.row]; });
    REQUIRE(documents);
    INFO("k " << k << ", searches " << searches);
    REQUIRE(documents->size() == std::min<std::size_t>(k, expected.size()));
    for (std::size_t rank = 0; rank < documents->size(); ++rank) {
      CHECK((*documents)[rank].first.item_id == expected[rank].second.item_id);
      CHECK((*documents)[rank].first.score == expected[rank].second.score);
      CHECK((*documents)[rank].second >= 1);
    }
    CHECK(searches <= 4);
  }
}

TEST_CASE("search_documents passes a search's error on", "[grouping]") {
  const auto documents = search_documents<search_hit>(
      5, 100, [](std::size_t) -> mosaic::result<std::vector<search_hit>> {
        return mosaic::make_error(mosaic::error_code::invalid_argument, "no query");
      },
      [](const search_hit&) -> std::string_view { return "x"; });
  REQUIRE_FALSE(documents);
  CHECK(documents.failure().message == "no query");
}
