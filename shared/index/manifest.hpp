#pragma once
// manifest.json: the one uncached file of an index. It names the format version, the model and its
// dimensions, the quantization and metric, and every shard by content hash, with a generation number
// that grows with each rebuild so clients can tell a new index from the one they hold.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "index/shard_header.hpp"

namespace mosaic::index {

// The newest version this reader understands and the version a writer uses for a manifest with version
// 2 fields (docs/format.md); a manifest without them is written as version 1, which older readers read.
inline constexpr std::uint32_t manifest_format_version = 2;
inline constexpr std::string_view manifest_format_name = "mosaic-index";

struct content_file {
  std::string hash;        // lower-case hex SHA-256 of the file's bytes (64 characters)
  std::string path;        // relative to the manifest: "shards/<hash>.bin" or "items/<hash>.json"
  std::uint64_t bytes = 0;
};

struct manifest_shard {
  content_file vectors;        // the binary shard
  content_file metadata;       // its item metadata (item_metadata.hpp)
  std::uint64_t item_count = 0;
};

// How the vectors of a site are stored (docs/format.md): flat, every shard searched exactly; or
// partitioned, clustered into partitions of which a query fetches and searches a few, approximately.
enum class index_layout : std::uint8_t { flat, partitioned };
[[nodiscard]] std::string_view index_layout_name(index_layout layout) noexcept;  // "flat", "partitioned"

struct manifest_partition {
  content_file vectors;        // "partitions/<hash>.bin"
  content_file metadata;       // its item metadata, one entry per row
  std::uint64_t item_count = 0;
  std::uint64_t head_bytes = 0;  // the partition's rows_offset: bytes [0, head_bytes) hold codes and ids
};

// A manifest can name at most this many partitions (what a client holds before its first query is
// bounded whatever the number of items).
inline constexpr std::size_t max_manifest_partitions = 65536;

struct manifest {
  std::uint32_t format_version = manifest_format_version;
  std::uint64_t generation = 0;
  std::string model_id;              // e.g. "use-lite-512@energetic-ai-0.2.0"
  std::uint32_t dimensions = 0;      // stored (after Matryoshka truncation)
  std::uint32_t full_dimensions = 0; // what the model produces
  quantization vector_quantization = quantization::i8;
  std::vector<manifest_shard> shards;
  // Version 2: the keyword index's directory ("keywords/<hash>.bin"), when the site has one.
  std::optional<content_file> keywords;
  // Version 2, partitioned layout: `shards` is empty; `centroids` is an int8 shard file
  // ("centroids/<hash>.bin") with one row per partition, and partitions[p] is the partition of row p.
  index_layout layout = index_layout::flat;
  std::optional<content_file> centroids;
  std::vector<manifest_partition> partitions;

  // The number of vector files: shards (flat) or partitions (partitioned).
  [[nodiscard]] std::size_t vector_file_count() const noexcept {
    return layout == index_layout::partitioned ? partitions.size() : shards.size();
  }

  [[nodiscard]] std::uint64_t item_count() const noexcept;
};

// Strict: unknown format or a newer version, a missing or mistyped field, a shard path that is not the
// canonical "shards/<hash>.bin", a byte size that disagrees with the v1 layout — each is a specific
// error naming the field. Unknown extra fields are ignored (additions within version 1).
result<manifest> parse_manifest(std::string_view json_text);
// Deterministic output (sorted keys, two-space indent), so equal manifests are equal bytes.
result<std::string> serialize_manifest(const manifest& value);

// Paths inside an index must stay inside it: relative, '/'-separated, no "." or ".." segments, no
// backslashes, no empty segments, no control characters.
bool is_safe_relative_path(std::string_view path) noexcept;
bool is_sha256_hex(std::string_view text) noexcept;
std::string shard_path_for(std::string_view hash);     // "shards/<hash>.bin"
std::string metadata_path_for(std::string_view hash);  // "items/<hash>.json"
std::string keyword_directory_path_for(std::string_view hash);  // "keywords/<hash>.bin"
std::string term_file_path_for(std::string_view hash);          // "terms/<hash>.bin"
std::string centroid_table_path_for(std::string_view hash);     // "centroids/<hash>.bin"
std::string partition_path_for(std::string_view hash);          // "partitions/<hash>.bin"

}  // namespace mosaic::index
