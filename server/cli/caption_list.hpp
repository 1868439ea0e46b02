#pragma once
// mosaic index --captions FILE.jsonl: captions for many media files in one file, instead of a NAME.txt
// sidecar beside each. One JSON object per line:
//   {"path": "animals/frog.png", "caption": "a green frog on a leaf", "title": "Frog",
//    "description": "A frog on a leaf."}
// `path` is relative to the collection folder ('/'-separated, no '.' or '..' parts), `caption` is the
// text (non-empty, at most 32 KiB, as a sidecar), `title` is optional (the item's title; else the
// caption is), `description` is optional (the item's snippet, what a result card shows; else the
// caption is): a caption written for the index (keywords, file name, category) need not be shown. Blank lines are allowed. The file is input from anyone, so it is read whole and checked
// before anything is indexed: any bad line (not JSON, not an object, a missing or wrong field, an
// unknown key, a repeated path, too long) makes the whole list an error that names every bad line by
// its number; the indexer then writes nothing.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "core/result.hpp"

namespace mosaic::server {

struct listed_caption {
  std::string caption;
  std::string title;     // empty: the caption is the title
  std::string description;  // empty: the caption is the snippet
  std::size_t line = 0;  // where it was given, for reports
};

struct caption_list {
  std::map<std::string, listed_caption> by_path;  // key: the collection-relative path
};

struct caption_list_limits {
  std::uintmax_t max_file_bytes = 256ull * 1024 * 1024;
  std::size_t max_line_bytes = 256 * 1024;
  std::size_t max_caption_bytes = 32 * 1024;  // the same limit as a NAME.txt sidecar
  std::size_t max_reported_lines = 20;        // bad lines named in the error (the count says how many in all)
};

// Reads and checks the whole list; the error (invalid_argument, or io_error when unreadable) names
// the file and each bad line ("line 7: ...").
result<caption_list> read_caption_list(const std::filesystem::path& file, const caption_list_limits& limits = {});

}  // namespace mosaic::server
