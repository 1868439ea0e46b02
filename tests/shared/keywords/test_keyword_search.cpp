// Keyword search: BM25F against numbers worked out by hand, field weights, idf, phrases, compounds,
// the accept filter, k, and the errors a caller can cause.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "keyword_test_support.hpp"
#include "keywords/item_reference.hpp"
#include "outcome_name.hpp"

using namespace mosaic::keywords;
using namespace mosaic::keywords::testing;
using mosaic::test::outcome_name;
using references = std::vector<item_reference>;
using strings = std::vector<std::string>;

namespace {

constexpr item_reference item_a = make_item_reference(0, 1);
constexpr item_reference item_b = make_item_reference(0, 2);
constexpr item_reference item_c = make_item_reference(1, 0);

// Three items, words Snowball leaves as they are.
//   A: title "cat" (length 1)   body "dog fish" (length 2)
//   B: title "dog" (length 1)   body "cat cat fish red" (length 4)
//   C: no title                 body "red fish" (length 2)
// N = 3; title: 2 items, average length 1; body: 3 items, average length 8/3.
loaded_index small_index() {
  return load(build({{item_c, "", "red fish"}, {item_a, "cat", "dog fish"}, {item_b, "dog", "cat cat fish red"}}));
}

const keyword_hit& hit_for(const std::vector<keyword_hit>& hits, item_reference reference) {
  for (const keyword_hit& hit : hits) {
    if (hit.reference == reference) return hit;
  }
  FAIL("no hit for reference " << reference);
  return hits.front();
}

}  // namespace

TEST_CASE("keywords search: BM25F scores match a hand computation", "[keywords][search][bm25]") {
  const loaded_index index = small_index();
  REQUIRE(index.directory.fields[1].average_length == Approx(8.0 / 3.0));
  // k1 = 0.9, b = 0.4, w_title = 2, w_body = 1.
  // "cat": df 2, idf = ln(1 + (3 − 2 + 0.5) / (2 + 0.5)) = ln 1.6 = 0.4700036.
  //   A: title tf 1, len 1: norm = 1 − 0.4 + 0.4 · 1/1 = 1, tf' = 2 · 1 / 1 = 2,
  //      score = 0.4700036 · 2 · 1.9 / (2 + 0.9) = 0.6158668.
  //   B: body tf 2, len 4: norm = 0.6 + 0.4 · 4 / (8/3) = 1.2, tf' = 2 / 1.2 = 1.6666667,
  //      score = 0.4700036 · 1.6666667 · 1.9 / 2.5666667 = 0.5798746.
  // "red": df 2, the same idf.
  //   B: body tf 1, len 4: tf' = 1 / 1.2 = 0.8333333, score = 0.4700036 · 0.8333333 · 1.9 / 1.7333333 = 0.4293302.
  //   C: body tf 1, len 2: norm = 0.6 + 0.4 · 2 / (8/3) = 0.9, tf' = 1.1111111,
  //      score = 0.4700036 · 1.1111111 · 1.9 / 2.0111111 = 0.4933740.
  // "cat red": B = 0.5798746 + 0.4293302 = 1.0092048, A = 0.6158668, C = 0.4933740.
  const auto cat = search(index, "cat");
  REQUIRE(references_of(cat) == references{item_a, item_b});
  CHECK(cat[0].score == Approx(0.6158668).epsilon(1e-5));
  CHECK(cat[1].score == Approx(0.5798746).epsilon(1e-5));

  const auto cat_red = search(index, "Cat RED");
  REQUIRE(references_of(cat_red) == references{item_b, item_a, item_c});
  CHECK(cat_red[0].score == Approx(1.0092048).epsilon(1e-5));
  CHECK(cat_red[1].score == Approx(0.6158668).epsilon(1e-5));
  CHECK(cat_red[2].score == Approx(0.4933740).epsilon(1e-5));
  CHECK(cat_red[0].matched_terms == strings{"cat", "red"});
  CHECK(cat_red[1].matched_terms == strings{"cat"});
  CHECK(cat_red[2].matched_terms == strings{"red"});
}

TEST_CASE("keywords search: field weights put a title match over two body matches", "[keywords][search][bm25]") {
  const loaded_index index = small_index();
  CHECK(references_of(search(index, "cat")) == references{item_a, item_b});
  // With equal weights A's title match is tf' = 1: score = idf · 1 · 1.9 / 1.9 = idf, below B's 0.5798746.
  bm25_parameters equal;
  equal.field_weights = {1.0f, 1.0f};
  const auto hits = search(index, "cat", 10, equal);
  REQUIRE(references_of(hits) == references{item_b, item_a});
  CHECK(hits[1].score == Approx(std::log(1.6)).epsilon(1e-5));
  // A weight list shorter than the fields weighs the rest 1; b = 0 ignores lengths.
  bm25_parameters no_length;
  no_length.b = 0;
  no_length.field_weights = {1.0f};
  const auto flat = search(index, "red", 10, no_length);
  REQUIRE(flat.size() == 2);
  CHECK(flat[0].score == Approx(flat[1].score));
  CHECK(references_of(flat) == references{item_b, item_c});  // equal scores: by reference
}

TEST_CASE("keywords search: a rarer term weighs more (idf from df)", "[keywords][search][bm25]") {
  const loaded_index index = small_index();
  // C holds "red" (df 2) and "fish" (df 3) once each in the same body: the scores differ only by idf.
  // idf(fish) = ln(1 + 0.5 / 3.5) = 0.1335314; idf(red) = ln 1.6 = 0.4700036.
  const auto red = search(index, "red", 10, {}, [](item_reference reference) { return reference == item_c; });
  const auto fish = search(index, "fish", 10, {}, [](item_reference reference) { return reference == item_c; });
  REQUIRE(red.size() == 1);
  REQUIRE(fish.size() == 1);
  CHECK(fish[0].score / red[0].score == Approx(0.1335314 / 0.4700036).epsilon(1e-5));
  CHECK(search(index, "fish").size() == 3);
}

TEST_CASE("keywords search: k, the accept filter and terms that are nowhere", "[keywords][search]") {
  const loaded_index index = small_index();
  CHECK(references_of(search(index, "fish cat red", 2)) == references{item_b, item_a});
  CHECK(search(index, "fish", 0).empty());
  const auto only_file_0 = search(index, "red", 10, {}, [](item_reference reference) {
    return reference_vector_file(reference) == 0;
  });
  CHECK(references_of(only_file_0) == references{item_b});
  CHECK(search(index, "aardvark").empty());  // before the first file's range
  CHECK(search(index, "zebra").empty());     // in the last file's range, not in it
  CHECK(search(index, "").empty());
  CHECK(references_of(search(index, "zebra cat")) == references{item_a, item_b});
}

TEST_CASE("keywords search: phrases need consecutive positions in one field", "[keywords][search][phrase]") {
  const std::string long_word(200, 'x');  // over 128 bytes: dropped by the tokenizer, its position kept
  const loaded_index index = load(build({
      {make_item_reference(0, 0), "Quick brown fox", "lazy dog sleeps"},
      {make_item_reference(0, 1), "brown", "fox hunting"},
      {make_item_reference(0, 2), "", "the brown red fox"},
      {make_item_reference(0, 3), "", "brown " + long_word + " fox"},
      {make_item_reference(0, 4), "", "A brown, fox!"},
  }));
  CHECK(references_of(search(index, "\"brown fox\"")) == references{make_item_reference(0, 0), make_item_reference(0, 4)});
  // Title end and body start are not consecutive, and the order matters.
  CHECK(search(index, "\"fox lazy\"").empty());
  CHECK(search(index, "\"brown fox hunting\"").empty());
  CHECK(search(index, "\"fox brown\"").empty());
  // Words between, and the gap a dropped word leaves, break a phrase.
  CHECK(references_of(search(index, "\"red fox\"")) == references{make_item_reference(0, 2)});
  // Stemming applies inside phrases: "sleeping dogs" is "sleep dog" against "dog sleeps".
  CHECK(references_of(search(index, "\"dogs sleeping\"")) == references{make_item_reference(0, 0)});
  // Words outside the phrase are scored but do not filter; every phrase must occur.
  CHECK(references_of(search(index, "\"brown fox\" hunting")) ==
        references{make_item_reference(0, 0), make_item_reference(0, 4)});
  CHECK(references_of(search(index, "\"brown fox\" \"lazy dog\"")) == references{make_item_reference(0, 0)});
  // Phrases are checked best-first: (0,1) holds all three words and fails the phrase, so k = 1 must
  // look past it; the accept filter applies before phrases.
  const auto best_by_words = search(index, "brown fox hunting", 1);
  REQUIRE(best_by_words.size() == 1);
  CHECK(best_by_words[0].reference == make_item_reference(0, 1));
  CHECK(references_of(search(index, "\"brown fox\" hunting", 1)) == references{make_item_reference(0, 0)});
  CHECK(references_of(search(index, "\"brown fox\"", 10, {}, [](item_reference reference) {
          return reference != make_item_reference(0, 0);
        })) == references{make_item_reference(0, 4)});
  CHECK(search(index, "\"brown fox\" \"unknown words\"").empty());
  // An unclosed quote runs to the end; typographic quotes work too.
  CHECK(references_of(search(index, "hunting \"brown fox")).size() == 2);
  CHECK(references_of(search(index, "“brown fox”")).size() == 2);
}

TEST_CASE("keywords search: a query's terms and phrases as parsed", "[keywords][search][query]") {
  const keyword_query query = parse("Running \"AB-1234 manual\" running 東京大学");
  CHECK(query.terms == strings{"run", "ab-1234", "ab1234", "ab", "1234", "manual", "東京", "京大", "大学"});
  REQUIRE(query.phrases.size() == 1);
  CHECK(query.phrases[0] == strings{"ab", "1234", "manual"});
  CHECK(terms_to_fetch(query) == query.terms);
  keyword_query by_hand;
  by_hand.terms = {"b"};
  by_hand.phrases = {{"a", "b"}, {"c"}};
  CHECK(terms_to_fetch(by_hand) == strings{"b", "a", "c"});
  CHECK(parse("\"\" \"   \"").phrases.empty());
  auto invalid = parse_keyword_query("bad \xFF", shared_analyzer());
  CHECK(outcome_name(invalid) == "invalid_utf8");
}

TEST_CASE("keywords search: compounds are found whole, run together and by their parts", "[keywords][search][compound]") {
  const loaded_index index = load(build({
      {make_item_reference(0, 0), "Manual", "Replace part AB-1234 before use"},
      {make_item_reference(0, 1), "", "part AB 9999"},
      {make_item_reference(0, 2), "", "order 1234 units"},
  }));
  for (const char* query : {"ab-1234", "AB-1234", "ab1234", "AB_1234", "ab.1234"}) {
    INFO(query);
    const auto hits = search(index, query);
    REQUIRE_FALSE(hits.empty());
    CHECK(hits[0].reference == make_item_reference(0, 0));
  }
  CHECK(references_of(search(index, "ab1234")) == references{make_item_reference(0, 0)});
  // Both hold "1234" once; the shorter body ranks first.
  CHECK(references_of(search(index, "1234")) == references{make_item_reference(0, 2), make_item_reference(0, 0)});
  // A phrase of a compound matches its parts in order.
  CHECK(references_of(search(index, "\"part ab-1234\"")) == references{make_item_reference(0, 0)});
  CHECK(references_of(search(index, "\"ab 1234\"")) == references{make_item_reference(0, 0)});
}

TEST_CASE("keywords search: the files a query needs must be given; unknown analysis and bad parameters are refused",
          "[keywords][search]") {
  std::vector<keyword_document> documents;
  for (std::uint32_t row = 0; row < 60; ++row) {
    documents.push_back({make_item_reference(0, row), "", "alpha" + std::to_string(row) + " zulu" + std::to_string(row)});
  }
  keyword_build_options options;
  options.target_term_file_bytes = 200;
  loaded_index index = load(build(documents, options));
  REQUIRE(index.files.size() > 2);
  const auto zulu_file = *index.directory.term_file_for("zulu7");
  REQUIRE(zulu_file != *index.directory.term_file_for("alpha7"));
  std::vector<const term_file*> without;
  for (const term_file& file : index.files) {
    if (file.file_index() != zulu_file) without.push_back(&file);
  }
  const keyword_query query = parse("alpha7 zulu7");
  auto missing = search_keywords(query, index.directory, without, 10, {});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.failure().code == mosaic::error_code::invalid_argument);
  CHECK(missing.failure().message.find("'zulu7'") != std::string::npos);
  // Files in any order, and only the needed ones.
  std::vector<const term_file*> needed = {&index.files[zulu_file], &index.files[*index.directory.term_file_for("alpha7")]};
  auto found = search_keywords(query, index.directory, needed, 10, {});
  REQUIRE(found.ok());
  CHECK(references_of(*found) == references{make_item_reference(0, 7)});
  // A file of another index at the same position does not count.
  keyword_directory other = index.directory;
  other.term_files[zulu_file].hash = std::string(64, '0');
  CHECK(outcome_name(search_keywords(query, other, index.pointers, 10, {})) == "invalid_argument");

  // Nor does a file decoded against a directory of another shape.
  keyword_directory more_fields = index.directory;
  more_fields.fields.push_back({"extra", 1.0f, 1});
  CHECK(outcome_name(search_keywords(query, more_fields, index.pointers, 10, {})) == "invalid_argument");

  keyword_directory newer = index.directory;
  newer.analysis = 3;  // 1 and 2 are known (keywords/keyword_analysis.hpp)
  CHECK(outcome_name(search_keywords(query, newer, index.pointers, 10, {})) == "unsupported_version");
  bm25_parameters bad;
  bad.b = 1.5f;
  CHECK(outcome_name(search_keywords(query, index.directory, index.pointers, 10, {}, bad)) == "invalid_argument");
  bad = {};
  bad.field_weights = {1.0f, std::nanf("")};
  CHECK(outcome_name(search_keywords(query, index.directory, index.pointers, 10, {}, bad)) == "invalid_argument");
}

TEST_CASE("keywords search: ties are broken by reference, and many items rank consistently", "[keywords][search]") {
  std::vector<keyword_document> documents;
  for (std::uint32_t row = 0; row < 2000; ++row) {
    std::string body = "common";
    for (std::uint32_t repeat = 0; repeat < row % 5; ++repeat) body += " rare";
    documents.push_back({make_item_reference(row % 4, row), "", body});
  }
  const loaded_index index = load(build(documents));
  const auto hits = search(index, "common", 2000);
  REQUIRE(hits.size() == 2000);
  for (std::size_t rank = 1; rank < hits.size(); ++rank) {
    const bool ordered = hits[rank - 1].score > hits[rank].score ||
                         (hits[rank - 1].score == hits[rank].score && hits[rank - 1].reference < hits[rank].reference);
    REQUIRE(ordered);
  }
  // Shorter bodies score higher for the same tf: rows with row % 5 == 0 come first.
  CHECK(reference_row(hits[0].reference) % 5 == 0);
  CHECK(hit_for(hits, make_item_reference(0, 0)).score > hit_for(hits, make_item_reference(1, 1)).score);
}
