// write_site with the partitioned layout: the files a partitioned generation is made of (centroid
// table, one partition and one item-metadata file per centroid, rows in item order), and updates that
// keep the centroid table so that only partitions whose rows changed get new files.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "hash/sha256.hpp"
#include "index/item_metadata.hpp"
#include "index/shard_codec.hpp"
#include "partition/partition_codec.hpp"
#include "partition/partition_count.hpp"
#include "partition_test_data.hpp"
#include "server_test_support.hpp"
#include "site/site_reader.hpp"
#include "site/site_writer.hpp"

using namespace mosaic;
using mosaic::server::testing::temporary_folder;

namespace {

constexpr std::uint32_t dimensions = 32;

std::vector<server::indexed_item> clustered_items(std::size_t count, std::uint64_t seed) {
  const auto collection = test::clustered_unit_vectors(count, dimensions, 12, 0.4f, seed);
  std::vector<server::indexed_item> items(count);
  for (std::size_t position = 0; position < count; ++position) {
    server::indexed_item& item = items[position];
    item.metadata.id = 5000 + position;
    item.metadata.title = "item " + std::to_string(position);
    item.metadata.source = "notes/" + std::to_string(position) + ".txt";
    item.metadata.mime_type = "text/plain";
    item.vector.assign(collection.vectors.begin() + static_cast<std::ptrdiff_t>(position * dimensions),
                       collection.vectors.begin() + static_cast<std::ptrdiff_t>((position + 1) * dimensions));
    item.keyword_body = "note number " + std::to_string(position);
  }
  return items;
}

server::site_layout partitioned_layout() {
  server::site_layout layout;
  layout.model_id = "test-model";
  layout.dimensions = dimensions;
  layout.full_dimensions = dimensions;
  layout.vector_layout = index::index_layout::partitioned;
  layout.threads = 2;
  return layout;
}

std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) { return server::read_whole_file(path).value(); }

std::set<std::string> partition_hashes(const index::manifest& manifest) {
  std::set<std::string> hashes;
  for (const auto& partition : manifest.partitions) hashes.insert(partition.vectors.hash);
  return hashes;
}

std::size_t files_in(const std::filesystem::path& folder) {
  std::error_code failure;
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder, failure)) count += entry.is_regular_file() ? 1U : 0U;
  return count;
}

}  // namespace

TEST_CASE("a partitioned site holds a centroid table and one partition with its metadata per centroid", "[site][partitioned]") {
  temporary_folder site("partitioned-site");
  const auto items = clustered_items(2000, 11);
  server::site_write_report report;
  auto manifest = server::write_site(site.path(), partitioned_layout(), items, &report);
  REQUIRE(manifest.ok());
  CHECK(manifest->layout == index::index_layout::partitioned);
  CHECK(manifest->shards.empty());
  const std::size_t partitions = partition::partition_count_for_rows(2000);  // 45
  REQUIRE(manifest->partitions.size() == partitions);
  REQUIRE(report.partitioning.has_value());
  CHECK(report.partitioning->partitions == partitions);
  CHECK_FALSE(report.partitioning->kept_centroids);
  CHECK(report.partitioning->kmeans_iterations >= 1);
  CHECK(report.partitioning->new_partition_files == partitions);
  CHECK(report.partitioning->imbalance >= 1.0);
  CHECK(report.partitioning->imbalance <= 3.0 * 45.0 / (2000.0 / 45.0));  // the cap, 3 x ceil(mean)
  CHECK(report.partitioning->largest_partition <= partition::default_partition_cap(2000, partitions));

  // The manifest written is the one on disk and parses back.
  const auto text = read_bytes(site.path() / "manifest.json");
  auto parsed = index::parse_manifest(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()));
  REQUIRE(parsed.ok());
  CHECK(parsed->partitions.size() == partitions);

  // The centroid table: an int8 shard of one row per partition, item id = partition number.
  const auto table_bytes = read_bytes(site.path() / manifest->centroids->path);
  CHECK(hash::sha256_hex(table_bytes) == manifest->centroids->hash);
  auto table = index::decode_shard(table_bytes);
  REQUIRE(table.ok());
  CHECK(table->kind == index::quantization::i8);
  REQUIRE(table->item_count == partitions);
  for (std::size_t p = 0; p < partitions; ++p) CHECK(table->item_id(p) == p);

  // Every item in exactly one partition, rows in item order, metadata row for row, centre = stored centroid.
  std::set<std::uint64_t> seen;
  std::vector<float> centroid(dimensions);
  for (std::uint32_t p = 0; p < partitions; ++p) {
    const auto& entry = manifest->partitions[p];
    const auto bytes = read_bytes(site.path() / entry.vectors.path);
    CHECK(hash::sha256_hex(bytes) == entry.vectors.hash);
    CHECK(bytes.size() == entry.vectors.bytes);
    auto view = partition::decode_partition(bytes);
    REQUIRE(view.ok());
    CHECK(partition::check_partition_against_manifest(view.value(), p, dimensions, entry.item_count).ok());
    CHECK(view->rows_offset == entry.head_bytes);
    table->row_as_f32(p, centroid);
    CHECK(std::equal(centroid.begin(), centroid.end(), view->centre.begin(), view->centre.end()));
    const auto metadata_text = read_bytes(site.path() / entry.metadata.path);
    auto metadata = index::parse_item_metadata(
        std::string_view(reinterpret_cast<const char*>(metadata_text.data()), metadata_text.size()), entry.item_count);
    REQUIRE(metadata.ok());
    for (std::size_t row = 0; row < view->item_count; ++row) {
      CHECK(metadata.value()[row].id == view->item_id(row));
      if (row > 0) CHECK(view->item_id(row - 1) < view->item_id(row));
      CHECK(seen.insert(view->item_id(row)).second);
    }
  }
  CHECK(seen.size() == 2000);
  CHECK(manifest->item_count() == 2000);
  CHECK(manifest->keywords.has_value());
}

TEST_CASE("a re-index that adds one item keeps the centroids and rewrites one partition", "[site][partitioned]") {
  temporary_folder site("partitioned-update");
  auto items = clustered_items(2001, 12);
  const server::indexed_item added = items.back();
  items.pop_back();
  auto first = server::write_site(site.path(), partitioned_layout(), items);
  REQUIRE(first.ok());

  items.push_back(added);
  server::site_write_report report;
  auto second = server::write_site(site.path(), partitioned_layout(), items, &report);
  REQUIRE(second.ok());
  REQUIRE(report.partitioning.has_value());
  CHECK(report.partitioning->kept_centroids);
  CHECK(report.partitioning->kept_rows == 2000);
  CHECK(report.partitioning->kmeans_seconds == 0.0);
  CHECK(second->centroids->hash == first->centroids->hash);
  REQUIRE(second->partitions.size() == first->partitions.size());
  std::size_t changed = 0;
  for (std::size_t p = 0; p < first->partitions.size(); ++p) {
    if (first->partitions[p].vectors.hash != second->partitions[p].vectors.hash) {
      ++changed;
      CHECK(second->partitions[p].item_count == first->partitions[p].item_count + 1);
    } else {
      CHECK(first->partitions[p].metadata.hash == second->partitions[p].metadata.hash);
    }
  }
  CHECK(changed == 1);
  CHECK(report.partitioning->new_partition_files == 1);

  // One item's vector changes: at most its old and its new partition change.
  items[17].vector = clustered_items(30, 99)[29].vector;
  server::site_write_report changed_report;
  auto third = server::write_site(site.path(), partitioned_layout(), items, &changed_report);
  REQUIRE(third.ok());
  CHECK(changed_report.partitioning->kept_rows == 2000);
  std::size_t changed_again = 0;
  for (std::size_t p = 0; p < second->partitions.size(); ++p) {
    changed_again += second->partitions[p].vectors.hash != third->partitions[p].vectors.hash ? 1U : 0U;
  }
  CHECK(changed_again >= 1);
  CHECK(changed_again <= 2);

  // Re-clustering trains afresh on the 2001 items: other centroids, other partition files.
  server::site_layout recluster = partitioned_layout();
  recluster.recluster = true;
  server::site_write_report recluster_report;
  auto fourth = server::write_site(site.path(), recluster, items, &recluster_report);
  REQUIRE(fourth.ok());
  CHECK_FALSE(recluster_report.partitioning->kept_centroids);
  CHECK(fourth->centroids->hash != third->centroids->hash);
  std::set<std::string> shared_files;
  const auto before = partition_hashes(third.value());
  for (const auto& hash : partition_hashes(fourth.value())) {
    if (before.contains(hash)) shared_files.insert(hash);
  }
  CHECK(shared_files.size() < fourth->partitions.size() / 2);

  // Garbage collection: only the files of the last two generations remain.
  CHECK(files_in(site.path() / "centroids") == 2);
  std::set<std::string> named;
  for (const auto* generation : {&third.value(), &fourth.value()}) {
    for (const auto& partition : generation->partitions) named.insert(partition.vectors.path);
  }
  CHECK(files_in(site.path() / "partitions") == named.size());
  for (const auto& entry : std::filesystem::directory_iterator(site.path() / "partitions")) {
    CHECK(named.contains("partitions/" + entry.path().filename().string()));
  }
}

TEST_CASE("a damaged previous centroid table is not kept: the generation trains afresh", "[site][partitioned]") {
  temporary_folder site("partitioned-damaged");
  const auto items = clustered_items(400, 13);
  auto first = server::write_site(site.path(), partitioned_layout(), items);
  REQUIRE(first.ok());
  server::testing::write_text_file(site.path() / first->centroids->path, "not a shard");
  server::site_write_report report;
  auto second = server::write_site(site.path(), partitioned_layout(), items, &report);
  REQUIRE(second.ok());
  CHECK_FALSE(report.partitioning->kept_centroids);
  CHECK(report.partitioning->centroid_note.find("damaged") != std::string::npos);
  // Trained from the same rows with the same seed: the same table, written again whole.
  CHECK(second->centroids->hash == first->centroids->hash);
  CHECK(hash::sha256_hex(read_bytes(site.path() / second->centroids->path)) == second->centroids->hash);
}

TEST_CASE("a partitioned write refuses float32, and an empty collection is written flat", "[site][partitioned]") {
  temporary_folder site("partitioned-refusals");
  server::site_layout layout = partitioned_layout();
  layout.vector_quantization = index::quantization::f32;
  auto refused = server::write_site(site.path(), layout, clustered_items(10, 1));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.failure().message.find("int8") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(site.path() / "manifest.json"));
  auto empty = server::write_site(site.path(), partitioned_layout(), std::span<const server::indexed_item>());
  REQUIRE(empty.ok());
  CHECK(empty->layout == index::index_layout::flat);
  CHECK(empty->item_count() == 0);
}

TEST_CASE("a flat generation after a partitioned one removes the partitions a generation later", "[site][partitioned]") {
  temporary_folder site("partitioned-to-flat");
  const auto items = clustered_items(300, 14);
  REQUIRE(server::write_site(site.path(), partitioned_layout(), items).ok());
  server::site_layout flat = partitioned_layout();
  flat.vector_layout = index::index_layout::flat;
  REQUIRE(server::write_site(site.path(), flat, items).ok());
  CHECK(files_in(site.path() / "partitions") > 0);  // the previous generation's, kept one generation
  REQUIRE(server::write_site(site.path(), flat, items).ok());
  CHECK(files_in(site.path() / "partitions") == 0);
  CHECK(files_in(site.path() / "centroids") == 0);
}
