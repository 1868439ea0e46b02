#include "site/site_reader.hpp"

#include <fstream>

#include "hash/sha256.hpp"

namespace mosaic::server {
namespace {

namespace fs = std::filesystem;

}  // namespace

result<std::vector<std::uint8_t>> read_whole_file(const fs::path& path) {
  std::error_code failure;
  const auto size = fs::file_size(path, failure);
  if (failure) return make_error(error_code::io_error, "cannot read " + path.string() + " (" + failure.message() + ")");
  std::ifstream stream(path, std::ios::binary);
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  if (!stream || !stream.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size))) {
    return make_error(error_code::io_error, "cannot read " + path.string());
  }
  return bytes;
}

result<loaded_site> load_site(const fs::path& site_directory) {
  auto manifest_bytes = read_whole_file(site_directory / "manifest.json");
  if (!manifest_bytes) return std::move(manifest_bytes).failure();
  std::string manifest_text(reinterpret_cast<const char*>(manifest_bytes->data()), manifest_bytes->size());
  auto manifest = index::parse_manifest(manifest_text);
  if (!manifest) return std::move(manifest).failure();
  auto index = search::loaded_index::create(std::move(manifest).value());
  if (!index) return std::move(index).failure();
  loaded_site site{std::move(manifest_text), hash::sha256_hex(manifest_bytes.value()), std::move(index).value(), {}};
  // A partitioned site: the centroid table, then every partition (the server and the CLI hold them all,
  // so no query waits for a fetch). Their handles are used as shards' are.
  if (site.index.manifest().layout == index::index_layout::partitioned) {
    const index::manifest& partitioned = site.index.manifest();
    auto centroid_bytes = read_whole_file(site_directory / partitioned.centroids->path);
    if (!centroid_bytes) return std::move(centroid_bytes).failure();
    if (auto set = site.index.set_centroids(std::move(centroid_bytes).value()); !set) return std::move(set).failure();
    site.shards.reserve(partitioned.partitions.size());
    for (std::size_t position = 0; position < partitioned.partitions.size(); ++position) {
      const index::manifest_partition& entry = partitioned.partitions[position];
      auto partition_bytes = read_whole_file(site_directory / entry.vectors.path);
      if (!partition_bytes) return std::move(partition_bytes).failure();
      auto metadata_bytes = read_whole_file(site_directory / entry.metadata.path);
      if (!metadata_bytes) return std::move(metadata_bytes).failure();
      auto handle = site.index.add_partition(position, partition_bytes.value(), metadata_bytes.value());
      if (!handle) return std::move(handle).failure();
      site.shards.push_back(handle.value());
    }
  }
  const std::vector<index::manifest_shard>& entries = site.index.manifest().shards;
  site.shards.reserve(site.shards.size() + entries.size());
  for (std::size_t position = 0; position < entries.size(); ++position) {
    auto shard_bytes = read_whole_file(site_directory / entries[position].vectors.path);
    if (!shard_bytes) return std::move(shard_bytes).failure();
    auto metadata_bytes = read_whole_file(site_directory / entries[position].metadata.path);
    if (!metadata_bytes) return std::move(metadata_bytes).failure();
    auto handle = site.index.add_shard(position, std::move(shard_bytes).value(), metadata_bytes.value());
    if (!handle) return std::move(handle).failure();
    site.shards.push_back(handle.value());
  }
  // The keyword index whole: on disk every term file is at hand, so none waits for a query.
  if (const auto& keywords = site.index.manifest().keywords) {
    auto directory_bytes = read_whole_file(site_directory / keywords->path);
    if (!directory_bytes) return std::move(directory_bytes).failure();
    if (auto set = site.index.set_keyword_directory(directory_bytes.value()); !set) return std::move(set).failure();
    search::loaded_keywords& loaded = *site.index.keywords();
    for (std::size_t file_index = 0; file_index < loaded.directory().term_files.size(); ++file_index) {
      auto entry = loaded.term_file_entry(file_index);
      if (!entry) return std::move(entry).failure();
      auto term_bytes = read_whole_file(site_directory / entry->path);
      if (!term_bytes) return std::move(term_bytes).failure();
      if (auto added = loaded.add_term_file(file_index, term_bytes.value()); !added) return std::move(added).failure();
    }
  }
  return site;
}

}  // namespace mosaic::server
