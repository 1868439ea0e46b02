#pragma once
// Writes an index site: content-addressed shard and item-metadata files, then manifest.json last, by
// rename. A run that dies half-way leaves the previous manifest, which only names files that still
// exist (content-addressed files are never overwritten with other content), so the old index keeps
// working.
#include <chrono>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "index/item_metadata.hpp"
#include "index/manifest.hpp"

namespace mosaic::server {

struct indexed_item {
  index::item_metadata metadata;
  std::vector<float> vector;  // unit length, the manifest's stored dimensions
  // A JPEG thumbnail (images): written content-addressed as thumbnails/<sha256>.jpg before the
  // manifest, and named in metadata.thumbnail. Empty: none (metadata.thumbnail is kept as given).
  std::vector<std::uint8_t> thumbnail_jpeg;
  // The playable/openable bytes (a WAV or MP3 segment, a whole MP4/MOV/PDF): written
  // content-addressed as media/<sha256>.<media_extension> and named in metadata.media, so the web
  // app can play or open them. Empty: none (metadata.media is kept as given).
  std::vector<std::uint8_t> media_bytes;
  std::string media_extension;  // "wav", "mp3", "mp4", "mov", "pdf": lower-case letters and digits
  // The keyword index's fields (NFKC-normalized text): the title and the body. Both empty: the item
  // has no words to find (it is found by its vector only).
  std::string keyword_title;
  std::string keyword_body;
};

struct site_layout {
  std::string model_id;
  std::uint32_t dimensions = 0;       // stored (after Matryoshka truncation)
  std::uint32_t full_dimensions = 0;  // what the model produces
  index::quantization vector_quantization = index::quantization::i8;
  std::size_t items_per_shard = 10000;
  // Write the keyword index (keywords/ and terms/, named in the manifest) beside the vectors.
  bool keyword_index = true;
  // How the vectors are stored (docs/format.md): flat shards of items_per_shard, or partitions
  // (int8 only) clustered by k-means. An empty collection is always written flat.
  index::index_layout vector_layout = index::index_layout::flat;
  // Partitioned: train new centroids even when the previous generation's centroid table could be kept
  // (same model and dimensions), which otherwise keeps every unchanged partition's file.
  bool recluster = false;
  // Threads that train k-means and assign rows (0: every core).
  unsigned threads = 0;
  // How long the files of a replaced generation stay downloadable, so a reader that fetched its
  // manifest just before the replacement can finish loading it. The replaced manifest is kept as
  // generations/<generation>.json (its modification time is when it was replaced) and every file it
  // names stays until it is older than this. Whatever the grace, the previous generation's files
  // stay until the next write (0: only that).
  std::chrono::seconds retired_generation_grace{0};
  // When the new generation would name exactly the files the current one names (a watched folder
  // saw a change that changed nothing, such as a file saved with the same bytes), keep the current
  // generation instead of writing an identical one with a new number; the report says so.
  bool keep_unchanged_generation = false;
};

// What a partitioned write did, for the CLI's report.
struct partitioning_report {
  std::size_t partitions = 0;
  bool kept_centroids = false;  // the previous generation's centroid table was reused
  std::string centroid_note;    // why a partitioned previous generation's centroids were not kept
  std::size_t kmeans_iterations = 0;
  double kmeans_seconds = 0.0;     // training; 0 with kept centroids
  double assignment_seconds = 0.0; // every row to its partition
  double writing_seconds = 0.0;    // encoding and writing partitions and their item metadata
  std::size_t kept_rows = 0;       // rows that stayed in their previous partition (kept centroids)
  std::size_t largest_partition = 0;
  double imbalance = 0.0;          // largest partition / mean partition
  std::size_t rows_outside_nearest = 0;  // placed elsewhere because their nearest partition was full
  std::size_t new_partition_files = 0;   // partitions whose file the previous generation did not name
  // imbalance above partition::unbalanced_partition_factor, or fewer than half the partitions a fresh
  // build would make (the collection grew past four times what the centroids were trained on): a
  // re-run with recluster would balance them.
  bool unbalanced = false;
};

struct site_write_report {
  std::optional<partitioning_report> partitioning;  // when the generation is partitioned
  // keep_unchanged_generation: nothing changed, the manifest returned is the one already in place.
  bool unchanged = false;
  std::size_t retired_generations_kept = 0;  // replaced generations still within their grace
};

// The folder under a site where replaced manifests wait out their grace period.
inline constexpr const char* retired_generations_folder = "generations";

// Writes `items` as a new generation of the site in `site_directory` (created if needed) and returns
// the manifest written. Files of earlier generations (shards, centroid tables, partitions, item metadata, keyword files, thumbnails, media) that neither
// the new manifest nor the previous one names are removed after the new manifest is in place.
result<index::manifest> write_site(const std::filesystem::path& site_directory, const site_layout& layout,
                                   std::span<const indexed_item> items, site_write_report* report = nullptr);

// Writes bytes to `path` atomically: a temporary file in the same folder, flushed, then renamed.
status write_file_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);

}  // namespace mosaic::server
