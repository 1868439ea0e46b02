#pragma once
// A loaded index made from a few vectors written out by hand, for worked examples whose answers can
// be checked with pencil and paper: one float32 shard, items labelled as given.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hash/sha256.hpp"
#include "index/item_metadata.hpp"
#include "index/known_models.hpp"
#include "index/manifest.hpp"
#include "index/shard_codec.hpp"
#include "keywords/keyword_index_builder.hpp"
#include "search/loaded_index.hpp"

namespace mosaic::test {

struct hand_built_item {
  // A constructor rather than an aggregate, so that callers name only what they need.
  hand_built_item(std::vector<float> unit_vector, std::string item_label = "", std::string item_source = "",
                  std::string item_text = "")
      : vector(std::move(unit_vector)), label(std::move(item_label)), source(std::move(item_source)), text(std::move(item_text)) {}
  std::vector<float> vector;  // unit length
  std::string label;          // "" for none
  std::string source;         // "" for collection/<id>.txt: a document of its own
  std::string text;           // the keyword index's body field and the item's snippet ("" for none)
  std::vector<index::transcript_segment> transcript;  // set after construction: a recording's words (text_from speech)
};

// The unit vector at cosine `similarity` to (1, 0, 0), in the x-y plane.
inline std::vector<float> at_similarity(float similarity) {
  return {similarity, std::sqrt(1.0f - similarity * similarity), 0.0f};
}

struct hand_built_index {
  search::loaded_index index;
  std::vector<search::shard_handle> shards;
};

// Item ids are 1, 2, 3... in the order given; titles "item N". With `keyword_index`, the items' titles
// and texts are also written as a keyword index (one shard: references are (0, row)), loaded whole.
// `model_id` names the embedding model in the manifest; a model Mosaic knows (its close-match figure,
// say) is stored as its first dimensions, the manifest giving the model's full output width.
inline hand_built_index build_index(const std::vector<hand_built_item>& entries, bool keyword_index = false,
                                    const std::string& model_id = "test-model") {
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
    item.snippet = entries[row].text;
    item.transcript = entries[row].transcript;
    if (!item.transcript.empty()) item.text_from = index::text_origin::speech;
    ids.push_back(item.id);
    items.push_back(item);
  }
  const std::vector<std::uint8_t> shard = index::encode_shard_from_f32(dimensions, index::quantization::f32, vectors, ids).value();
  const std::string metadata_text = index::serialize_item_metadata(items).value();
  const std::vector<std::uint8_t> metadata(metadata_text.begin(), metadata_text.end());
  index::manifest manifest;
  manifest.generation = 1;
  manifest.model_id = model_id;
  manifest.dimensions = dimensions;
  manifest.full_dimensions = index::known_output_dimensions(model_id).value_or(dimensions);
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
  std::optional<keywords::built_keyword_index> keyword_files;
  if (keyword_index) {
    std::vector<keywords::keyword_document> documents;
    for (std::size_t row = 0; row < items.size(); ++row) {
      documents.push_back({keywords::make_item_reference(0, static_cast<std::uint32_t>(row)), items[row].title, entries[row].text});
    }
    auto built_keywords = keywords::build_keyword_index(documents);
    REQUIRE(built_keywords.ok());
    keyword_files = std::move(built_keywords).value();
    manifest.keywords = index::content_file{keyword_files->directory.hash,
                                            index::keyword_directory_path_for(keyword_files->directory.hash),
                                            keyword_files->directory.bytes.size()};
  }
  auto created = search::loaded_index::create(manifest);
  REQUIRE(created.ok());
  hand_built_index built{std::move(created).value(), {}};
  auto handle = built.index.add_shard(0, shard, metadata);
  REQUIRE(handle.ok());
  built.shards.push_back(handle.value());
  if (keyword_files) {
    REQUIRE(built.index.set_keyword_directory(keyword_files->directory.bytes).ok());
    for (std::size_t file = 0; file < keyword_files->term_files.size(); ++file) {
      REQUIRE(built.index.keywords()->add_term_file(file, keyword_files->term_files[file].bytes).ok());
    }
  }
  return built;
}

}  // namespace mosaic::test
