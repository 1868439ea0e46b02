#include "site/site_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <set>
#include <string>

#include "hash/sha256.hpp"
#include "index/shard_codec.hpp"
#include "keywords/keyword_directory.hpp"
#include "keywords/keyword_index_builder.hpp"
#include "site/site_reader.hpp"

namespace mosaic::server {
namespace {

namespace fs = std::filesystem;

error io_error(const fs::path& path, const std::string& what) {
  return make_error(error_code::io_error, what + " " + path.string());
}

// The same with the system's reason (errno): "No space left on device" tells a user what to do.
error io_error_with_cause(const fs::path& path, const std::string& what) {
  return make_error(error_code::io_error, what + " " + path.string() + " (" + std::strerror(errno) + ")");
}

std::span<const std::uint8_t> as_bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// Writes a content-addressed file unless it already exists (same name means same content). A file of
// that name with another size is not what this writer left (a copy cut short by a full disk, say):
// it is replaced, or the new manifest would name a file that fails its hash.
result<index::content_file> write_content_file(const fs::path& site_directory, std::span<const std::uint8_t> bytes,
                                               const std::function<std::string(std::string_view)>& path_for) {
  index::content_file file;
  file.hash = hash::sha256_hex(bytes);
  file.path = path_for(file.hash);
  file.bytes = bytes.size();
  const fs::path target = site_directory / file.path;
  std::error_code failure;
  const auto existing_size = fs::file_size(target, failure);
  if (failure || existing_size != bytes.size()) {
    if (auto written = write_file_atomically(target, bytes); !written) return std::move(written).failure();
  }
  return file;
}

std::string thumbnail_path_for(std::string_view hash) { return "thumbnails/" + std::string(hash) + ".jpg"; }

// Media copies are named by content and by type (media/<sha256>.mp3), so the server answers them with
// the right MIME type; the extension comes from the indexer, never from a collection file's name.
bool is_plain_extension(const std::string& extension) {
  return !extension.empty() && extension.size() <= 8 && std::all_of(extension.begin(), extension.end(), [](char character) {
    return (character >= 'a' && character <= 'z') || (character >= '0' && character <= '9');
  });
}

// The thumbnails and media copies a generation's item metadata names (for the clean-up: the previous
// generation's are kept one more generation, like its shards).
void collect_thumbnails(const fs::path& site_directory, const index::manifest& manifest, std::set<std::string>& named) {
  for (const index::manifest_shard& shard : manifest.shards) {
    auto text = read_whole_file(site_directory / shard.metadata.path);
    if (!text) continue;
    auto items = index::parse_item_metadata(
        std::string_view(reinterpret_cast<const char*>(text->data()), text->size()), shard.item_count);
    if (!items) continue;
    for (const index::item_metadata& item : items.value()) {
      if (!item.thumbnail.empty()) named.insert(item.thumbnail);
      if (!item.media.empty()) named.insert(item.media);
    }
  }
}

// The keyword files a generation names: its directory and every term file the directory lists.
void collect_keyword_files(const fs::path& site_directory, const index::manifest& manifest, std::set<std::string>& named) {
  if (!manifest.keywords) return;
  named.insert(manifest.keywords->path);
  auto bytes = read_whole_file(site_directory / manifest.keywords->path);
  if (!bytes) return;
  auto directory = keywords::decode_keyword_directory(bytes.value());
  if (!directory) return;
  for (const keywords::term_file_entry& entry : directory->term_files) named.insert(index::term_file_path_for(entry.hash));
}

// Postings for every item with words, by (shard ordinal, row), as the manifest's shards hold them;
// none (no keyword index) when no item has a word.
result<std::optional<index::content_file>> write_keyword_index(const fs::path& site_directory, std::span<const indexed_item> items,
                                                std::size_t per_shard, std::set<std::string>& written) {
  std::vector<keywords::keyword_document> documents;
  documents.reserve(items.size());
  for (std::size_t position = 0; position < items.size(); ++position) {
    const indexed_item& item = items[position];
    if (item.keyword_title.empty() && item.keyword_body.empty()) continue;
    documents.push_back({keywords::make_item_reference(static_cast<std::uint32_t>(position / per_shard),
                                                       static_cast<std::uint32_t>(position % per_shard)),
                         item.keyword_title, item.keyword_body});
  }
  if (documents.empty()) return std::optional<index::content_file>();
  auto built = keywords::build_keyword_index(documents);
  if (!built) return std::move(built).failure();
  for (const keywords::built_keyword_file& term_file : built->term_files) {
    auto file = write_content_file(site_directory, term_file.bytes, &index::term_file_path_for);
    if (!file) return std::move(file).failure();
    written.insert(file->path);
  }
  // The directory last: it names the term files, which are in place by now.
  auto directory = write_content_file(site_directory, built->directory.bytes, &index::keyword_directory_path_for);
  if (!directory) return std::move(directory).failure();
  written.insert(directory->path);
  return std::optional<index::content_file>(std::move(directory).value());
}

}  // namespace

status write_file_atomically(const fs::path& path, std::span<const std::uint8_t> bytes) {
  std::error_code failure;
  fs::create_directories(path.parent_path(), failure);
  if (failure) return io_error(path.parent_path(), "cannot create folder (" + failure.message() + ")");
  const fs::path temporary = path.parent_path() / ("." + path.filename().string() + ".tmp" + std::to_string(getpid()));
  const int descriptor = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (descriptor < 0) return io_error_with_cause(temporary, "cannot create");
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t count = ::write(descriptor, bytes.data() + written, bytes.size() - written);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) {
      if (count == 0) errno = ENOSPC;  // a write that takes nothing: the disk is full
      const error cause = io_error_with_cause(temporary, "cannot write");
      ::close(descriptor);
      ::unlink(temporary.c_str());
      return cause;
    }
    written += static_cast<std::size_t>(count);
  }
  // Flushed before the rename, so a crash cannot leave the new name pointing at missing data.
  const bool flushed = ::fsync(descriptor) == 0;
  const int flush_errno = errno;
  const bool closed = ::close(descriptor) == 0;  // closed whatever fsync said: no descriptor leaks
  if (!flushed || !closed) {
    if (!flushed) errno = flush_errno;
    const error cause = io_error_with_cause(temporary, "cannot flush");
    ::unlink(temporary.c_str());
    return cause;
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const error cause = io_error_with_cause(path, "cannot rename into place");
    ::unlink(temporary.c_str());
    return cause;
  }
  return success{};
}

result<index::manifest> write_site(const fs::path& site_directory, const site_layout& layout,
                                   std::span<const indexed_item> items) {
  index::manifest manifest;
  manifest.model_id = layout.model_id;
  manifest.dimensions = layout.dimensions;
  manifest.full_dimensions = layout.full_dimensions;
  manifest.vector_quantization = layout.vector_quantization;
  // The new generation follows the one on disk, so clients can tell a rebuilt index from theirs.
  // Only the previous manifest is read: its generation and the files it names (no shard is loaded).
  std::set<std::string> previous_files;
  auto previous_bytes = read_whole_file(site_directory / "manifest.json");
  auto previous = previous_bytes ? index::parse_manifest(std::string_view(
                                       reinterpret_cast<const char*>(previous_bytes->data()), previous_bytes->size()))
                                 : result<index::manifest>(std::move(previous_bytes).failure());
  if (previous.ok()) {
    manifest.generation = previous->generation + 1;
    for (const index::manifest_shard& shard : previous->shards) {
      previous_files.insert(shard.vectors.path);
      previous_files.insert(shard.metadata.path);
    }
    collect_thumbnails(site_directory, previous.value(), previous_files);
    collect_keyword_files(site_directory, previous.value(), previous_files);
  } else {
    manifest.generation = 1;
  }

  std::set<std::string> new_thumbnails;  // and media copies and keyword files
  const std::size_t per_shard = std::max<std::size_t>(1, layout.items_per_shard);
  for (std::size_t first = 0; first < items.size(); first += per_shard) {
    const auto batch = items.subspan(first, std::min(per_shard, items.size() - first));
    std::vector<float> vectors;
    std::vector<std::uint64_t> ids;
    std::vector<index::item_metadata> metadata;
    vectors.reserve(batch.size() * layout.dimensions);
    for (const indexed_item& item : batch) {
      if (item.vector.size() != layout.dimensions) {
        return make_error(error_code::dimension_mismatch, "item " + item.metadata.source + " has " +
                                                              std::to_string(item.vector.size()) + " dimensions, not " +
                                                              std::to_string(layout.dimensions));
      }
      vectors.insert(vectors.end(), item.vector.begin(), item.vector.end());
      ids.push_back(item.metadata.id);
      metadata.push_back(item.metadata);
      if (!item.thumbnail_jpeg.empty()) {
        auto thumbnail = write_content_file(site_directory, item.thumbnail_jpeg, &thumbnail_path_for);
        if (!thumbnail) return std::move(thumbnail).failure();
        metadata.back().thumbnail = thumbnail->path;
        new_thumbnails.insert(thumbnail->path);
      }
      if (!item.media_bytes.empty()) {
        if (!is_plain_extension(item.media_extension)) {
          return make_error(error_code::invalid_argument, "media extension '" + item.media_extension + "' is not plain");
        }
        const std::string extension = item.media_extension;
        auto media = write_content_file(site_directory, item.media_bytes, [&](std::string_view hash) {
          return "media/" + std::string(hash) + "." + extension;
        });
        if (!media) return std::move(media).failure();
        metadata.back().media = media->path;
        new_thumbnails.insert(media->path);
      }
    }
    auto shard_bytes = index::encode_shard_from_f32(layout.dimensions, layout.vector_quantization, vectors, ids);
    if (!shard_bytes) return std::move(shard_bytes).failure();
    auto metadata_text = index::serialize_item_metadata(metadata);
    if (!metadata_text) return std::move(metadata_text).failure();
    index::manifest_shard shard;
    shard.item_count = batch.size();
    auto vectors_file = write_content_file(site_directory, shard_bytes.value(), &index::shard_path_for);
    if (!vectors_file) return std::move(vectors_file).failure();
    shard.vectors = std::move(vectors_file).value();
    auto metadata_file = write_content_file(site_directory, as_bytes(metadata_text.value()), &index::metadata_path_for);
    if (!metadata_file) return std::move(metadata_file).failure();
    shard.metadata = std::move(metadata_file).value();
    manifest.shards.push_back(std::move(shard));
  }

  if (layout.keyword_index) {
    auto directory = write_keyword_index(site_directory, items, per_shard, new_thumbnails);
    if (!directory) return std::move(directory).failure();
    manifest.keywords = std::move(directory).value();  // none when no item has a word
  }

  auto manifest_text = index::serialize_manifest(manifest);
  if (!manifest_text) return std::move(manifest_text).failure();
  if (auto written = write_file_atomically(site_directory / "manifest.json", as_bytes(manifest_text.value())); !written) {
    return std::move(written).failure();
  }

  // Only now, with the new manifest in place, remove files neither it nor the previous generation
  // names: a client that fetched the previous manifest a moment ago can still download its shards.
  std::set<std::string> named = previous_files;
  for (const index::manifest_shard& shard : manifest.shards) {
    named.insert(shard.vectors.path);
    named.insert(shard.metadata.path);
  }
  named.insert(new_thumbnails.begin(), new_thumbnails.end());
  // A run killed while writing its manifest left .manifest.json.tmpPID beside it.
  {
    std::error_code failure;
    for (const auto& entry : fs::directory_iterator(site_directory, failure)) {
      const std::string name = entry.path().filename().string();
      if (name.starts_with(".manifest.json.tmp") && entry.is_regular_file()) fs::remove(entry.path(), failure);
    }
  }
  for (const char* folder : {"shards", "items", "thumbnails", "media", "keywords", "terms"}) {
    std::error_code failure;
    for (const auto& entry : fs::directory_iterator(site_directory / folder, failure)) {
      const std::string relative = std::string(folder) + "/" + entry.path().filename().string();
      if (entry.is_regular_file() && !named.contains(relative)) fs::remove(entry.path(), failure);
    }
  }
  return manifest;
}

}  // namespace mosaic::server
