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

}  // namespace mosaic::index
