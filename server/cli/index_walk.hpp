#pragma once
// mosaic index, step 1: walking the collection folder. Lists the regular files to index, in a stable
// (sorted) order, and every entry it will not index with the reason; finds caption sidecars (NAME.txt
// beside a NAME.png/.wav/... whose bytes are media), which are read with their media file instead of
// being indexed on their own. Kinds are decided by bytes (media::detect_media_kind), never by name.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "media/media_kind.hpp"

namespace mosaic::server {

struct skipped_file {
  std::string path;  // relative to the collection folder (lossily UTF-8 in the JSON report)
  std::string reason;
};

struct collection_file {
  std::filesystem::path path;                  // as found on disk
  std::string relative;                        // generic, relative to the folder, valid UTF-8
  std::uintmax_t size = 0;
  media::media_kind kind = media::media_kind::unknown;  // from the first bytes; text is checked again in full
  std::optional<std::filesystem::path> caption_file;    // the NAME.txt sidecar of a media file
  // From `--captions FILE.jsonl` (cli/caption_list.hpp): takes precedence over a sidecar.
  std::optional<std::string> listed_caption;
  std::string listed_title;  // empty: the caption is the title
  std::string listed_description;  // empty: the caption is the snippet
};

struct collection_walk {
  std::vector<collection_file> files;
  std::vector<skipped_file> skipped;
  std::size_t caption_files = 0;  // sidecars, read with their media and not indexed on their own
};

// Bytes read to tell the kind before a file is read whole.
inline constexpr std::size_t detection_probe_bytes = 64 * 1024;

// `site` is skipped if it lies inside `folder` (an index inside its own collection). Directory
// symlinks are not followed (no loops); unreadable folders and non-regular files are skipped with a
// reason, not fatal. Fails only when the folder itself cannot be walked.
result<collection_walk> walk_collection(const std::filesystem::path& folder, const std::filesystem::path& site);

}  // namespace mosaic::server
