#pragma once
// Loads an index site from disk into memory for searching: the manifest, every shard (validated by the
// core's decoder, and checked against its content hash) and the item metadata beside it.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "index/item_metadata.hpp"
#include "index/manifest.hpp"
#include "search/top_k.hpp"

namespace mosaic::server {

struct loaded_shard {
  std::vector<std::uint8_t> bytes;  // owns what `vectors` views; 8-byte aligned (std::vector)
  index::shard_view vectors;
  std::vector<index::item_metadata> items;
  search::shard_attributes attributes;
};

struct loaded_site {
  index::manifest manifest;
  std::string manifest_text;  // manifest.json as read: served from memory, so it always matches the loaded shards
  std::string manifest_hash;  // SHA-256 (hex) of manifest_text: tells generations apart in events and ETags
  std::vector<std::unique_ptr<loaded_shard>> shards;  // stable addresses for the views
  index::string_dictionary labels;
  index::string_dictionary tags;

  [[nodiscard]] std::vector<search::searchable_shard> searchable() const;
  [[nodiscard]] const index::item_metadata& item(const search::search_hit& hit) const {
    return shards[hit.shard]->items[hit.row];
  }
};

result<loaded_site> load_site(const std::filesystem::path& site_directory);

// Reads a whole file; errors name the file.
result<std::vector<std::uint8_t>> read_whole_file(const std::filesystem::path& path);

}  // namespace mosaic::server
