#include "site/site_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <set>
#include <string>
#include <unordered_map>

#include "hash/sha256.hpp"
#include "hash/xxhash64.hpp"
#include "index/shard_codec.hpp"
#include "keywords/item_reference.hpp"
#include "keywords/keyword_directory.hpp"
#include "keywords/keyword_index_builder.hpp"
#include "partition/kept_centroid_assignment.hpp"
#include "partition/kmeans.hpp"
#include "partition/partition_assignment.hpp"
#include "partition/partition_codec.hpp"
#include "partition/partition_count.hpp"
#include "site/site_reader.hpp"
#include "site/threaded_parallel_for.hpp"
#include "vector/quantize.hpp"

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

// Writes a content-addressed file unless it is already there with these bytes (same name means same
// content). A file of that name with other bytes is not what this writer left (a copy cut short by a
// full disk, or damaged since): it is replaced, or the new manifest would name a file that fails its hash.
result<index::content_file> write_content_file(const fs::path& site_directory, std::span<const std::uint8_t> bytes,
                                               const std::function<std::string(std::string_view)>& path_for) {
  index::content_file file;
  file.hash = hash::sha256_hex(bytes);
  file.path = path_for(file.hash);
  file.bytes = bytes.size();
  const fs::path target = site_directory / file.path;
  std::error_code failure;
  const auto existing_size = fs::file_size(target, failure);
  bool in_place = !failure && existing_size == bytes.size();
  if (in_place) {
    auto existing = read_whole_file(target);
    in_place = existing && std::equal(existing->begin(), existing->end(), bytes.begin(), bytes.end());
  }
  if (!in_place) {
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
  const auto collect = [&](const index::content_file& metadata, std::uint64_t item_count) {
    auto text = read_whole_file(site_directory / metadata.path);
    if (!text) return;
    auto items = index::parse_item_metadata(
        std::string_view(reinterpret_cast<const char*>(text->data()), text->size()), item_count);
    if (!items) return;
    for (const index::item_metadata& item : items.value()) {
      if (!item.thumbnail.empty()) named.insert(item.thumbnail);
      if (!item.media.empty()) named.insert(item.media);
    }
  };
  for (const index::manifest_shard& shard : manifest.shards) collect(shard.metadata, shard.item_count);
  for (const index::manifest_partition& partition : manifest.partitions) collect(partition.metadata, partition.item_count);
}

// The vector files and item metadata a generation names (its shards, or its centroid table and partitions).
void collect_vector_files(const index::manifest& manifest, std::set<std::string>& named) {
  for (const index::manifest_shard& shard : manifest.shards) {
    named.insert(shard.vectors.path);
    named.insert(shard.metadata.path);
  }
  if (manifest.centroids) named.insert(manifest.centroids->path);
  for (const index::manifest_partition& partition : manifest.partitions) {
    named.insert(partition.vectors.path);
    named.insert(partition.metadata.path);
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

// Adds the files of every replaced generation still within its grace period to `named`, and removes
// the records of those past it (their files go with the rest of the clean-up). Returns how many are kept.
std::size_t keep_retired_generations(const fs::path& site_directory, std::chrono::seconds grace, std::set<std::string>& named) {
  std::size_t kept = 0;
  std::error_code failure;
  const fs::path folder = site_directory / retired_generations_folder;
  const auto now = fs::file_time_type::clock::now();
  for (const auto& entry : fs::directory_iterator(folder, failure)) {
    std::error_code entry_failure;
    const auto replaced_at = fs::last_write_time(entry.path(), entry_failure);
    const bool within_grace = !entry_failure && entry.is_regular_file(entry_failure) &&
                              entry.path().extension() == ".json" && now - replaced_at < grace;
    auto bytes = within_grace ? read_whole_file(entry.path()) : result<std::vector<std::uint8_t>>(make_error(error_code::io_error, ""));
    auto retired = bytes ? index::parse_manifest(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()))
                         : result<index::manifest>(std::move(bytes).failure());
    if (!retired) {
      // Past its grace, or not a manifest this writer left: nothing to keep for it.
      fs::remove(entry.path(), entry_failure);
      continue;
    }
    collect_vector_files(retired.value(), named);
    collect_thumbnails(site_directory, retired.value(), named);
    collect_keyword_files(site_directory, retired.value(), named);
    ++kept;
  }
  return kept;
}

// Postings for every item with words, by item reference (vector file ordinal, row: where the
// manifest's shards or partitions hold it); none (no keyword index) when no item has a word.
result<std::optional<index::content_file>> write_keyword_index(const fs::path& site_directory, std::span<const indexed_item> items,
                                                std::span<const keywords::item_reference> references,
                                                std::set<std::string>& written) {
  std::vector<keywords::keyword_document> documents;
  documents.reserve(items.size());
  for (std::size_t position = 0; position < items.size(); ++position) {
    const indexed_item& item = items[position];
    if (item.keyword_title.empty() && item.keyword_body.empty()) continue;
    documents.push_back({references[position], item.keyword_title, item.keyword_body});
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


using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// A row's identity for "unchanged since the previous generation": its int8 codes and scale, hashed
// (XXH64, seeded with the scale's bits). A collision could only keep a changed row in its old
// partition, which costs a little recall and nothing else.
std::uint64_t row_digest(std::span<const std::int8_t> codes, float scale) {
  return hash::xxhash64({reinterpret_cast<const std::uint8_t*>(codes.data()), codes.size()},
                        std::bit_cast<std::uint32_t>(scale));
}

// The previous generation's centroid table when this one can keep it, with the partition each of its
// unchanged rows was in; nullopt (and `note` saying why) when it cannot.
struct kept_centroids {
  index::content_file file;
  std::vector<std::uint8_t> bytes;
  index::shard_view view;  // views bytes
  std::unordered_map<std::uint64_t, std::pair<std::uint32_t, std::uint64_t>> previous_rows;  // id: partition, digest
};

std::optional<kept_centroids> read_kept_centroids(const fs::path& site_directory, const index::manifest& previous,
                                                  const site_layout& layout, std::string& note) {
  if (previous.layout != index::index_layout::partitioned || !previous.centroids) return std::nullopt;
  if (previous.model_id != layout.model_id || previous.dimensions != layout.dimensions) {
    note = "the previous generation has another model or dimensions";
    return std::nullopt;
  }
  kept_centroids kept;
  kept.file = *previous.centroids;
  auto bytes = read_whole_file(site_directory / kept.file.path);
  if (!bytes) {
    note = "the previous centroid table cannot be read (" + bytes.failure().message + ")";
    return std::nullopt;
  }
  kept.bytes = std::move(bytes).value();
  auto view = index::decode_shard(kept.bytes);
  if (!view || hash::sha256_hex(kept.bytes) != kept.file.hash || view->kind != index::quantization::i8 ||
      view->dimensions != layout.dimensions || view->item_count != previous.partitions.size()) {
    note = "the previous centroid table is damaged" + (view ? std::string() : " (" + view.failure().message + ")");
    return std::nullopt;
  }
  kept.view = view.value();
  // The rows each previous partition holds. A partition that cannot be read keeps none: its rows are
  // placed again like new ones, and the file is written anew.
  for (std::uint32_t position = 0; position < previous.partitions.size(); ++position) {
    auto partition_bytes = read_whole_file(site_directory / previous.partitions[position].vectors.path);
    if (!partition_bytes) continue;
    auto partition = partition::decode_partition(partition_bytes.value());
    if (!partition || !partition::check_partition_against_manifest(partition.value(), position, layout.dimensions,
                                                                   previous.partitions[position].item_count)) {
      continue;
    }
    for (std::size_t row = 0; row < partition->item_count; ++row) {
      const partition::partition_row stored = partition->row(row);
      kept.previous_rows.insert_or_assign(partition->item_id(row),
                                          std::pair{position, row_digest(stored.codes, stored.scale)});
    }
  }
  return kept;
}

// The partitioned layout: every row quantized once; centroids trained (or kept), rows assigned under
// the cap, the centroid table and one partition file with its item metadata per centroid (rows in
// item order), then the manifest's entries in centroid order. `references` gets each item's keyword
// item reference (partition, row).
status write_partitions(const fs::path& site_directory, const site_layout& layout, std::span<const indexed_item> items,
                        std::span<const index::item_metadata> metadata, const index::manifest* previous,
                        index::manifest& manifest, std::vector<keywords::item_reference>& references,
                        partitioning_report& report) {
  const std::uint32_t dimensions = layout.dimensions;
  const std::size_t row_count = items.size();
  const partition::parallel_for_hook parallel_for = threaded_parallel_for(layout.threads);
  const auto assignment_start = clock_type::now();
  partition::quantized_rows rows;
  rows.dimensions = dimensions;
  rows.codes.resize(row_count * dimensions);
  rows.scales.resize(row_count);
  for (std::size_t row = 0; row < row_count; ++row) {
    auto scale = vector::quantize_i8(items[row].vector, std::span<std::int8_t>(rows.codes).subspan(row * dimensions, dimensions));
    if (!scale) return make_error(scale.failure().code, "item " + items[row].metadata.source + ": " + scale.failure().message);
    rows.scales[row] = scale.value();
  }

  std::optional<kept_centroids> kept;
  if (previous != nullptr && !layout.recluster) kept = read_kept_centroids(site_directory, *previous, layout, report.centroid_note);
  partition::quantized_rows table;  // the centroid table as stored
  table.dimensions = dimensions;
  std::vector<std::uint8_t> table_bytes;
  partition::partition_assignment assignment;
  if (kept) {
    report.kept_centroids = true;
    table.codes.assign(kept->view.vectors_i8.begin(), kept->view.vectors_i8.end());
    table.scales.assign(kept->view.scales.begin(), kept->view.scales.end());
    std::vector<std::uint32_t> kept_partition(row_count, partition::no_kept_partition);
    for (std::size_t row = 0; row < row_count; ++row) {
      const auto found = kept->previous_rows.find(items[row].metadata.id);
      if (found == kept->previous_rows.end() || found->second.second != row_digest(rows.row(row), rows.scales[row])) continue;
      kept_partition[row] = found->second.first;
      kept->previous_rows.erase(found);  // an id listed twice keeps its place once
      ++report.kept_rows;
    }
    const std::size_t cap = partition::kept_centroids_partition_cap(row_count, table.row_count());
    auto assigned = partition::assign_with_kept_centroids(rows, table, kept_partition, cap, parallel_for);
    if (!assigned) return std::move(assigned).failure();
    assignment = std::move(assigned).value();
    manifest.centroids = kept->file;  // the same file, already in place
  } else {
    const std::size_t partition_count = partition::partition_count_for_rows(row_count);
    const auto training_start = clock_type::now();
    partition::kmeans_options options;
    options.partition_count = partition_count;
    options.parallel_for = parallel_for;
    auto trained = partition::train_kmeans(rows, options);
    if (!trained) return std::move(trained).failure();
    report.kmeans_seconds = seconds_since(training_start);
    report.kmeans_iterations = trained->iterations;
    std::vector<std::uint64_t> centroid_ids(partition_count);
    for (std::size_t position = 0; position < partition_count; ++position) centroid_ids[position] = position;
    auto encoded = index::encode_shard_from_f32(dimensions, index::quantization::i8, trained->centroids, centroid_ids);
    if (!encoded) return std::move(encoded).failure();
    table_bytes = std::move(encoded).value();
    auto view = index::decode_shard(table_bytes);
    if (!view) return std::move(view).failure();
    table.codes.assign(view->vectors_i8.begin(), view->vectors_i8.end());
    table.scales.assign(view->scales.begin(), view->scales.end());
    auto assigned = partition::assign_partitions(rows, trained->centroids,
                                                 partition::default_partition_cap(row_count, partition_count), parallel_for);
    if (!assigned) return std::move(assigned).failure();
    assignment = std::move(assigned).value();
    auto file = write_content_file(site_directory, table_bytes, &index::centroid_table_path_for);
    if (!file) return std::move(file).failure();
    manifest.centroids = std::move(file).value();
  }
  report.assignment_seconds = seconds_since(assignment_start) - report.kmeans_seconds;
  const std::size_t partition_count = table.row_count();

  const auto writing_start = clock_type::now();
  std::set<std::string> previous_partitions;
  if (previous != nullptr) {
    for (const index::manifest_partition& partition : previous->partitions) previous_partitions.insert(partition.vectors.path);
  }
  std::vector<std::vector<std::size_t>> members(partition_count);
  for (std::size_t row = 0; row < row_count; ++row) members[assignment.partition_of_row[row]].push_back(row);
  references.assign(row_count, 0);
  std::vector<float> centre(dimensions);
  for (std::uint32_t position = 0; position < partition_count; ++position) {
    const std::vector<std::size_t>& rows_here = members[position];
    std::vector<std::int8_t> codes;
    std::vector<float> scales;
    std::vector<std::uint64_t> ids;
    std::vector<index::item_metadata> partition_metadata;
    codes.reserve(rows_here.size() * dimensions);
    for (std::size_t index = 0; index < rows_here.size(); ++index) {
      const std::size_t row = rows_here[index];
      const auto row_codes = rows.row(row);
      codes.insert(codes.end(), row_codes.begin(), row_codes.end());
      scales.push_back(rows.scales[row]);
      ids.push_back(items[row].metadata.id);
      partition_metadata.push_back(metadata[row]);
      references[row] = keywords::make_item_reference(position, static_cast<std::uint32_t>(index));
    }
    // The centre is the centroid as the table stores it, so a later generation that keeps the table
    // (and has only the table) writes an unchanged partition byte for byte.
    const auto table_row = table.row(position);
    for (std::size_t component = 0; component < dimensions; ++component) {
      centre[component] = static_cast<float>(table_row[component]) * table.scales[position];
    }
    partition::partition_contents contents;
    contents.dimensions = dimensions;
    contents.partition = position;
    contents.centre = centre;
    contents.codes = codes;
    contents.scales = scales;
    contents.item_ids = ids;
    auto encoded = partition::encode_partition(contents);
    if (!encoded) return std::move(encoded).failure();
    auto partition_layout = partition::compute_partition_layout(dimensions, rows_here.size());
    if (!partition_layout) return std::move(partition_layout).failure();
    auto metadata_text = index::serialize_item_metadata(partition_metadata);
    if (!metadata_text) return std::move(metadata_text).failure();
    index::manifest_partition entry;
    entry.item_count = rows_here.size();
    entry.head_bytes = partition_layout->rows_offset;
    auto vectors_file = write_content_file(site_directory, encoded.value(), &index::partition_path_for);
    if (!vectors_file) return std::move(vectors_file).failure();
    entry.vectors = std::move(vectors_file).value();
    auto metadata_file = write_content_file(site_directory, as_bytes(metadata_text.value()), &index::metadata_path_for);
    if (!metadata_file) return std::move(metadata_file).failure();
    entry.metadata = std::move(metadata_file).value();
    if (!previous_partitions.contains(entry.vectors.path)) ++report.new_partition_files;
    report.largest_partition = std::max(report.largest_partition, rows_here.size());
    manifest.partitions.push_back(std::move(entry));
  }
  report.writing_seconds = seconds_since(writing_start);
  report.partitions = partition_count;
  report.rows_outside_nearest = assignment.moved_rows;
  const double mean = static_cast<double>(row_count) / static_cast<double>(partition_count);
  report.imbalance = mean > 0 ? static_cast<double>(report.largest_partition) / mean : 0.0;
  // Kept centroids also fall behind a collection that grew: past four times the rows they were
  // trained for, the partition count is under half of ceil(sqrt(rows)) and every probe reads more.
  report.unbalanced = report.imbalance > partition::unbalanced_partition_factor ||
                      partition_count * 2 < partition::partition_count_for_rows(row_count);
  manifest.layout = index::index_layout::partitioned;
  return success{};
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
                                   std::span<const indexed_item> items, site_write_report* report) {
  index::manifest manifest;
  manifest.model_id = layout.model_id;
  manifest.dimensions = layout.dimensions;
  manifest.full_dimensions = layout.full_dimensions;
  manifest.vector_quantization = layout.vector_quantization;
  const bool partitioned = layout.vector_layout == index::index_layout::partitioned && !items.empty();
  if (partitioned && layout.vector_quantization != index::quantization::i8) {
    return make_error(error_code::invalid_argument, "the partitioned layout stores int8 vectors (not float32)");
  }
  // The new generation follows the one on disk, so clients can tell a rebuilt index from theirs.
  // Only the previous manifest is read: its generation and the files it names (no shard is loaded;
  // a partitioned generation's centroid table and partitions are read when this one keeps its centroids).
  std::set<std::string> previous_files;
  auto previous_bytes = read_whole_file(site_directory / "manifest.json");
  auto previous = previous_bytes ? index::parse_manifest(std::string_view(
                                       reinterpret_cast<const char*>(previous_bytes->data()), previous_bytes->size()))
                                 : result<index::manifest>(std::move(previous_bytes).failure());
  if (previous.ok()) {
    manifest.generation = previous->generation + 1;
    collect_vector_files(previous.value(), previous_files);
    collect_thumbnails(site_directory, previous.value(), previous_files);
    collect_keyword_files(site_directory, previous.value(), previous_files);
  } else {
    manifest.generation = 1;
  }

  // Every item's metadata, with its thumbnail and media copy written and named.
  std::set<std::string> new_thumbnails;  // and media copies and keyword files
  std::vector<index::item_metadata> metadata;
  metadata.reserve(items.size());
  for (const indexed_item& item : items) {
    if (item.vector.size() != layout.dimensions) {
      return make_error(error_code::dimension_mismatch, "item " + item.metadata.source + " has " +
                                                            std::to_string(item.vector.size()) + " dimensions, not " +
                                                            std::to_string(layout.dimensions));
    }
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

  std::vector<keywords::item_reference> references(items.size());
  if (partitioned) {
    partitioning_report partitioning;
    if (auto written = write_partitions(site_directory, layout, items, metadata, previous.ok() ? &previous.value() : nullptr,
                                        manifest, references, partitioning);
        !written) {
      return std::move(written).failure();
    }
    if (report != nullptr) report->partitioning = std::move(partitioning);
  } else {
    const std::size_t per_shard = std::max<std::size_t>(1, layout.items_per_shard);
    for (std::size_t first = 0; first < items.size(); first += per_shard) {
      const std::size_t count = std::min(per_shard, items.size() - first);
      std::vector<float> vectors;
      std::vector<std::uint64_t> ids;
      vectors.reserve(count * layout.dimensions);
      for (std::size_t position = first; position < first + count; ++position) {
        vectors.insert(vectors.end(), items[position].vector.begin(), items[position].vector.end());
        ids.push_back(items[position].metadata.id);
        references[position] = keywords::make_item_reference(static_cast<std::uint32_t>(first / per_shard),
                                                             static_cast<std::uint32_t>(position - first));
      }
      auto shard_bytes = index::encode_shard_from_f32(layout.dimensions, layout.vector_quantization, vectors, ids);
      if (!shard_bytes) return std::move(shard_bytes).failure();
      auto metadata_text = index::serialize_item_metadata(std::span(metadata).subspan(first, count));
      if (!metadata_text) return std::move(metadata_text).failure();
      index::manifest_shard shard;
      shard.item_count = count;
      auto vectors_file = write_content_file(site_directory, shard_bytes.value(), &index::shard_path_for);
      if (!vectors_file) return std::move(vectors_file).failure();
      shard.vectors = std::move(vectors_file).value();
      auto metadata_file = write_content_file(site_directory, as_bytes(metadata_text.value()), &index::metadata_path_for);
      if (!metadata_file) return std::move(metadata_file).failure();
      shard.metadata = std::move(metadata_file).value();
      manifest.shards.push_back(std::move(shard));
    }
  }

  if (layout.keyword_index) {
    auto directory = write_keyword_index(site_directory, items, references, new_thumbnails);
    if (!directory) return std::move(directory).failure();
    manifest.keywords = std::move(directory).value();  // none when no item has a word
  }

  auto manifest_text = index::serialize_manifest(manifest);
  if (!manifest_text) return std::move(manifest_text).failure();
  if (layout.keep_unchanged_generation && previous.ok()) {
    // Compared as the serializer writes both, with the same number, so only the content decides.
    index::manifest renumbered = manifest;
    renumbered.generation = previous->generation;
    auto renumbered_text = index::serialize_manifest(renumbered);
    auto previous_text = index::serialize_manifest(previous.value());
    if (renumbered_text && previous_text && renumbered_text.value() == previous_text.value()) {
      if (report != nullptr) report->unchanged = true;
      return std::move(previous).value();
    }
  }
  // The generation being replaced waits out its grace period under generations/ (written before the
  // new manifest, so its files are never unnamed while a reader may still want them).
  if (layout.retired_generation_grace.count() > 0 && previous.ok() && previous_bytes) {
    const fs::path retired = site_directory / retired_generations_folder /
                             (std::to_string(previous->generation) + ".json");
    if (auto written = write_file_atomically(retired, previous_bytes.value()); !written) {
      return std::move(written).failure();
    }
  }
  if (auto written = write_file_atomically(site_directory / "manifest.json", as_bytes(manifest_text.value())); !written) {
    return std::move(written).failure();
  }

  // Only now, with the new manifest in place, remove files neither it nor the previous generation
  // names: a client that fetched the previous manifest a moment ago can still download its files.
  std::set<std::string> named = previous_files;
  collect_vector_files(manifest, named);
  named.insert(new_thumbnails.begin(), new_thumbnails.end());
  const std::size_t kept = keep_retired_generations(site_directory, layout.retired_generation_grace, named);
  if (report != nullptr) report->retired_generations_kept = kept;
  // A run killed while writing its manifest left .manifest.json.tmpPID beside it.
  {
    std::error_code failure;
    for (const auto& entry : fs::directory_iterator(site_directory, failure)) {
      const std::string name = entry.path().filename().string();
      if (name.starts_with(".manifest.json.tmp") && entry.is_regular_file()) fs::remove(entry.path(), failure);
    }
  }
  for (const char* folder : {"shards", "centroids", "partitions", "items", "thumbnails", "media", "keywords", "terms"}) {
    std::error_code failure;
    for (const auto& entry : fs::directory_iterator(site_directory / folder, failure)) {
      const std::string relative = std::string(folder) + "/" + entry.path().filename().string();
      if (entry.is_regular_file() && !named.contains(relative)) fs::remove(entry.path(), failure);
    }
  }
  return manifest;
}

}  // namespace mosaic::server
