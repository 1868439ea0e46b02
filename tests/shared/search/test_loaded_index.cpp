// The client's in-memory index (search/loaded_index.hpp): shards are accepted only when they are the
// files the manifest names and agree with it; searches by name-based filters give what top_k gives on
// the same rows; "more like this" uses the stored vector; the label vote speaks label names.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "hand_built_index.hpp"
#include "hash/sha256.hpp"
#include "index/item_metadata.hpp"
#include "index/manifest.hpp"
#include "index/shard_codec.hpp"
#include "model/use_lite_model.hpp"
#include "search/loaded_index.hpp"
#include "search/top_k.hpp"
#include "vector/normalize.hpp"
#include "outcome_name.hpp"

using mosaic::test::outcome_name;
using namespace mosaic;
using mosaic::search::loaded_index;
using mosaic::search::named_filter;
using mosaic::search::shard_handle;

namespace {

constexpr std::uint32_t test_dimensions = 19;  // odd, so every SIMD kernel runs its scalar tail

struct shard_files {
  std::vector<std::uint8_t> vectors;
  std::vector<std::uint8_t> metadata;
  std::vector<float> unit_vectors;  // what was encoded, row-major
  std::vector<index::item_metadata> items;
};

std::vector<std::uint8_t> as_bytes(const std::string& text) { return {text.begin(), text.end()}; }

// A shard of `count` random unit vectors; rows alternate between the labels given ("" = none),
// every third row is an image, and even rows carry the tag "even".
shard_files make_shard(std::uint64_t first_id, std::size_t count, const std::vector<std::string>& labels,
                       index::quantization kind, std::mt19937& generator, std::uint32_t dimensions = test_dimensions) {
  shard_files files;
  std::normal_distribution<float> component(0.0f, 1.0f);
  std::vector<std::uint64_t> ids;
  for (std::size_t row = 0; row < count; ++row) {
    std::vector<float> values(dimensions);
    for (float& value : values) value = component(generator);
    REQUIRE(vector::l2_normalize(values).ok());
    files.unit_vectors.insert(files.unit_vectors.end(), values.begin(), values.end());
    index::item_metadata item;
    item.id = first_id + row;
    item.title = "item " + std::to_string(item.id);
    item.source = "collection/" + std::to_string(item.id) + ".txt";
    item.kind = row % 3 == 2 ? index::modality::image : index::modality::text;
    item.mime_type = item.kind == index::modality::image ? "image/jpeg" : "text/plain";
    item.label = labels[row % labels.size()];
    if (row % 2 == 0) item.tags = {"even"};
    files.items.push_back(item);
    ids.push_back(item.id);
  }
  files.vectors = index::encode_shard_from_f32(dimensions, kind, files.unit_vectors, ids).value();
  files.metadata = as_bytes(index::serialize_item_metadata(files.items).value());
  return files;
}

index::manifest_shard manifest_entry(const shard_files& files) {
  index::manifest_shard entry;
  entry.vectors.hash = hash::sha256_hex(files.vectors);
  entry.vectors.path = index::shard_path_for(entry.vectors.hash);
  entry.vectors.bytes = files.vectors.size();
  entry.metadata.hash = hash::sha256_hex(files.metadata);
  entry.metadata.path = index::metadata_path_for(entry.metadata.hash);
  entry.metadata.bytes = files.metadata.size();
  entry.item_count = files.items.size();
  return entry;
}

index::manifest make_manifest(const std::vector<shard_files>& shards, index::quantization kind,
                              std::uint32_t dimensions = test_dimensions) {
  index::manifest manifest;
  manifest.generation = 1;
  manifest.model_id = "test-model";
  manifest.dimensions = dimensions;
  manifest.full_dimensions = dimensions;
  manifest.vector_quantization = kind;
  for (const shard_files& files : shards) manifest.shards.push_back(manifest_entry(files));
  return manifest;
}

struct fixture {
  std::mt19937 generator{20261122};
  std::vector<shard_files> files;
  loaded_index index;
  std::vector<shard_handle> handles;

  static fixture make(index::quantization kind) {
    std::mt19937 generator{20261122};
    std::vector<shard_files> files;
    files.push_back(make_shard(100, 40, {"cats", "dogs", ""}, kind, generator));
    files.push_back(make_shard(200, 33, {"dogs", "birds"}, kind, generator));
    files.push_back(make_shard(300, 7, {""}, kind, generator));
    auto index = loaded_index::create(make_manifest(files, kind));
    REQUIRE(outcome_name(index) == "ok");
    fixture result{generator, files, std::move(index).value(), {}};
    for (std::size_t position = 0; position < result.files.size(); ++position) {
      auto handle = result.index.add_shard(position, result.files[position].vectors, result.files[position].metadata);
      REQUIRE(outcome_name(handle) == "ok");
      result.handles.push_back(handle.value());
    }
    return result;
  }

  std::vector<float> query() {
    std::normal_distribution<float> component(0.0f, 1.0f);
    std::vector<float> values(test_dimensions);
    for (float& value : values) value = component(generator);
    return values;
  }

  const index::item_metadata& item_of(const search::index_hit& hit) const {
    const auto* items = index.items(hit.shard);
    REQUIRE(items != nullptr);
    return (*items)[hit.row];
  }
};

}  // namespace

TEST_CASE("a loaded index accepts only the files its manifest names", "[loaded_index]") {
  std::mt19937 generator{7};
  std::vector<shard_files> files{make_shard(1, 5, {"a"}, index::quantization::i8, generator),
                                 make_shard(10, 4, {"b"}, index::quantization::i8, generator)};
  auto created = loaded_index::create(make_manifest(files, index::quantization::i8));
  REQUIRE(outcome_name(created) == "ok");
  loaded_index& index = created.value();

  SECTION("one flipped byte in the shard is a content-hash mismatch that names the file") {
    auto corrupt = files[0].vectors;
    corrupt[80] ^= 0x01;
    auto handle = index.add_shard(0, corrupt, files[0].metadata);
    REQUIRE(outcome_name(handle) == "checksum_mismatch");
    CHECK(handle.failure().message.find(index.manifest().shards[0].vectors.path) != std::string::npos);
    CHECK(index.loaded_shard_count() == 0);
  }
  SECTION("one flipped byte in the metadata is a content-hash mismatch too") {
    auto corrupt = files[0].metadata;
    corrupt[corrupt.size() / 2] ^= 0x20;
    auto handle = index.add_shard(0, files[0].vectors, corrupt);
    REQUIRE(outcome_name(handle) == "checksum_mismatch");
    CHECK(handle.failure().message.find("items/") != std::string::npos);
  }
  SECTION("the other shard's files at this position are refused") {
    CHECK(outcome_name(index.add_shard(0, files[1].vectors, files[1].metadata)) == "checksum_mismatch");
  }
  SECTION("a position outside the manifest and a second load of one position are invalid arguments") {
    CHECK(outcome_name(index.add_shard(2, files[0].vectors, files[0].metadata)) == "invalid_argument");
    REQUIRE(outcome_name(index.add_shard(0, files[0].vectors, files[0].metadata)) == "ok");
    CHECK(outcome_name(index.add_shard(0, files[0].vectors, files[0].metadata)) == "invalid_argument");
    CHECK(index.loaded_shard_count() == 1);
    CHECK(index.loaded_item_count() == 5);
  }
  SECTION("handles are released once; a released handle cannot be searched") {
    auto first = index.add_shard(0, files[0].vectors, files[0].metadata);
    auto second = index.add_shard(1, files[1].vectors, files[1].metadata);
    REQUIRE(outcome_name(first) == "ok");
    REQUIRE(outcome_name(second) == "ok");
    CHECK(first.value() != second.value());
    CHECK(outcome_name(index.release_shard(first.value())) == "ok");
    CHECK(outcome_name(index.release_shard(first.value())) == "invalid_argument");
    CHECK(index.items(first.value()) == nullptr);
    const std::vector<float> query(test_dimensions, 1.0f);
    const std::vector<shard_handle> released{first.value()};
    CHECK(outcome_name(index.search(query, released, 3, {})) == "invalid_argument");
    const std::vector<shard_handle> kept{second.value()};
    CHECK(outcome_name(index.search(query, kept, 3, {})) == "ok");
    // Released positions can be loaded again (a client that dropped a shard and fetched it anew).
    CHECK(outcome_name(index.add_shard(0, files[0].vectors, files[0].metadata)) == "ok");
  }
}

TEST_CASE("a shard that passes its hash but disagrees with the manifest is refused", "[loaded_index]") {
  std::mt19937 generator{8};
  std::vector<shard_files> files{make_shard(1, 3, {"a"}, index::quantization::f32, generator)};
  SECTION("another quantization") {
    index::manifest manifest = make_manifest(files, index::quantization::i8);
    auto index = loaded_index::create(manifest).value();
    CHECK(outcome_name(index.add_shard(0, files[0].vectors, files[0].metadata)) == "invalid_manifest");
  }
  SECTION("another item count") {
    index::manifest manifest = make_manifest(files, index::quantization::f32);
    manifest.shards[0].item_count = 4;
    auto index = loaded_index::create(manifest).value();
    CHECK(outcome_name(index.add_shard(0, files[0].vectors, files[0].metadata)) == "invalid_manifest");
  }
  SECTION("a shard that does not decode keeps the decoder's own code") {
    shard_files broken = files[0];
    broken.vectors[0] = 0x00;  // magic
    index::manifest manifest = make_manifest({broken}, index::quantization::f32);
    auto index = loaded_index::create(manifest).value();
    CHECK(outcome_name(index.add_shard(0, broken.vectors, broken.metadata)) == "bad_magic");
  }
}

TEST_CASE("an index of the local model must have that model's shape", "[loaded_index]") {
  index::manifest manifest;
  manifest.model_id = std::string(model::use_lite_model_id);
  manifest.dimensions = 256;
  manifest.full_dimensions = 300;
  auto refused = loaded_index::create(manifest);
  REQUIRE(outcome_name(refused) == "invalid_manifest");
  CHECK(refused.failure().message.find("512") != std::string::npos);
  manifest.full_dimensions = model::use_lite_model_dimensions;
  CHECK(outcome_name(loaded_index::create(manifest)) == "ok");
}

TEST_CASE("searching a loaded index gives what top_k gives on the same shards", "[loaded_index]") {
  const auto kind = GENERATE(index::quantization::i8, index::quantization::f32);
  fixture state = fixture::make(kind);
  std::vector<search::searchable_shard> views;
  for (const shard_files& files : state.files) views.push_back({index::decode_shard(files.vectors).value(), nullptr});

  for (int repetition = 0; repetition < 5; ++repetition) {
    const std::vector<float> query = state.query();
    auto hits = state.index.search(query, state.handles, 12, {});
    REQUIRE(outcome_name(hits) == "ok");
    search::search_options options;
    options.k = 12;
    auto expected = search::top_k(query, views, options);
    REQUIRE(outcome_name(expected) == "ok");
    REQUIRE(hits->size() == expected->size());
    for (std::size_t i = 0; i < hits->size(); ++i) {
      CHECK((*hits)[i].item_id == (*expected)[i].item_id);
      CHECK((*hits)[i].score == (*expected)[i].score);
      CHECK((*hits)[i].shard == state.handles[(*expected)[i].shard]);
      CHECK((*hits)[i].row == (*expected)[i].row);
    }
  }
}

TEST_CASE("a new generation adopts the shards both manifests name, without their bytes again", "[loaded_index]") {
  fixture old_generation = fixture::make(index::quantization::i8);
  std::mt19937 generator{99};
  // Generation 2 drops shard 0, keeps shards 1 and 2 (at new positions) and adds one.
  std::vector<shard_files> next_files{make_shard(900, 6, {"fish"}, index::quantization::i8, generator),
                                      old_generation.files[1], old_generation.files[2]};
  index::manifest next_manifest = make_manifest(next_files, index::quantization::i8);
  next_manifest.generation = 2;
  auto created = loaded_index::create(next_manifest);
  REQUIRE(outcome_name(created) == "ok");
  loaded_index& next = created.value();

  SECTION("a kept shard moves, keeps its rows and answers by the new index's label names") {
    auto added = next.add_shard(0, next_files[0].vectors, next_files[0].metadata);
    REQUIRE(outcome_name(added) == "ok");
    auto kept = next.adopt_shard(1, old_generation.index, old_generation.handles[1]);
    REQUIRE(outcome_name(kept) == "ok");
    auto small = next.adopt_shard(2, old_generation.index, old_generation.handles[2]);
    REQUIRE(outcome_name(small) == "ok");
    CHECK(next.loaded_item_count() == 6 + 33 + 7);
    CHECK(old_generation.index.loaded_shard_count() == 1);  // only the dropped shard is left there
    CHECK(old_generation.index.items(old_generation.handles[1]) == nullptr);
    const std::vector<shard_handle> handles{added.value(), kept.value(), small.value()};
    // Shard 1's rows carry "dogs" and "birds": the label filter finds them in the new index too.
    named_filter birds;
    birds.labels = {"birds"};
    auto found = next.search(old_generation.query(), handles, 100, birds);
    REQUIRE(outcome_name(found) == "ok");
    CHECK(found->size() == 16);  // the odd rows of 33
    for (const auto& hit : found.value()) CHECK(hit.shard == kept.value());
    // The stored vector survives the move: "more like this" of an adopted item finds it first.
    auto stored = next.stored_vector(217);
    REQUIRE(outcome_name(stored) == "ok");
    auto again = next.search(stored.value(), handles, 1, {});
    REQUIRE(outcome_name(again) == "ok");
    CHECK(again->front().item_id == 217);
  }
  SECTION("a shard at a position naming other files is refused and stays where it was") {
    auto refused = next.adopt_shard(0, old_generation.index, old_generation.handles[1]);
    CHECK(outcome_name(refused) == "checksum_mismatch");
    CHECK(old_generation.index.items(old_generation.handles[1]) != nullptr);
    CHECK(next.loaded_shard_count() == 0);
  }
  SECTION("unknown handles, positions outside the manifest and a taken position are invalid arguments") {
    CHECK(outcome_name(next.adopt_shard(1, old_generation.index, 12345)) == "invalid_argument");
    CHECK(outcome_name(next.adopt_shard(3, old_generation.index, old_generation.handles[1])) == "invalid_argument");
    REQUIRE(outcome_name(next.adopt_shard(1, old_generation.index, old_generation.handles[1])) == "ok");
    CHECK(outcome_name(next.adopt_shard(1, old_generation.index, old_generation.handles[2])) == "invalid_argument");
    CHECK(outcome_name(next.adopt_shard(2, next, 1)) == "invalid_argument");
  }
  SECTION("a manifest that gives the same files another item count is refused") {
    index::manifest disagreeing = next_manifest;
    disagreeing.shards[1].item_count = 34;
    auto other = loaded_index::create(disagreeing);
    REQUIRE(outcome_name(other) == "ok");
    CHECK(outcome_name(other.value().adopt_shard(1, old_generation.index, old_generation.handles[1])) == "invalid_manifest");
    CHECK(old_generation.index.loaded_shard_count() == 3);
  }
}

TEST_CASE("filters by name: modality, label, tag, exclusion; unknown names match nothing", "[loaded_index]") {
  fixture state = fixture::make(index::quantization::i8);
  const std::vector<float> query = state.query();
  const std::size_t every_row = 80;

  named_filter images;
  images.modalities = {"image"};
  auto image_hits = state.index.search(query, state.handles, every_row, images);
  REQUIRE(outcome_name(image_hits) == "ok");
  std::size_t expected_images = 0;
  for (const shard_files& files : state.files) {
    for (const auto& item : files.items) expected_images += item.kind == index::modality::image ? 1 : 0;
  }
  CHECK(image_hits->size() == expected_images);
  for (const auto& hit : image_hits.value()) CHECK(state.item_of(hit).kind == index::modality::image);

  named_filter dogs_or_birds;
  dogs_or_birds.labels = {"dogs", "birds"};
  dogs_or_birds.tags = {"even"};
  auto labelled = state.index.search(query, state.handles, every_row, dogs_or_birds);
  REQUIRE(outcome_name(labelled) == "ok");
  REQUIRE(!labelled->empty());
  for (const auto& hit : labelled.value()) {
    const auto& item = state.item_of(hit);
    CHECK((item.label == "dogs" || item.label == "birds"));
    CHECK(item.tags == std::vector<std::string>{"even"});
  }

  named_filter unknown_label;
  unknown_label.labels = {"unicorns"};
  auto none = state.index.search(query, state.handles, every_row, unknown_label);
  REQUIRE(outcome_name(none) == "ok");
  CHECK(none->empty());

  named_filter bad_modality;
  bad_modality.modalities = {"hologram"};
  CHECK(outcome_name(state.index.search(query, state.handles, 5, bad_modality)) == "invalid_argument");

  auto best = state.index.search(query, state.handles, 1, {});
  REQUIRE(outcome_name(best) == "ok");
  named_filter without_best;
  without_best.excluded_item_ids = {best->front().item_id};
  auto rest = state.index.search(query, state.handles, every_row, without_best);
  REQUIRE(outcome_name(rest) == "ok");
  CHECK(rest->size() == state.index.loaded_item_count() - 1);
  for (const auto& hit : rest.value()) CHECK(hit.item_id != best->front().item_id);

  const std::vector<float> short_query(test_dimensions - 1, 1.0f);
  CHECK(outcome_name(state.index.search(short_query, state.handles, 5, {})) == "dimension_mismatch");
}

TEST_CASE("the stored vector of an item finds that item first; unknown ids are an error", "[loaded_index]") {
  const auto kind = GENERATE(index::quantization::i8, index::quantization::f32);
  fixture state = fixture::make(kind);
  const std::uint64_t item_id = 217;  // shard 1, row 17
  auto stored = state.index.stored_vector(item_id);
  REQUIRE(outcome_name(stored) == "ok");
  REQUIRE(stored->size() == test_dimensions);
  const float* original = state.files[1].unit_vectors.data() + 17 * test_dimensions;
  for (std::size_t i = 0; i < test_dimensions; ++i) CHECK(std::fabs((*stored)[i] - original[i]) < 0.01f);
  auto hits = state.index.search(stored.value(), state.handles, 3, {});
  REQUIRE(outcome_name(hits) == "ok");
  CHECK(hits->front().item_id == item_id);
  CHECK(hits->front().score > 0.999f);
  CHECK(outcome_name(state.index.stored_vector(999)) == "invalid_argument");
}

TEST_CASE("classify: labelled neighbours vote by name; a high threshold gives unknown", "[loaded_index]") {
  fixture state = fixture::make(index::quantization::f32);
  // The stored vector of a "birds" row: its own row votes for birds with similarity 1.
  const std::uint64_t bird = 201;  // shard 1, row 1: labels alternate dogs, birds
  REQUIRE(state.files[1].items[1].label == "birds");
  auto query = state.index.stored_vector(bird);
  REQUIRE(outcome_name(query) == "ok");
  search::vote_options options;
  options.k = 1;
  auto vote = state.index.classify(query.value(), state.handles, options, {});
  REQUIRE(outcome_name(vote) == "ok");
  CHECK(vote->known);
  CHECK(vote->label == "birds");
  CHECK(vote->votes == 1);
  CHECK(vote->confidence == 1.0f);
  REQUIRE(vote->neighbours.size() == 1);
  CHECK(vote->neighbours.front().item_id == bird);

  options.k = 7;
  vote = state.index.classify(query.value(), state.handles, options, {});
  REQUIRE(outcome_name(vote) == "ok");
  CHECK(vote->considered == 7);
  for (const auto& neighbour : vote->neighbours) CHECK(!state.item_of(neighbour).label.empty());

  options.unknown_below = 1.5f;  // no similarity reaches it
  vote = state.index.classify(query.value(), state.handles, options, {});
  REQUIRE(outcome_name(vote) == "ok");
  CHECK_FALSE(vote->known);
  CHECK(vote->label.empty());

  // Only the unlabelled shard loaded: nobody votes.
  const std::vector<shard_handle> unlabelled{state.handles[2]};
  options.unknown_below = 0.0f;
  vote = state.index.classify(query.value(), unlabelled, options, {});
  REQUIRE(outcome_name(vote) == "ok");
  CHECK_FALSE(vote->known);
  CHECK(vote->neighbours.empty());
  options.k = 0;
  CHECK(outcome_name(state.index.classify(query.value(), state.handles, options, {})) == "invalid_argument");
}

// The worked example behind the choice of one label vote. The query is (1, 0, 0); four unlabelled
// items lie nearer to it than any labelled one:
//   items 1-4: no label, similarity 0.99, 0.98, 0.97, 0.96
//   item 5: alice 0.90      item 6: bob 0.50      item 7: bob 0.45
// The voters are the k nearest LABELLED items, found in the scan. With k = 1, alice votes alone:
// alice, confidence 1. (The CLI's old vote took the 4·k nearest items and dropped the unlabelled
// ones: here all four candidates were unlabelled, nobody voted, and it said "unknown" while the
// browser said alice.) With k = 3, weighted by similarity: alice 0.90 against bob 0.50 + 0.45 = 0.95,
// so bob wins with confidence 0.95 / 1.85 = 0.5135; with min_confidence 0.6 that is "unknown".
TEST_CASE("the label vote: the k nearest labelled items vote, however many unlabelled ones are nearer", "[loaded_index][vote]") {
  using mosaic::test::at_similarity;
  auto built = mosaic::test::build_index({{at_similarity(0.99f), "", ""}, {at_similarity(0.98f), "", ""}, {at_similarity(0.97f), "", ""},
                                          {at_similarity(0.96f), "", ""}, {at_similarity(0.90f), "alice", ""},
                                          {at_similarity(0.50f), "bob", ""}, {at_similarity(0.45f), "bob", ""}});
  const std::vector<float> query{1.0f, 0.0f, 0.0f};
  search::vote_options options;
  options.k = 1;
  auto vote = built.index.classify(query, built.shards, options, {});
  REQUIRE(outcome_name(vote) == "ok");
  CHECK(vote->known);
  CHECK(vote->label == "alice");
  CHECK(vote->confidence == 1.0f);
  REQUIRE(vote->neighbours.size() == 1);
  CHECK(vote->neighbours[0].item_id == 5);

  options.k = 3;
  vote = built.index.classify(query, built.shards, options, {});
  REQUIRE(outcome_name(vote) == "ok");
  CHECK(vote->label == "bob");
  CHECK(vote->votes == 2);
  CHECK(vote->considered == 3);
  CHECK(vote->confidence == Approx(0.95 / 1.85).epsilon(1e-5));
  CHECK(vote->best_score == Approx(0.50f).epsilon(1e-5));

  options.min_confidence = 0.6f;
  vote = built.index.classify(query, built.shards, options, {});
  REQUIRE(outcome_name(vote) == "ok");
  CHECK_FALSE(vote->known);
  CHECK(vote->label.empty());
  CHECK(vote->confidence == Approx(0.95 / 1.85).epsilon(1e-5));  // the figures of the refused winner stay
}

TEST_CASE("query answers the hits and the vote from one scan, as search and classify do apart", "[loaded_index][vote]") {
  fixture state = fixture::make(index::quantization::i8);
  const std::vector<float> query = state.query();
  for (const bool filtered : {false, true}) {
    INFO("filtered " << filtered);
    named_filter conditions;
    if (filtered) conditions.modalities = {"text"};
    search::query_options options;
    options.k = 9;
    options.filter = conditions;
    options.vote.emplace();
    options.vote->k = 5;
    auto both = state.index.query(query, state.handles, options);
    REQUIRE(outcome_name(both) == "ok");
    auto hits = state.index.search(query, state.handles, 9, conditions);
    auto vote = state.index.classify(query, state.handles, *options.vote, conditions);
    REQUIRE(outcome_name(hits) == "ok");
    REQUIRE(outcome_name(vote) == "ok");
    REQUIRE(both->hits.size() == hits->size());
    for (std::size_t i = 0; i < hits->size(); ++i) {
      CHECK(both->hits[i].item_id == (*hits)[i].item_id);
      CHECK(both->hits[i].score == (*hits)[i].score);
    }
    REQUIRE(both->vote.has_value());
    CHECK(both->vote->label == vote->label);
    CHECK(both->vote->confidence == vote->confidence);
    REQUIRE(both->vote->neighbours.size() == vote->neighbours.size());
    for (std::size_t i = 0; i < vote->neighbours.size(); ++i) {
      CHECK(both->vote->neighbours[i].item_id == vote->neighbours[i].item_id);
      CHECK_FALSE(state.item_of(both->vote->neighbours[i]).label.empty());
      if (filtered) CHECK(state.item_of(both->vote->neighbours[i]).kind == index::modality::text);
    }
  }
}

TEST_CASE("one result per document: a document's best chunk, with how many of its chunks matched", "[loaded_index][documents]") {
  using mosaic::test::at_similarity;
  // Three chunks of the manual are nearest; the guide and the note come next.
  auto built = mosaic::test::build_index({{at_similarity(0.95f), "", "manual.md"}, {at_similarity(0.94f), "", "manual.md"},
                                          {at_similarity(0.93f), "", "manual.md"}, {at_similarity(0.80f), "", "guide.md"},
                                          {at_similarity(0.70f), "", "note.txt"}, {at_similarity(0.60f), "", "guide.md"}});
  const std::vector<float> query{1.0f, 0.0f, 0.0f};
  search::query_options options;
  options.k = 2;
  auto grouped = built.index.query(query, built.shards, options);
  REQUIRE(outcome_name(grouped) == "ok");
  REQUIRE(grouped->hits.size() == 2);
  CHECK(grouped->hits[0].item_id == 1);
  CHECK(grouped->hits[0].matched_items == 3);
  CHECK(grouped->hits[1].item_id == 4);
  CHECK(grouped->hits[1].matched_items == 2);  // both guide chunks were among the hits looked at

  options.k = 10;  // more than there are documents: every document once
  grouped = built.index.query(query, built.shards, options);
  REQUIRE(outcome_name(grouped) == "ok");
  REQUIRE(grouped->hits.size() == 3);
  CHECK(grouped->hits[2].item_id == 5);

  options.k = 2;
  options.one_per_document = false;
  auto every = built.index.query(query, built.shards, options);
  REQUIRE(outcome_name(every) == "ok");
  REQUIRE(every->hits.size() == 2);
  CHECK(every->hits[0].item_id == 1);
  CHECK(every->hits[1].item_id == 2);
  CHECK(every->hits[1].matched_items == 1);
}

TEST_CASE("prepare_query truncates a model's output to the stored dimensions and normalizes it", "[loaded_index]") {
  std::mt19937 generator{9};
  std::vector<shard_files> files{make_shard(1, 2, {"a"}, index::quantization::f32, generator, 4)};
  index::manifest manifest = make_manifest(files, index::quantization::f32, 4);
  manifest.full_dimensions = 8;
  auto index = loaded_index::create(manifest).value();
  const std::vector<float> output{3.0f, 0.0f, 4.0f, 0.0f, 9.0f, 9.0f, 9.0f, 9.0f};
  auto query = index.prepare_query(output);
  REQUIRE(outcome_name(query) == "ok");
  REQUIRE(query->size() == 4);
  CHECK(query.value() == std::vector<float>{0.6f, 0.0f, 0.8f, 0.0f});
  CHECK(outcome_name(index.prepare_query(std::vector<float>{1.0f, 2.0f, 3.0f})) == "dimension_mismatch");
  CHECK(outcome_name(index.prepare_query(std::vector<float>(8, 0.0f))) == "zero_vector");
}
