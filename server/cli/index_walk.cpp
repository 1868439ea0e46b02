#include "cli/index_walk.hpp"

#include <algorithm>
#include <fstream>
#include <map>

#include "cli/editor_temporary_files.hpp"
#include "text/utf8.hpp"

namespace mosaic::server {
namespace {

namespace fs = std::filesystem;

std::vector<std::uint8_t> read_prefix(const fs::path& path, std::size_t limit) {
  std::ifstream stream(path, std::ios::binary);
  std::vector<std::uint8_t> bytes(limit);
  stream.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(limit));
  bytes.resize(static_cast<std::size_t>(std::max<std::streamsize>(0, stream.gcount())));
  return bytes;
}

bool is_media(media::media_kind kind) {
  return kind == media::media_kind::image || kind == media::media_kind::audio || kind == media::media_kind::video ||
         kind == media::media_kind::pdf;
}

// "photos/cat" for "photos/cat.png" and "photos/cat.txt": how a sidecar finds its media file.
std::string without_extension(const std::string& relative) {
  const fs::path path(relative);
  return (path.parent_path() / path.stem()).generic_string();
}

}  // namespace

result<collection_walk> walk_collection(const fs::path& folder, const fs::path& site) {
  collection_walk walk;
  std::error_code failure;
  const fs::path site_absolute = fs::weakly_canonical(site, failure);
  failure.clear();
  fs::recursive_directory_iterator walker(folder, fs::directory_options::skip_permission_denied, failure);
  if (failure) return make_error(error_code::io_error, "cannot walk " + folder.string() + ": " + failure.message());
  for (; !failure && walker != fs::recursive_directory_iterator(); walker.increment(failure)) {
    const fs::directory_entry& entry = *walker;
    const std::string relative = fs::relative(entry.path(), folder, failure).generic_string();
    failure.clear();
    std::error_code entry_failure;
    if (entry.is_directory(entry_failure)) {
      if (entry.is_symlink(entry_failure)) {
        walk.skipped.push_back({relative, "a symbolic link to a folder (not followed, so no loops)"});
      } else if (fs::weakly_canonical(entry.path(), entry_failure) == site_absolute) {
        walker.disable_recursion_pending();
      }
      continue;
    }
    if (!entry.is_regular_file(entry_failure)) {
      walk.skipped.push_back({relative, entry_failure ? "cannot read: " + entry_failure.message() : "not a regular file"});
      continue;
    }
    if (is_editor_temporary_file(entry.path().filename().string())) {
      walk.skipped.push_back({relative, "an editor's or downloader's temporary file (the finished file is indexed under its own name)"});
      continue;
    }
    if (!text::is_valid_utf8(std::string_view(relative))) {
      walk.skipped.push_back({relative, "the file name is not valid UTF-8 (an index stores names as UTF-8)"});
      continue;
    }
    collection_file file;
    file.path = entry.path();
    file.relative = relative;
    file.size = entry.file_size(entry_failure);
    if (entry_failure) {
      walk.skipped.push_back({relative, "cannot read: " + entry_failure.message()});
      continue;
    }
    if (file.size == 0) {
      walk.skipped.push_back({relative, "no text or media: the file is empty (0 bytes)"});
      continue;
    }
    file.kind = media::detect_media_kind(read_prefix(file.path, detection_probe_bytes)).kind;
    walk.files.push_back(std::move(file));
  }
  if (failure) return make_error(error_code::io_error, "cannot walk " + folder.string() + ": " + failure.message());

  std::sort(walk.files.begin(), walk.files.end(),
            [](const collection_file& left, const collection_file& right) { return left.relative < right.relative; });
  // Sidecars: a text file named NAME.txt beside a media file NAME.* is that file's caption.
  std::map<std::string, std::size_t> media_by_stem;
  for (std::size_t position = 0; position < walk.files.size(); ++position) {
    if (is_media(walk.files[position].kind)) media_by_stem.emplace(without_extension(walk.files[position].relative), position);
  }
  std::vector<bool> is_sidecar(walk.files.size(), false);
  for (std::size_t position = 0; position < walk.files.size(); ++position) {
    const collection_file& file = walk.files[position];
    if (file.kind != media::media_kind::text || fs::path(file.relative).extension() != ".txt") continue;
    const auto owner = media_by_stem.find(without_extension(file.relative));
    if (owner == media_by_stem.end()) continue;
    walk.files[owner->second].caption_file = file.path;
    is_sidecar[position] = true;
    ++walk.caption_files;
  }
  std::vector<collection_file> kept;
  kept.reserve(walk.files.size());
  for (std::size_t position = 0; position < walk.files.size(); ++position) {
    if (!is_sidecar[position]) kept.push_back(std::move(walk.files[position]));
  }
  walk.files = std::move(kept);
  return walk;
}

}  // namespace mosaic::server
