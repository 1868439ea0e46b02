// The keyword index builder: what it writes (docs/format.md's worked example, byte for byte), that the
// bytes depend only on the set of documents, how terms are split into files, and that everything it
// writes decodes back to the postings and positions of the text.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "keyword_test_support.hpp"
#include "keywords/item_reference.hpp"
#include "outcome_name.hpp"

using namespace mosaic::keywords;
using namespace mosaic::keywords::testing;
using mosaic::test::outcome_name;

namespace {

std::vector<keyword_document> sample_documents() {
  return {
      {make_item_reference(0, 0), "Quick brown fox", "The fox jumps over the lazy dog. Foxes are quick."},
      {make_item_reference(0, 1), "Error codes", "Error AB-1234 means the disk is full; see e-mail."},
      {make_item_reference(1, 0), "東京大学", "東京大学は日本の大学です"},
      {make_item_reference(1, 7), "", "Running runners run daily"},
      {make_item_reference(2, 3), "", "   ...  "},  // no term: not counted
      {make_item_reference(0xFFFFFFFFU, 0xFFFFFFFFU), "last", "the very last item"},
  };
}

}  // namespace

TEST_CASE("keywords item references pack the vector file and the row", "[keywords][builder]") {
  STATIC_REQUIRE(make_item_reference(3, 5) == (std::uint64_t{3} << 32U) + 5);
  STATIC_REQUIRE(reference_vector_file(make_item_reference(0xFFFFFFFFU, 1)) == 0xFFFFFFFFU);
  STATIC_REQUIRE(reference_row(make_item_reference(7, 0xFFFFFFFFU)) == 0xFFFFFFFFU);
  STATIC_REQUIRE(make_item_reference(1, 0) > make_item_reference(0, 0xFFFFFFFFU));
}

TEST_CASE("keywords builder: round trip through the decoders", "[keywords][builder]") {
  const auto built = build(sample_documents());
  CHECK(built.item_count == 5);
  CHECK(built.directory.hash == hex(mosaic::hash::sha256(built.directory.bytes)));
  for (const auto& file : built.term_files) CHECK(file.hash == mosaic::hash::sha256_hex(file.bytes));
  const loaded_index index = load(built);

  CHECK(index.directory.analysis == 2);  // keywords::default_analysis: English stop words dropped
  CHECK(index.directory.item_count == 5);
  REQUIRE(index.directory.fields.size() == 2);
  CHECK(index.directory.fields[0].name == "title");
  CHECK(index.directory.fields[1].name == "body");
  // Titles with terms: "Quick brown fox" 3, "Error codes" 2, "東京大学" 3 bigrams, "last" 1 → 9 / 4.
  CHECK(index.directory.fields[0].item_count == 4);
  CHECK(index.directory.fields[0].average_length == Approx(9.0 / 4.0));
  CHECK(index.directory.fields[1].item_count == 5);

  // "fox": title of (0,0) at position 2, body of (0,0) at 1 and "Foxes" at 7 (stemmed to "fox").
  const auto file_index = index.directory.term_file_for("fox");
  REQUIRE(file_index.has_value());
  const term_file& file = index.files[*file_index];
  const auto term = file.find_term("fox");
  REQUIRE(term.has_value());
  CHECK(file.document_frequency(*term) == 1);
  const term_postings postings = file.postings(*term);
  REQUIRE(postings.size() == 1);
  CHECK(postings.references[0] == make_item_reference(0, 0));
  CHECK(postings.term_frequency(0, 0) == 1);
  CHECK(postings.field_length(0, 0) == 3);
  CHECK(postings.term_frequency(0, 1) == 2);
  CHECK(postings.field_length(0, 1) == 10);
  const term_positions positions = file.positions(*term, postings);
  CHECK(std::vector<std::uint32_t>(positions.of(0, 0).begin(), positions.of(0, 0).end()) == std::vector<std::uint32_t>{2});
  CHECK(std::vector<std::uint32_t>(positions.of(0, 1).begin(), positions.of(0, 1).end()) ==
        std::vector<std::uint32_t>{1, 7});

  // "run": "Running" and "run" in one body; "runners" stems to "runner".
  const term_file& run_file = index.files[*index.directory.term_file_for("run")];
  const auto run = run_file.find_term("run");
  REQUIRE(run.has_value());
  const term_postings run_postings = run_file.postings(*run);
  REQUIRE(run_postings.size() == 1);
  CHECK(run_postings.references[0] == make_item_reference(1, 7));
  CHECK(run_postings.term_frequency(0, 0) == 0);
  CHECK(run_postings.field_length(0, 0) == 0);
  CHECK(run_postings.term_frequency(0, 1) == 2);

  CHECK_FALSE(file.find_term("absent").has_value());
  CHECK(index.files[*index.directory.term_file_for("ab-1234")].find_term("ab-1234").has_value());
  CHECK(index.files[*index.directory.term_file_for("ab1234")].find_term("ab1234").has_value());
  CHECK(index.files[*index.directory.term_file_for("東京")].find_term("東京").has_value());
}

TEST_CASE("keywords builder: the same documents give the same bytes, in any order", "[keywords][builder]") {
  const auto documents = sample_documents();
  const auto first = build(documents);
  const auto again = build(documents);
  auto shuffled = documents;
  std::mt19937 generator(7);
  for (int round = 0; round < 5; ++round) {
    std::shuffle(shuffled.begin(), shuffled.end(), generator);
    const auto reordered = build(shuffled);
    CHECK(reordered.directory.bytes == first.directory.bytes);
    CHECK(reordered.directory.hash == first.directory.hash);
    REQUIRE(reordered.term_files.size() == first.term_files.size());
    for (std::size_t file = 0; file < first.term_files.size(); ++file) {
      CHECK(reordered.term_files[file].bytes == first.term_files[file].bytes);
      CHECK(reordered.term_files[file].hash == first.term_files[file].hash);
    }
  }
  CHECK(again.directory.bytes == first.directory.bytes);
  // A different document changes the hashes.
  auto changed = documents;
  changed[0].body += " badger";
  CHECK(build(changed).directory.hash != first.directory.hash);
}

TEST_CASE("keywords builder: duplicate references and text the tokenizer refuses are errors", "[keywords][builder]") {
  auto documents = sample_documents();
  documents.push_back({make_item_reference(1, 0), "again", "same reference"});
  const auto duplicate = build_keyword_index(documents);
  REQUIRE_FALSE(duplicate.ok());
  CHECK(duplicate.failure().code == mosaic::error_code::invalid_argument);
  CHECK(duplicate.failure().message.find("vector file 1, row 0") != std::string::npos);

  const std::vector<keyword_document> invalid = {{make_item_reference(0, 4), "fine", "broken \xC3"}};
  const auto refused = build_keyword_index(invalid);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.failure().code == mosaic::error_code::invalid_utf8);
  CHECK(refused.failure().message.find("row 4) body") != std::string::npos);
}

TEST_CASE("keywords builder: no documents, or none with terms, give an empty but valid index", "[keywords][builder]") {
  for (const auto& documents : {std::vector<keyword_document>{},
                                std::vector<keyword_document>{{make_item_reference(0, 0), "!!", "..."}}}) {
    const auto built = build(documents);
    CHECK(built.item_count == 0);
    CHECK(built.term_files.empty());
    const loaded_index index = load(built);
    CHECK(index.directory.item_count == 0);
    CHECK(index.directory.fields.size() == 2);
    CHECK_FALSE(index.directory.term_file_for("anything").has_value());
    CHECK(search(index, "anything").empty());
  }
}

TEST_CASE("keywords builder: a term counts once per position (stemmed compounds)", "[keywords][builder]") {
  // "run-ning" gives run-ning@0, running@0 → "run"@0, run@0 and ning@1: "run" twice at position 0.
  const auto built = build({{make_item_reference(0, 0), "", "run-ning run"}});
  const loaded_index index = load(built);
  const term_file& file = index.files[*index.directory.term_file_for("run")];
  const auto run = file.find_term("run");
  REQUIRE(run.has_value());
  const term_postings postings = file.postings(*run);
  CHECK(postings.term_frequency(0, 1) == 2);  // positions 0 and 2
  CHECK(postings.field_length(0, 1) == 3);
  const term_positions positions = file.positions(*run, postings);
  CHECK(std::vector<std::uint32_t>(positions.of(0, 1).begin(), positions.of(0, 1).end()) ==
        std::vector<std::uint32_t>{0, 2});
}

TEST_CASE("keywords builder: terms are split into files by size, in byte order, covering every term", "[keywords][builder]") {
  std::vector<keyword_document> documents;
  for (std::uint32_t row = 0; row < 300; ++row) {
    std::string body;
    for (std::uint32_t word = 0; word < 12; ++word) body += "w" + std::to_string((row * 7 + word * 13) % 500) + " ";
    documents.push_back({make_item_reference(row % 3, row), "title " + std::to_string(row), body});
  }
  keyword_build_options options;
  options.target_term_file_bytes = 600;
  const auto built = build(documents, options);
  REQUIRE(built.term_files.size() > 5);
  const loaded_index index = load(built);
  std::set<std::string> seen;
  for (std::size_t file = 0; file < index.files.size(); ++file) {
    const term_file& loaded = index.files[file];
    CHECK(loaded.term(0) == index.directory.term_files[file].first_term);
    // Every file but the last reached the target.
    if (file + 1 < index.files.size()) CHECK(built.term_files[file].bytes.size() >= options.target_term_file_bytes);
    for (std::size_t term = 0; term < loaded.term_count(); ++term) {
      CHECK(index.directory.term_file_for(loaded.term(term)) == file);
      CHECK(seen.insert(std::string(loaded.term(term))).second);
    }
  }
  for (std::uint32_t word = 0; word < 500; ++word) {
    if (seen.count("w" + std::to_string(word)) == 0) continue;
    const auto hits = search(index, "w" + std::to_string(word), 1000);
    CHECK_FALSE(hits.empty());
  }
  CHECK(seen.count("titl") == 1);  // Snowball's stem of "title"
  // A target of 0 puts every term in a file of its own.
  options.target_term_file_bytes = 0;
  const auto one_per_file = build(documents, options);
  CHECK(one_per_file.term_files.size() == seen.size());
}

// docs/format.md, "Term files", "Worked example": these documents give exactly these bytes.
TEST_CASE("keywords builder: docs/format.md's worked example, byte for byte", "[keywords][builder][format]") {
  const std::vector<keyword_document> documents = {
      {make_item_reference(0, 7), "", "red red"},
      {make_item_reference(0, 5), "Red fox", "fox den"},
  };
  const auto built = build(documents);
  REQUIRE(built.term_files.size() == 1);
  // xxd -p of the 108-byte term file and the 130-byte directory shown in docs/format.md.
  const std::string term_file_hex =
      "894d4f5354524d0a010040000200000003000000000000001500000000000000"
      "1100000000000000060000000000000000000000000000004fe2537106b9349f"
      "0364656e01040103666f78010502037265640208030500010205010102020501"
      "000202000202010100000001";
  const std::string directory_hex =
      "894d4f534b45590a010040000200020001000000000000000200000000000000"
      "420000000000000000000000000000000000000000000000851049924f033f40"
      "057469746c65000000400104626f647900000040020364656e036c0000000000"
      "00002871fba16890fbcd5c18307c0a41618e2b63ab6e218931a5a9a305c0e8a1"
      "3bcc";
  CHECK(hex(built.term_files[0].bytes) == term_file_hex);
  CHECK(hex(built.directory.bytes) == directory_hex);
  CHECK(built.term_files[0].hash == "2871fba16890fbcd5c18307c0a41618e2b63ab6e218931a5a9a305c0e8a13bcc");
  CHECK(built.directory.hash == "43f16b8e89b2a42276655044fc001e1e1e668b6a1d8ee799ee1b569d85972777");
  // The example's score: idf = ln 2, tf' = 2 · 1 / 1 + 1 · 1 / 1 = 3, ln 2 · 3 · 1.9 / 3.9 = 1.0130613.
  const auto hits = search(load(built), "fox");
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].reference == make_item_reference(0, 5));
  CHECK(hits[0].score == Approx(1.0130613).epsilon(1e-5));
}
