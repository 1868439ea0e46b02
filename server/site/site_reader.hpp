#pragma once
// Loads an index site from disk for searching: reads manifest.json and every shard (or centroid table
// and partition), item metadata and keyword file it names, and hands their bytes to the core's index (search::loaded_index), which makes every
// check, exactly as the browser's loader does. The server and the CLI search through that one index.
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "search/loaded_index.hpp"

namespace mosaic::server {

struct loaded_site {
  std::string manifest_text;  // manifest.json as read: served from memory, so it always matches the loaded shards
  std::string manifest_hash;  // SHA-256 (hex) of manifest_text: tells generations apart in events and ETags
  search::loaded_index index;
  // every vector file of the manifest, in manifest order: its shards, or its partitions (whose handles
  // are used as shards' are)
  std::vector<search::shard_handle> shards;

  [[nodiscard]] const index::manifest& manifest() const noexcept { return index.manifest(); }
};

result<loaded_site> load_site(const std::filesystem::path& site_directory);

// Reads a whole file; errors name the file.
result<std::vector<std::uint8_t>> read_whole_file(const std::filesystem::path& path);

}  // namespace mosaic::server
