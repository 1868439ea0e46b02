#pragma once
// A loaded index made from a few vectors written out by hand, for worked examples whose answers can
// be checked with pencil and paper: one float32 shard, items labelled as given.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "hash/sha256.hpp"
#include "index/item_metadata.hpp"
#include "index/manifest.hpp"
#include "index/shard_codec.hpp"
#include "search/loaded_index.hpp"

namespace mosaic::test {

struct hand_built_item {
  std::vector<float> vector;  // unit length
  std::string label;          // "" for none
  std::string source;         // "" for collection/<id>.txt: a document of its own
};

// The unit vector at cosine `similarity` to (1, 0, 0), in the x-y plane.
inline std::vector<float> at_similarity(float similarity) {
  return {similarity, std::sqrt(1.0f - similarity * similarity), 0.0f};
}

struct hand_built_index {
  search::loaded_index index;
  std::vector<search::shard_handle> shards;
};

// Item ids are 1, 2, 3... in the order given; titles "item N".
inline hand_built_index build_index(const std::vector<hand_built_item>& entries) {
  REQUIRE_FALSE(entries.empty());
  const auto dimensions = static_cast<std::uint32_t>(entries.front().vector.size());
  std::vector<float> vectors;
  std::vector<std::uint64_t> ids;
  std::vector<index::item_metadata> items;
  for (std::size_t row = 0; row < entries.size(); ++row) {
    vectors.insert(vectors.end(), entries[row].vector.begin(), entries[row].vector.end());
    index::item_metadata item;
    item.id = row + 1;
    item.title = "item " + std::to_string(row + 1);
    item.source = entries[row].source.empty() ? "collection/" + std::to_string(row + 1) + ".txt" : entries[row].source;
    item.mime_type = "text/plain";
    item.label = entries[row].label;
    ids.push_back(item.id);
    items.push_back(item);
  }
  const std::vector<std::uint8_t> shard = index::encode_shard_from_f32(dimensions, index::quantization::f32, vectors, ids).value();
  const std::string metadata_text = index::serialize_item_metadata(items).value();
  const std::vector<std::uint8_t> metadata(metadata_text.begin(), metadata_text.end());
  index::manifest manifest;
  manifest.generation = 1;
  manifest.model_id = "test-model";
  manifest.dimensions = dimensions;
  manifest.full_dimensions = dimensions;
  manifest.vector_quantization = index::quantization::f32;
  index::manifest_shard entry;
  entry.vectors.hash = hash::sha256_hex(shard);
  entry.vectors.path = index::shard_path_for(entry.vectors.hash);
  entry.vectors.bytes = shard.size();
  entry.metadata.hash = hash::sha256_hex(metadata);
  entry.metadata.path = index::metadata_path_for(entry.metadata.hash);
  entry.metadata.bytes = metadata.size();
  entry.item_count = items.size();
  manifest.shards.push_back(entry);
  auto created = search::loaded_index::create(manifest);
  REQUIRE(created.ok());
  hand_built_index built{std::move(created).value(), {}};
  auto handle = built.index.add_shard(0, shard, metadata);
  REQUIRE(handle.ok());
  built.shards.push_back(handle.value());
  return built;
}

}  // namespace mosaic::test
