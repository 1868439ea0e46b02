// The client's index over a partitioned site (docs/format.md, "Partitioned layout"): partitions and
// the centroid table are accepted only when they are the files the manifest names; a search over
// every partition gives what the core's partitioned search gives; a lazy client that holds nothing is
// told which partitions to fetch and, once it has them, gets the same answer as a client holding all;
// the filter's adaptive probe, the label vote, "more like this" and refresh by adoption work on
// partitions as on shards.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "../partition/built_partitioned_index.hpp"
#include "../partition/partition_test_data.hpp"
#include "hash/sha256.hpp"
#include "index/item_metadata.hpp"
#include "index/manifest.hpp"
#include "keywords/keyword_index_builder.hpp"
#include "outcome_name.hpp"
#include "search/loaded_index.hpp"

using namespace mosaic;
using mosaic::search::loaded_index;
using mosaic::search::shard_handle;
using mosaic::test::outcome_name;

namespace {

constexpr std::uint32_t dimensions = 48;
constexpr std::size_t row_count = 3000;  // 55 partitions
constexpr std::size_t query_count = 40;

std::vector<std::uint8_t> as_bytes(const std::string& text) { return {text.begin(), text.end()}; }

index::content_file file_for(const std::vector<std::uint8_t>& bytes, std::string (*path_for)(std::string_view)) {
  index::content_file file;
  file.hash = hash::sha256_hex(bytes);
  file.path = path_for(file.hash);
  file.bytes = bytes.size();
  return file;
}

// A partitioned site in memory: the built index, each partition's item metadata, the manifest.
struct partitioned_site {
  mosaic::test::built_partitioned_index built;
  std::vector<std::vector<std::uint8_t>> metadata;
  index::manifest manifest;
  std::vector<float> vectors;
  std::vector<float> queries;
};

// Items: id = row; every seventh row is labelled "rare", every other row "common"; rows belong to
// documents of two items each (source "document/<row / 2>"), so one result per document matters.
index::item_metadata item_for_row(std::uint64_t row) {
  index::item_metadata item;
  item.id = row;
  item.title = "item " + std::to_string(row);
  item.source = "document/" + std::to_string(row / 2);
  item.kind = index::modality::text;
  item.mime_type = "text/plain";
  item.label = row % 7 == 3 ? "rare" : (row % 2 == 0 ? "common" : "");
  return item;
}

partitioned_site make_site(std::uint64_t seed = 11) {
  partitioned_site site;
  auto all = mosaic::test::clustered_unit_vectors(row_count + query_count, dimensions, 120, 0.12f, seed).vectors;
  site.queries.assign(all.begin() + static_cast<std::ptrdiff_t>(row_count * dimensions), all.end());
  all.resize(row_count * dimensions);
  site.vectors = all;
  partition::kmeans_options options;
  options.partition_count = partition::partition_count_for_rows(row_count);
  site.built = mosaic::test::build_partitioned_index(site.vectors, dimensions, options,
                                                     partition::default_partition_cap(row_count, options.partition_count));
  site.manifest.generation = 1;
  site.manifest.model_id = "test-model";
  site.manifest.dimensions = dimensions;
  site.manifest.full_dimensions = dimensions;
  site.manifest.layout = index::index_layout::partitioned;
  site.manifest.centroids = file_for(site.built.centroid_bytes, &index::centroid_table_path_for);
  for (std::size_t p = 0; p < site.built.partitions.size(); ++p) {
    const partition::partition_view& view = site.built.partitions[p];
    std::vector<index::item_metadata> items;
    for (std::size_t row = 0; row < view.item_count; ++row) items.push_back(item_for_row(view.item_id(row)));
    auto text = index::serialize_item_metadata(items);
    REQUIRE(text.ok());
    site.metadata.push_back(as_bytes(text.value()));
    index::manifest_partition entry;
    entry.vectors = file_for(site.built.partition_bytes[p], &index::partition_path_for);
    entry.metadata = file_for(site.metadata.back(), &index::metadata_path_for);
    entry.item_count = view.item_count;
    entry.head_bytes = view.rows_offset;
    site.manifest.partitions.push_back(entry);
  }
  return site;
}

loaded_index open_site(const partitioned_site& site) {
  auto index = loaded_index::create(site.manifest);
  REQUIRE(index.ok());
  REQUIRE(index->set_centroids(site.built.centroid_bytes).ok());
  return std::move(index).value();
}

std::vector<shard_handle> load_all(loaded_index& index, const partitioned_site& site) {
  std::vector<shard_handle> handles;
  for (std::size_t p = 0; p < site.built.partitions.size(); ++p) {
    auto handle = index.add_partition(p, site.built.partition_bytes[p], site.metadata[p]);
    REQUIRE(handle.ok());
    handles.push_back(handle.value());
  }
  return handles;
}

std::span<const float> query_at(const partitioned_site& site, std::size_t q) {
  return std::span<const float>(site.queries).subspan(q * dimensions, dimensions);
}

std::vector<std::uint64_t> ids_of(const std::vector<search::index_hit>& hits) {
  std::vector<std::uint64_t> ids;
  for (const search::index_hit& hit : hits) ids.push_back(hit.item_id);
  return ids;
}

// A lazy client: starts with nothing but the centroids, fetches what partitions_to_probe names, then
// whatever each answer's missing_partitions names, until an answer is final. Returns the final
// outcome and how many rounds of fetching it took.
std::pair<search::query_outcome, std::size_t> lazy_query(loaded_index& index, const partitioned_site& site,
                                                         std::vector<shard_handle>& handles, std::span<const float> query,
                                                         const search::query_options& options) {
  std::set<std::size_t> held;
  for (const shard_handle handle : handles) held.insert(*index.manifest_position(handle));
  const auto fetch = [&](std::uint32_t position) {
    if (held.count(position) != 0) return;
    auto handle = index.add_partition(position, site.built.partition_bytes[position], site.metadata[position]);
    REQUIRE(handle.ok());
    handles.push_back(handle.value());
    held.insert(position);
  };
  auto first = index.partitions_to_probe(query, options);
  REQUIRE(first.ok());
  for (const std::uint32_t position : first.value()) fetch(position);
  for (std::size_t rounds = 1;; ++rounds) {
    auto outcome = index.query(query, handles, options);
    REQUIRE(outcome.ok());
    if (outcome->missing_partitions.empty()) return {std::move(outcome).value(), rounds};
    REQUIRE(rounds < 20);
    for (const std::uint32_t position : outcome->missing_partitions) fetch(position);
  }
}

// A client holding heads: fetches the head (bytes [0, head_bytes)) and item metadata of each partition
// partitions_to_probe or missing_partitions names, then the rows missing_rows names, each row alone,
// until an answer is final. Returns the final outcome and how many rows it fetched.
std::pair<search::query_outcome, std::size_t> head_query(loaded_index& index, const partitioned_site& site,
                                                         std::vector<shard_handle>& handles, std::span<const float> query,
                                                         const search::query_options& options) {
  std::map<std::size_t, shard_handle> held;
  for (const shard_handle handle : handles) held[*index.manifest_position(handle)] = handle;
  const auto fetch = [&](std::uint32_t position) {
    if (held.count(position) != 0) return;
    const auto& bytes = site.built.partition_bytes[position];
    auto handle = index.add_partition_head(
        position, std::span<const std::uint8_t>(bytes).first(static_cast<std::size_t>(site.manifest.partitions[position].head_bytes)),
        site.metadata[position]);
    REQUIRE(handle.ok());
    handles.push_back(handle.value());
    held[position] = handle.value();
  };
  auto first = index.partitions_to_probe(query, options);
  REQUIRE(first.ok());
  for (const std::uint32_t position : first.value()) fetch(position);
  std::size_t rows_fetched = 0;
  for (std::size_t rounds = 1;; ++rounds) {
    auto outcome = index.query(query, handles, options);
    REQUIRE(outcome.ok());
    if (outcome->missing_partitions.empty() && outcome->missing_rows.empty()) return {std::move(outcome).value(), rows_fetched};
    REQUIRE(rounds < 20);
    for (const std::uint32_t position : outcome->missing_partitions) fetch(position);
    for (const auto& [position, row] : outcome->missing_rows) {
      const partition::partition_view& view = site.built.partitions[position];
      auto range = partition::partition_row_range(view, row);
      REQUIRE(range.ok());
      const auto row_bytes = std::span<const std::uint8_t>(site.built.partition_bytes[position])
                                 .subspan(static_cast<std::size_t>(range->offset), static_cast<std::size_t>(range->length));
      REQUIRE(index.add_partition_rows(held.at(position), row, row_bytes).ok());
      ++rows_fetched;
    }
  }
}

}  // namespace

TEST_CASE("a partitioned site's vector search over every partition is the core's partitioned search", "[partitioned_index]") {
  const partitioned_site site = make_site();
  loaded_index index = open_site(site);
  const auto handles = load_all(index, site);
  REQUIRE(index.loaded_item_count() == row_count);
  for (std::size_t q = 0; q < 10; ++q) {
    search::query_options options;
    options.k = 10;
    options.one_per_document = false;
    auto outcome = index.query(query_at(site, q), handles, options);
    REQUIRE(outcome.ok());
    CHECK(outcome->approximate);
    CHECK(outcome->missing_partitions.empty());
    CHECK(outcome->rows_scanned > 0);
    std::vector<partition::residual_statistics> residuals;
    for (const auto& view : site.built.partitions) residuals.push_back(partition::compute_residual_statistics(view).value());
    auto expected = partition::search_partitions(site.built.centroids, query_at(site, q), site.built.partitions, {}, residuals);
    REQUIRE(expected.ok());
    REQUIRE(outcome->hits.size() == expected->hits.size());
    for (std::size_t i = 0; i < expected->hits.size(); ++i) {
      CHECK(outcome->hits[i].item_id == expected->hits[i].item_id);
      CHECK(outcome->hits[i].score == expected->hits[i].score);
      // The hit names its partition's handle and row, and the item there is the hit's.
      const index::item_metadata* item = index.item(outcome->hits[i].shard, outcome->hits[i].row);
      REQUIRE(item != nullptr);
      CHECK(item->id == outcome->hits[i].item_id);
    }
  }
}

TEST_CASE("recall@10 of a partitioned site against exact search at the default knobs", "[partitioned_index][recall]") {
  const partitioned_site site = make_site();
  loaded_index index = open_site(site);
  const auto handles = load_all(index, site);
  std::size_t found = 0;
  for (std::size_t q = 0; q < query_count; ++q) {
    search::query_options options;
    options.k = 10;
    options.one_per_document = false;
    auto outcome = index.query(query_at(site, q), handles, options);
    REQUIRE(outcome.ok());
    const auto truth = mosaic::test::exact_top_k(query_at(site, q), site.vectors, 10);
    for (const search::index_hit& hit : outcome->hits) {
      found += static_cast<std::size_t>(std::count(truth.begin(), truth.end(), static_cast<std::uint32_t>(hit.item_id)));
    }
  }
  const double recall = static_cast<double>(found) / static_cast<double>(10 * query_count);
  INFO("recall@10 " << recall);
  REQUIRE(recall >= 0.9);
}

TEST_CASE("a lazy client is told which partitions to fetch and then answers as a client holding all", "[partitioned_index][lazy]") {
  const partitioned_site site = make_site();
  loaded_index everything = open_site(site);
  const auto all_handles = load_all(everything, site);
  loaded_index lazy = open_site(site);
  std::vector<shard_handle> held;

  search::query_options options;
  options.k = 10;
  SECTION("unfiltered: the first probe is enough") {
    for (std::size_t q = 0; q < 8; ++q) {
      auto [outcome, rounds] = lazy_query(lazy, site, held, query_at(site, q), options);
      CHECK(rounds == 1);
      auto expected = everything.query(query_at(site, q), all_handles, options);
      REQUIRE(expected.ok());
      CHECK(ids_of(outcome.hits) == ids_of(expected->hits));
    }
    // Eight queries fetched some partitions, not all of them.
    CHECK(held.size() < site.built.partitions.size());
    CHECK(held.size() >= partition::default_nprobe);
  }
  SECTION("a query with nothing loaded names the probe's partitions as missing and finds nothing") {
    auto outcome = lazy.query(query_at(site, 0), held, options);
    REQUIRE(outcome.ok());
    CHECK(outcome->hits.empty());
    auto wanted = lazy.partitions_to_probe(query_at(site, 0), options);
    REQUIRE(wanted.ok());
    CHECK(wanted->size() == partition::default_nprobe);
    CHECK(outcome->missing_partitions == wanted.value());
  }
  SECTION("a filter on a rare label probes on until k rows pass, in a few rounds") {
    options.filter.labels = {"rare"};
    options.nprobe = 2;
    for (std::size_t q = 0; q < 5; ++q) {
      auto [outcome, rounds] = lazy_query(lazy, site, held, query_at(site, q), options);
      CHECK(rounds <= 4);
      REQUIRE(outcome.hits.size() == 10);
      for (const search::index_hit& hit : outcome.hits) CHECK(hit.item_id % 7 == 3);
      auto expected = everything.query(query_at(site, q), all_handles, options);
      REQUIRE(expected.ok());
      CHECK(ids_of(outcome.hits) == ids_of(expected->hits));
    }
  }
}

TEST_CASE("one result per document, the label vote and more-like-this on a partitioned site", "[partitioned_index]") {
  const partitioned_site site = make_site();
  loaded_index index = open_site(site);
  const auto handles = load_all(index, site);
  search::query_options options;
  options.k = 10;
  options.vote = search::vote_options{};
  options.vote->k = 5;
  auto outcome = index.query(query_at(site, 3), handles, options);
  REQUIRE(outcome.ok());
  REQUIRE(outcome->hits.size() == 10);
  std::set<std::string> documents;
  for (const search::index_hit& hit : outcome->hits) documents.insert(index.item(hit.shard, hit.row)->source);
  CHECK(documents.size() == 10);
  REQUIRE(outcome->vote.has_value());
  REQUIRE(outcome->vote->neighbours.size() == 5);
  for (const search::index_hit& neighbour : outcome->vote->neighbours) {
    CHECK(!index.item(neighbour.shard, neighbour.row)->label.empty());
  }

  // More like this: an item's stored vector finds the item itself first.
  const std::uint64_t item_id = outcome->hits[4].item_id;
  auto stored = index.stored_vector(item_id);
  REQUIRE(stored.ok());
  search::query_options similar;
  similar.k = 3;
  similar.one_per_document = false;
  auto again = index.query(stored.value(), handles, similar);
  REQUIRE(again.ok());
  REQUIRE(!again->hits.empty());
  CHECK(again->hits[0].item_id == item_id);
}

TEST_CASE("partition files and the centroid table are accepted only as the manifest names them", "[partitioned_index][hostile]") {
  const partitioned_site site = make_site();
  auto created = loaded_index::create(site.manifest);
  REQUIRE(created.ok());
  loaded_index index = std::move(created).value();
  std::vector<shard_handle> none;
  search::query_options options;

  // Before the centroid table no vector query runs.
  CHECK(outcome_name(index.query(query_at(site, 0), none, options)) == "invalid_argument");
  CHECK(outcome_name(index.partitions_to_probe(query_at(site, 0), options)) == "invalid_argument");

  auto wrong_centroids = site.built.centroid_bytes;
  wrong_centroids[100] ^= 1;
  CHECK(outcome_name(index.set_centroids(wrong_centroids)) == "checksum_mismatch");
  CHECK(!index.has_centroids());
  REQUIRE(index.set_centroids(site.built.centroid_bytes).ok());

  // Another partition's bytes, a flipped byte, another partition's metadata, a position out of range.
  CHECK(outcome_name(index.add_partition(0, site.built.partition_bytes[1], site.metadata[0])) == "checksum_mismatch");
  auto flipped = site.built.partition_bytes[0];
  flipped[flipped.size() - 1] ^= 1;
  CHECK(outcome_name(index.add_partition(0, flipped, site.metadata[0])) == "checksum_mismatch");
  CHECK(outcome_name(index.add_partition(0, site.built.partition_bytes[0], site.metadata[1])) == "checksum_mismatch");
  CHECK(outcome_name(index.add_partition(site.built.partitions.size(), site.built.partition_bytes[0], site.metadata[0])) ==
        "invalid_argument");
  CHECK(outcome_name(index.add_shard(0, site.built.partition_bytes[0], site.metadata[0])) == "invalid_argument");
  CHECK(index.loaded_shard_count() == 0);

  // A manifest whose entry disagrees with a file that hashes right: the decoder's own checks speak.
  index::manifest lying = site.manifest;
  lying.partitions[0].head_bytes += 64;
  auto lied_to = loaded_index::create(lying);
  REQUIRE(lied_to.ok());
  CHECK(outcome_name(lied_to->add_partition(0, site.built.partition_bytes[0], site.metadata[0])) == "invalid_manifest");
  index::manifest swapped = site.manifest;
  std::swap(swapped.partitions[0], swapped.partitions[1]);
  auto swapped_index = loaded_index::create(swapped);
  REQUIRE(swapped_index.ok());
  CHECK(outcome_name(swapped_index->add_partition(0, site.built.partition_bytes[1], site.metadata[1])) == "invalid_manifest");

  // Accepted once; twice is refused; released, it can come back.
  auto handle = index.add_partition(0, site.built.partition_bytes[0], site.metadata[0]);
  REQUIRE(handle.ok());
  CHECK(outcome_name(index.add_partition(0, site.built.partition_bytes[0], site.metadata[0])) == "invalid_argument");
  REQUIRE(index.release_shard(handle.value()).ok());
  CHECK(index.add_partition(0, site.built.partition_bytes[0], site.metadata[0]).ok());
}

TEST_CASE("a refreshed partitioned site adopts the partitions both generations name", "[partitioned_index]") {
  const partitioned_site site = make_site();
  loaded_index old_generation = open_site(site);
  const auto old_handles = load_all(old_generation, site);
  index::manifest next = site.manifest;
  next.generation = 2;
  loaded_index new_generation = std::move(loaded_index::create(next)).value();
  REQUIRE(new_generation.set_centroids(site.built.centroid_bytes).ok());
  auto adopted = new_generation.adopt_shard(5, old_generation, old_handles[5]);
  REQUIRE(adopted.ok());
  CHECK(*new_generation.manifest_position(adopted.value()) == 5);
  CHECK(outcome_name(new_generation.adopt_shard(6, old_generation, old_handles[7])) == "checksum_mismatch");
  CHECK(old_generation.loaded_shard_count() == site.built.partitions.size() - 1);
}

TEST_CASE("keyword and hybrid search on a partitioned site name the partitions their hits need", "[partitioned_index][keywords]") {
  partitioned_site site = make_site();
  // Every hundredth item's body holds "zebra"; keyword references are (partition, row).
  std::vector<keywords::keyword_document> documents;
  for (std::size_t p = 0; p < site.built.partitions.size(); ++p) {
    const partition::partition_view& view = site.built.partitions[p];
    for (std::size_t row = 0; row < view.item_count; ++row) {
      const std::uint64_t id = view.item_id(row);
      documents.push_back({keywords::make_item_reference(static_cast<std::uint32_t>(p), static_cast<std::uint32_t>(row)),
                           "item " + std::to_string(id), id % 100 == 0 ? "a zebra crossing" : "plain words"});
    }
  }
  auto built_keywords = keywords::build_keyword_index(documents);
  REQUIRE(built_keywords.ok());
  site.manifest.keywords = file_for(built_keywords->directory.bytes, &index::keyword_directory_path_for);
  loaded_index lazy = open_site(site);
  REQUIRE(lazy.set_keyword_directory(built_keywords->directory.bytes).ok());
  for (std::size_t file = 0; file < built_keywords->term_files.size(); ++file) {
    REQUIRE(lazy.keywords()->add_term_file(file, built_keywords->term_files[file].bytes).ok());
  }
  std::set<std::uint32_t> zebra_partitions;
  for (std::size_t row = 0; row < row_count; row += 100) zebra_partitions.insert(site.built.partition_of_row[row]);

  search::query_options options;
  options.k = 10;
  options.mode = search::search_mode::keyword;
  options.text = "zebra";
  std::vector<shard_handle> held;
  auto first = lazy.query({}, held, options);
  REQUIRE(first.ok());
  CHECK(first->hits.empty());
  REQUIRE(!first->missing_partitions.empty());
  CHECK(first->missing_partitions.size() <= 10);
  for (const std::uint32_t position : first->missing_partitions) {
    CHECK(zebra_partitions.count(position) == 1);
    auto handle = lazy.add_partition(position, site.built.partition_bytes[position], site.metadata[position]);
    REQUIRE(handle.ok());
    held.push_back(handle.value());
  }
  auto second = lazy.query({}, held, options);
  REQUIRE(second.ok());
  CHECK(second->missing_partitions.empty());
  REQUIRE(second->hits.size() == 10);
  for (const search::index_hit& hit : second->hits) CHECK(hit.item_id % 100 == 0);

  // Hybrid: the vector side's probe and the keyword side's hits, both named; final once fetched.
  options.mode = search::search_mode::hybrid;
  std::size_t rounds = 0;
  for (;; ++rounds) {
    REQUIRE(rounds < 5);
    auto outcome = lazy.query(query_at(site, 1), held, options);
    REQUIRE(outcome.ok());
    CHECK(outcome->approximate);
    if (outcome->missing_partitions.empty()) {
      CHECK(outcome->hits.size() == 10);
      break;
    }
    for (const std::uint32_t position : outcome->missing_partitions) {
      auto handle = lazy.add_partition(position, site.built.partition_bytes[position], site.metadata[position]);
      REQUIRE(handle.ok());
      held.push_back(handle.value());
    }
  }
  CHECK(rounds >= 1);
}

TEST_CASE("a client holding partition heads fetches only the rows the re-rank needs and answers as a client holding all", "[partitioned_index][lazy][heads]") {
  const partitioned_site site = make_site();
  loaded_index everything = open_site(site);
  const auto all_handles = load_all(everything, site);
  loaded_index heads = open_site(site);
  std::vector<shard_handle> held;
  for (const bool one_per_document : {false, true}) {
    for (const bool filtered : {false, true}) {
      search::query_options options;
      options.k = 10;
      options.one_per_document = one_per_document;
      if (filtered) {
        options.filter.labels = {"rare"};
        options.nprobe = 2;
      }
      options.vote = search::vote_options{};
      options.vote->k = 5;
      for (std::size_t q = 0; q < 6; ++q) {
        INFO("query " << q << (one_per_document ? ", one per document" : "") << (filtered ? ", filtered" : ""));
        auto [outcome, rows_fetched] = head_query(heads, site, held, query_at(site, q), options);
        auto expected = everything.query(query_at(site, q), all_handles, options);
        REQUIRE(expected.ok());
        REQUIRE(outcome.hits.size() == expected->hits.size());
        for (std::size_t i = 0; i < expected->hits.size(); ++i) {
          CHECK(outcome.hits[i].item_id == expected->hits[i].item_id);
          CHECK(outcome.hits[i].score == expected->hits[i].score);
          CHECK(outcome.hits[i].matched_items == expected->hits[i].matched_items);
        }
        REQUIRE(outcome.vote.has_value());
        CHECK(outcome.vote->label == expected->vote->label);
        CHECK(ids_of(outcome.vote->neighbours) == ids_of(expected->vote->neighbours));
        CHECK(outcome.rows_scanned == expected->rows_scanned);
      }
    }
  }
  // Rows fetched: those re-ranked, far fewer than the rows of the partitions held.
  std::size_t rows_held = 0;
  for (const shard_handle handle : held) rows_held += heads.items(handle)->size();
  std::size_t rows_missing = 0;
  for (const shard_handle handle : held) rows_missing += heads.holds_head_only(handle) ? 1U : 0U;
  CHECK(rows_missing > 0);  // some partitions still lack rows: only candidates were fetched
  // More like this from a head: the hit's row arrived for the re-rank.
  search::query_options options;
  options.k = 3;
  auto [outcome, rows_fetched] = head_query(heads, site, held, query_at(site, 7), options);
  REQUIRE(!outcome.hits.empty());
  CHECK(rows_fetched > 0);
  CHECK(rows_fetched < rows_held);
  auto stored = heads.stored_vector(outcome.hits[0].item_id);
  REQUIRE(stored.ok());
  auto expected = everything.stored_vector(outcome.hits[0].item_id);
  REQUIRE(expected.ok());
  CHECK(stored.value() == expected.value());
}

TEST_CASE("partition heads and rows are accepted only as the manifest and the layout say", "[partitioned_index][hostile][heads]") {
  const partitioned_site site = make_site();
  loaded_index index = open_site(site);
  const std::size_t head_bytes = static_cast<std::size_t>(site.manifest.partitions[2].head_bytes);
  const auto& bytes = site.built.partition_bytes[2];
  const auto head = std::span<const std::uint8_t>(bytes).first(head_bytes);
  // The metadata must be the file the manifest names; the head must be exactly head_bytes, at its position.
  CHECK(outcome_name(index.add_partition_head(2, head, site.metadata[3])) == "checksum_mismatch");
  CHECK(outcome_name(index.add_partition_head(2, head.first(head_bytes - 1), site.metadata[2])) == "truncated_payload");
  CHECK(outcome_name(index.add_partition_head(2, bytes, site.metadata[2])) == "trailing_bytes");
  std::vector<std::uint8_t> edited(head.begin(), head.end());
  edited[head_bytes - 70] ^= 0x10;
  CHECK(outcome_name(index.add_partition_head(2, edited, site.metadata[2])) == "checksum_mismatch");
  auto handle = index.add_partition_head(2, head, site.metadata[2]);
  REQUIRE(handle.ok());
  CHECK(index.holds_head_only(handle.value()));
  CHECK(outcome_name(index.add_partition_head(2, head, site.metadata[2])) == "invalid_argument");  // held already
  const partition::partition_view& view = site.built.partitions[2];
  const auto rows = std::span<const std::uint8_t>(bytes).subspan(head_bytes);
  // Whole rows only, within the partition, each valid.
  CHECK(outcome_name(index.add_partition_rows(handle.value(), 0, rows.first(view.row_stride - 1))) == "trailing_bytes");
  CHECK(outcome_name(index.add_partition_rows(handle.value(), 0, rows.first(0))) == "truncated_payload");
  CHECK(outcome_name(index.add_partition_rows(handle.value(), view.item_count - 1, rows.first(2 * view.row_stride))) ==
        "invalid_argument");
  std::vector<std::uint8_t> bad_row(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(2 * view.row_stride));
  bad_row[view.row_stride + 4] = 0x80;  // a -128 code in the second row
  CHECK(outcome_name(index.add_partition_rows(handle.value(), 0, bad_row)) == "bad_payload_value");
  CHECK(index.holds_head_only(handle.value()));
  REQUIRE(index.add_partition_rows(handle.value(), 0, rows).ok());  // every row: the partition is whole now
  CHECK_FALSE(index.holds_head_only(handle.value()));
  // A whole partition has no rows to add.
  auto whole = index.add_partition(3, site.built.partition_bytes[3], site.metadata[3]);
  REQUIRE(whole.ok());
  CHECK(outcome_name(index.add_partition_rows(whole.value(), 0, rows.first(view.row_stride))) == "invalid_argument");
}
