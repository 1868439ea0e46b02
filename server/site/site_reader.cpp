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

std::vector<search::searchable_shard> loaded_site::searchable() const {
  std::vector<search::searchable_shard> views;
  views.reserve(shards.size());
  for (const auto& shard : shards) views.push_back({shard->vectors, &shard->attributes});
  return views;
}

result<loaded_site> load_site(const fs::path& site_directory) {
  auto manifest_bytes = read_whole_file(site_directory / "manifest.json");
  if (!manifest_bytes) return std::move(manifest_bytes).failure();
  auto manifest = index::parse_manifest(
      std::string_view(reinterpret_cast<const char*>(manifest_bytes->data()), manifest_bytes->size()));
  if (!manifest) return std::move(manifest).failure();
  loaded_site site;
  site.manifest = std::move(manifest).value();
  site.manifest_text.assign(reinterpret_cast<const char*>(manifest_bytes->data()), manifest_bytes->size());
  site.manifest_hash = hash::sha256_hex(manifest_bytes.value());
  for (const index::manifest_shard& entry : site.manifest.shards) {
    auto shard = std::make_unique<loaded_shard>();
    auto bytes = read_whole_file(site_directory / entry.vectors.path);
    if (!bytes) return std::move(bytes).failure();
    shard->bytes = std::move(bytes).value();
    if (hash::sha256_hex(shard->bytes) != entry.vectors.hash) {
      return make_error(error_code::checksum_mismatch, entry.vectors.path + " does not match its content hash");
    }
    auto view = index::decode_shard(shard->bytes);
    if (!view) return make_error(view.failure().code, entry.vectors.path + ": " + view.failure().message);
    shard->vectors = view.value();
    if (shard->vectors.dimensions != site.manifest.dimensions || shard->vectors.kind != site.manifest.vector_quantization ||
        shard->vectors.item_count != entry.item_count) {
      return make_error(error_code::invalid_manifest, entry.vectors.path + " disagrees with manifest.json");
    }
    auto metadata_bytes = read_whole_file(site_directory / entry.metadata.path);
    if (!metadata_bytes) return std::move(metadata_bytes).failure();
    if (hash::sha256_hex(metadata_bytes.value()) != entry.metadata.hash) {
      return make_error(error_code::checksum_mismatch, entry.metadata.path + " does not match its content hash");
    }
    auto items = index::parse_item_metadata(
        std::string_view(reinterpret_cast<const char*>(metadata_bytes->data()), metadata_bytes->size()),
        shard->vectors.item_count);
    if (!items) return make_error(items.failure().code, entry.metadata.path + ": " + items.failure().message);
    shard->items = std::move(items).value();
    if (auto matches = index::check_metadata_matches_shard(shard->vectors, shard->items); !matches) {
      return std::move(matches).failure();
    }
    shard->attributes = index::build_attributes(shard->items, site.labels, site.tags);
    site.shards.push_back(std::move(shard));
  }
  return site;
}

}  // namespace mosaic::server
