#include "search/loaded_index.hpp"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "hash/sha256.hpp"
#include "index/known_models.hpp"
#include "search/close_match.hpp"
#include "search/document_grouping.hpp"
#include "search/near_duplicates.hpp"
#include "search/prepared_query.hpp"
#include "keywords/keyword_analysis.hpp"
#include "partition/partition_codec.hpp"

namespace mosaic::search {
namespace {

// A label or tag the index does not have must match nothing, not everything: an id no row carries.
constexpr std::uint32_t absent_name_id = 0xFFFFFFFFu;

std::string_view as_text(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

constexpr std::uint32_t not_searched = 0xFFFFFFFFu;

// The files the manifest names at a vector-file position: a shard's (flat) or a partition's.
struct vector_file_entry {
  const index::content_file* vectors = nullptr;
  const index::content_file* metadata = nullptr;
  std::uint64_t item_count = 0;
};
std::optional<vector_file_entry> entry_at(const index::manifest& manifest, std::size_t position) {
  if (manifest.layout == index::index_layout::partitioned) {
    if (position >= manifest.partitions.size()) return std::nullopt;
    const index::manifest_partition& entry = manifest.partitions[position];
    return vector_file_entry{&entry.vectors, &entry.metadata, entry.item_count};
  }
  if (position >= manifest.shards.size()) return std::nullopt;
  const index::manifest_shard& entry = manifest.shards[position];
  return vector_file_entry{&entry.vectors, &entry.metadata, entry.item_count};
}

std::string vector_file_noun(const index::manifest& manifest) {
  return manifest.layout == index::index_layout::partitioned ? "partition" : "shard";
}

// A partition's rows re-laid as an int8 shard's blocks (ids, scales, codes: each naturally aligned),
// so that every search, filter and item lookup reads a partition as it reads a shard.
struct relaid_rows {
  std::vector<std::uint8_t> bytes;
  index::shard_view view;
};
relaid_rows relay_partition_rows(const partition::partition_view& partition) {
  const std::size_t count = partition.item_count;
  const std::size_t dimensions = partition.dimensions;
  relaid_rows relaid;
  relaid.bytes.resize(count * 8 + count * 4 + count * dimensions);
  std::uint8_t* ids = relaid.bytes.data();
  std::uint8_t* scales = ids + count * 8;
  std::uint8_t* codes = scales + count * 4;
  if (count > 0) std::memcpy(ids, partition.id_bytes.data(), count * 8);
  // A head has no rows yet: their scales and codes stay zero until add_partition_rows.
  for (std::size_t row = 0; partition.has_rows && row < count; ++row) {
    const partition::partition_row values = partition.row(row);
    std::memcpy(scales + row * 4, &values.scale, 4);
    std::memcpy(codes + row * dimensions, values.codes.data(), dimensions);
  }
  relaid.view.dimensions = partition.dimensions;
  relaid.view.item_count = count;
  relaid.view.kind = index::quantization::i8;
  relaid.view.id_bytes = {ids, count * 8};
  relaid.view.scales = {reinterpret_cast<const float*>(scales), count};
  relaid.view.vectors_i8 = {reinterpret_cast<const std::int8_t*>(codes), count * dimensions};
  return relaid;
}

// A shard's or a partition's two files against the manifest entry naming them. Hashes come before
// anything else: bytes that are not the files the manifest names are not looked at any further.
status check_content_hashes(const index::content_file& vectors, std::span<const std::uint8_t> vector_bytes,
                            const index::content_file& metadata, std::span<const std::uint8_t> metadata_bytes) {
  if (hash::sha256_hex(vector_bytes) != vectors.hash) {
    return make_error(error_code::checksum_mismatch, vectors.path + " does not match its content hash");
  }
  if (hash::sha256_hex(metadata_bytes) != metadata.hash) {
    return make_error(error_code::checksum_mismatch, metadata.path + " does not match its content hash");
  }
  return success{};
}

}  // namespace

std::string_view search_mode_name(search_mode mode) noexcept {
  switch (mode) {
    case search_mode::vector: return "vector";
    case search_mode::keyword: return "keyword";
    case search_mode::hybrid: return "hybrid";
  }
  return "vector";
}

std::optional<search_mode> parse_search_mode(std::string_view name) noexcept {
  for (const search_mode mode : {search_mode::vector, search_mode::keyword, search_mode::hybrid}) {
    if (search_mode_name(mode) == name) return mode;
  }
  return std::nullopt;
}

result<loaded_index> loaded_index::create(index::manifest manifest) {
  const auto model_dimensions = index::known_output_dimensions(manifest.model_id);
  if (model_dimensions && manifest.full_dimensions != *model_dimensions) {
    return make_error(error_code::invalid_manifest,
                      "manifest.json names the model " + manifest.model_id + " with full_dimensions " +
                          std::to_string(manifest.full_dimensions) + ", but that model produces " +
                          std::to_string(*model_dimensions));
  }
  return loaded_index(std::move(manifest));
}

result<shard_handle> loaded_index::add_shard(std::size_t manifest_position, std::vector<std::uint8_t> shard_bytes,
                                             std::span<const std::uint8_t> metadata_bytes) {
  if (manifest_.layout != index::index_layout::flat) {
    return make_error(error_code::invalid_argument, "this index is partitioned: add its partitions, not shards");
  }
  if (auto free = free_position(manifest_position); !free) return std::move(free).failure();
  const index::manifest_shard& entry = manifest_.shards[manifest_position];
  if (auto hashes = check_content_hashes(entry.vectors, shard_bytes, entry.metadata, metadata_bytes); !hashes) {
    return std::move(hashes).failure();
  }
  auto shard = std::make_unique<loaded_shard>();
  shard->manifest_position = manifest_position;
  shard->bytes = std::move(shard_bytes);
  auto view = index::decode_shard(shard->bytes);
  if (!view) return make_error(view.failure().code, entry.vectors.path + ": " + view.failure().message);
  shard->vectors = view.value();
  if (shard->vectors.dimensions != manifest_.dimensions || shard->vectors.kind != manifest_.vector_quantization ||
      shard->vectors.item_count != entry.item_count) {
    return make_error(error_code::invalid_manifest, entry.vectors.path + " disagrees with manifest.json");
  }
  auto items = index::parse_item_metadata(as_text(metadata_bytes), shard->vectors.item_count);
  if (!items) return make_error(items.failure().code, entry.metadata.path + ": " + items.failure().message);
  shard->items = std::move(items).value();
  if (auto matches = index::check_metadata_matches_shard(shard->vectors, shard->items); !matches) {
    return make_error(matches.failure().code, entry.metadata.path + ": " + matches.failure().message);
  }
  // Interned only now that the shard is accepted, so a rejected shard leaves the dictionaries as they were.
  shard->attributes = build_attributes(shard->items, labels_, tags_);
  const shard_handle handle = next_handle_++;
  shards_.emplace(handle, std::move(shard));
  return handle;
}

result<shard_handle> loaded_index::adopt_shard(std::size_t manifest_position, loaded_index& other, shard_handle handle) {
  if (&other == this) return make_error(error_code::invalid_argument, "a shard cannot be adopted from its own index");
  if (auto free = free_position(manifest_position); !free) return std::move(free).failure();
  const auto found = other.shards_.find(handle);
  if (found == other.shards_.end()) {
    return make_error(error_code::invalid_argument, "no loaded shard has handle " + std::to_string(handle));
  }
  const vector_file_entry entry = *entry_at(manifest_, manifest_position);
  const std::optional<vector_file_entry> source = entry_at(other.manifest_, found->second->manifest_position);
  // The other index checked these bytes against `source`'s hashes: equal hashes mean the same files
  // (a shard's hash never equals a partition's: their bytes start with different magic numbers).
  if (!source || source->vectors->hash != entry.vectors->hash || source->metadata->hash != entry.metadata->hash) {
    return make_error(error_code::checksum_mismatch,
                      (source ? source->vectors->path : std::string("the adopted file")) + " is not " + entry.vectors->path +
                          ", which this manifest names at " + vector_file_noun(manifest_) + " " +
                          std::to_string(manifest_position));
  }
  const index::shard_view& vectors = found->second->vectors;
  if (vectors.dimensions != manifest_.dimensions || vectors.kind != manifest_.vector_quantization ||
      vectors.item_count != entry.item_count) {
    return make_error(error_code::invalid_manifest, entry.vectors->path + " disagrees with manifest.json");
  }
  std::unique_ptr<loaded_shard> shard = std::move(found->second);
  other.shards_.erase(found);
  shard->manifest_position = manifest_position;
  // Label and tag ids are this index's own: interned again here (the views into `bytes` stay valid,
  // since the shard moves by pointer).
  shard->attributes = build_attributes(shard->items, labels_, tags_);
  const shard_handle adopted = next_handle_++;
  shards_.emplace(adopted, std::move(shard));
  return adopted;
}

result<std::size_t> loaded_index::free_position(std::size_t manifest_position) const {
  const std::size_t count = manifest_.vector_file_count();
  const std::string noun = vector_file_noun(manifest_);
  if (manifest_position >= count) {
    return make_error(error_code::invalid_argument, "the manifest has " + std::to_string(count) + " " + noun +
                                                        "s; there is no " + noun + " " + std::to_string(manifest_position));
  }
  for (const auto& [handle, shard] : shards_) {
    if (shard->manifest_position == manifest_position) {
      return make_error(error_code::invalid_argument, noun + " " + std::to_string(manifest_position) +
                                                          " is already loaded (handle " + std::to_string(handle) + ")");
    }
  }
  if (next_handle_ == 0) return make_error(error_code::invalid_argument, "no shard handles left");
  return manifest_position;
}

status loaded_index::set_centroids(std::vector<std::uint8_t> centroid_bytes) {
  if (manifest_.layout != index::index_layout::partitioned || !manifest_.centroids) {
    return make_error(error_code::invalid_argument, "this index is not partitioned: it has no centroid table");
  }
  const index::content_file& entry = *manifest_.centroids;
  if (hash::sha256_hex(centroid_bytes) != entry.hash) {
    return make_error(error_code::checksum_mismatch, entry.path + " does not match its content hash");
  }
  auto view = index::decode_shard(centroid_bytes);
  if (!view) return make_error(view.failure().code, entry.path + ": " + view.failure().message);
  if (view->kind != index::quantization::i8 || view->dimensions != manifest_.dimensions ||
      view->item_count != manifest_.partitions.size()) {
    return make_error(error_code::invalid_manifest, entry.path + " is not an int8 table of " +
                                                        std::to_string(manifest_.partitions.size()) + " centroids of " +
                                                        std::to_string(manifest_.dimensions) + " dimensions");
  }
  // Moving the vector keeps its buffer, so the view stays valid.
  centroid_bytes_ = std::move(centroid_bytes);
  centroids_ = std::make_unique<index::shard_view>(view.value());
  return success{};
}

// What a whole partition and a head alone are checked and built by alike: the view (of the file, or
// of the head only) agrees with its manifest entry, its item metadata parses and matches its rows, its
// residual statistics are in range, and its rows are re-laid as a shard's blocks (zeros for a head).
// The attributes are left to the caller, after its last check.
result<std::unique_ptr<loaded_index::loaded_shard>> loaded_index::partition_shard(std::size_t manifest_position,
                                                                                 const partition::partition_view& view,
                                                                                 std::span<const std::uint8_t> metadata_bytes) const {
  const index::manifest_partition& entry = manifest_.partitions[manifest_position];
  if (auto agrees = partition::check_partition_against_manifest(view, static_cast<std::uint32_t>(manifest_position),
                                                                manifest_.dimensions, entry.item_count);
      !agrees) {
    return make_error(agrees.failure().code, entry.vectors.path + ": " + agrees.failure().message);
  }
  if (view.rows_offset != entry.head_bytes || manifest_.vector_quantization != index::quantization::i8) {
    return make_error(error_code::invalid_manifest, entry.vectors.path + " disagrees with manifest.json (head_bytes " +
                                                        std::to_string(entry.head_bytes) + ", the file's head " +
                                                        std::to_string(view.rows_offset) + ")");
  }
  auto items = index::parse_item_metadata(as_text(metadata_bytes), view.item_count);
  if (!items) return make_error(items.failure().code, entry.metadata.path + ": " + items.failure().message);
  auto residuals = partition::compute_residual_statistics(view);
  if (!residuals) return std::move(residuals).failure();

  auto shard = std::make_unique<loaded_shard>();
  shard->residuals = std::move(residuals).value();
  shard->manifest_position = manifest_position;
  relaid_rows relaid = relay_partition_rows(view);
  shard->bytes = std::move(relaid.bytes);
  shard->vectors = relaid.view;  // views the buffer just moved into shard->bytes
  shard->items = std::move(items).value();
  if (auto matches = index::check_metadata_matches_shard(shard->vectors, shard->items); !matches) {
    return make_error(matches.failure().code, entry.metadata.path + ": " + matches.failure().message);
  }
  return shard;
}

result<shard_handle> loaded_index::add_partition(std::size_t manifest_position,
                                                 std::span<const std::uint8_t> partition_bytes,
                                                 std::span<const std::uint8_t> metadata_bytes) {
  if (manifest_.layout != index::index_layout::partitioned) {
    return make_error(error_code::invalid_argument, "this index is flat: add its shards, not partitions");
  }
  if (auto free = free_position(manifest_position); !free) return std::move(free).failure();
  const index::manifest_partition& entry = manifest_.partitions[manifest_position];
  if (auto hashes = check_content_hashes(entry.vectors, partition_bytes, entry.metadata, metadata_bytes); !hashes) {
    return std::move(hashes).failure();
  }
  // The decoder reads u64 ids in place: bytes from a caller's buffer may not be 8-byte aligned.
  std::vector<std::uint8_t> aligned_copy;
  std::span<const std::uint8_t> bytes = partition_bytes;
  if (reinterpret_cast<std::uintptr_t>(bytes.data()) % 8 != 0) {
    aligned_copy.assign(bytes.begin(), bytes.end());
    bytes = aligned_copy;
  }
  auto view = partition::decode_partition(bytes);
  if (!view) return make_error(view.failure().code, entry.vectors.path + ": " + view.failure().message);
  auto shard = partition_shard(manifest_position, view.value(), metadata_bytes);
  if (!shard) return std::move(shard).failure();
  // The head is kept apart from the relaid rows, and viewed again in its own copy.
  (*shard)->head_bytes.assign(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(view->rows_offset));
  auto head = partition::decode_partition_head((*shard)->head_bytes);
  if (!head) return make_error(head.failure().code, entry.vectors.path + ": " + head.failure().message);
  (*shard)->head = head.value();
  // Last: the label and tag dictionaries grow here, so nothing may fail after it.
  (*shard)->attributes = build_attributes((*shard)->items, labels_, tags_);
  const shard_handle handle = next_handle_++;
  shards_.emplace(handle, std::move(shard).value());
  return handle;
}

result<shard_handle> loaded_index::add_partition_head(std::size_t manifest_position,
                                                      std::span<const std::uint8_t> head_bytes,
                                                      std::span<const std::uint8_t> metadata_bytes) {
  if (manifest_.layout != index::index_layout::partitioned) {
    return make_error(error_code::invalid_argument, "this index is flat: add its shards, not partitions");
  }
  if (auto free = free_position(manifest_position); !free) return std::move(free).failure();
  const index::manifest_partition& entry = manifest_.partitions[manifest_position];
  if (hash::sha256_hex(metadata_bytes) != entry.metadata.hash) {
    return make_error(error_code::checksum_mismatch, entry.metadata.path + " does not match its content hash");
  }
  // A copy: aligned for the decoder's in-place reads, and kept for the query's views.
  std::vector<std::uint8_t> head_copy(head_bytes.begin(), head_bytes.end());
  auto head = partition::decode_partition_head(head_copy);
  if (!head) return make_error(head.failure().code, entry.vectors.path + " (head): " + head.failure().message);
  auto shard = partition_shard(manifest_position, head.value(), metadata_bytes);
  if (!shard) return std::move(shard).failure();
  (*shard)->rows_present.assign(head->item_count, 0);
  (*shard)->head_bytes = std::move(head_copy);  // a vector's move keeps its buffer, so the view stays valid
  (*shard)->head = head.value();
  // Last: the label and tag dictionaries grow here, so nothing may fail after it.
  (*shard)->attributes = build_attributes((*shard)->items, labels_, tags_);
  const shard_handle handle = next_handle_++;
  shards_.emplace(handle, std::move(shard).value());
  return handle;
}

status loaded_index::add_partition_rows(shard_handle handle, std::size_t first_row, std::span<const std::uint8_t> row_bytes) {
  const auto found = shards_.find(handle);
  if (found == shards_.end()) {
    return make_error(error_code::invalid_argument, "no loaded shard has handle " + std::to_string(handle));
  }
  loaded_shard& part = *found->second;
  if (!part.head || part.rows_present.empty()) {
    return make_error(error_code::invalid_argument, "handle " + std::to_string(handle) + " is not a partition held as its head");
  }
  const partition::partition_view& head = *part.head;
  const std::size_t stride = head.row_stride;
  if (row_bytes.empty() || row_bytes.size() % stride != 0) {
    return make_error(row_bytes.size() % stride == 0 ? error_code::truncated_payload : error_code::trailing_bytes,
                      "rows of partition " + std::to_string(part.manifest_position) + " come in whole rows of " +
                          std::to_string(stride) + " bytes, got " + std::to_string(row_bytes.size()));
  }
  const std::size_t count = row_bytes.size() / stride;
  if (first_row >= head.item_count || count > head.item_count - first_row) {
    return make_error(error_code::invalid_argument, "rows " + std::to_string(first_row) + " ... " +
                                                        std::to_string(first_row + count - 1) + " of partition " +
                                                        std::to_string(part.manifest_position) + ", which has " +
                                                        std::to_string(head.item_count));
  }
  std::vector<partition::partition_row> rows;
  rows.reserve(count);
  for (std::size_t index = 0; index < count; ++index) {
    auto row = partition::decode_partition_row(head, row_bytes.subspan(index * stride, stride));
    if (!row) {
      return make_error(row.failure().code, "row " + std::to_string(first_row + index) + " of partition " +
                                                std::to_string(part.manifest_position) + ": " + row.failure().message);
    }
    rows.push_back(row.value());
  }
  // The re-laid buffer (relay_partition_rows): ids, then scales, then codes.
  const std::size_t items = head.item_count;
  const std::size_t dimensions = head.dimensions;
  std::uint8_t* scales = part.bytes.data() + items * 8;
  std::uint8_t* codes = scales + items * 4;
  for (std::size_t index = 0; index < count; ++index) {
    const std::size_t row = first_row + index;
    std::memcpy(scales + row * 4, &rows[index].scale, 4);
    std::memcpy(codes + row * dimensions, rows[index].codes.data(), dimensions);
    part.rows_present[row] = 1;
  }
  return success{};
}

bool loaded_index::holds_head_only(shard_handle handle) const {
  const auto found = shards_.find(handle);
  if (found == shards_.end()) return false;
  const std::vector<std::uint8_t>& present = found->second->rows_present;
  return std::find(present.begin(), present.end(), std::uint8_t{0}) != present.end();
}

std::optional<std::size_t> loaded_index::manifest_position(shard_handle handle) const {
  const auto found = shards_.find(handle);
  if (found == shards_.end()) return std::nullopt;
  return found->second->manifest_position;
}

result<std::vector<std::uint32_t>> loaded_index::partitions_to_probe(std::span<const float> vector,
                                                                     const query_options& options) const {
  if (!centroids_) return make_error(error_code::invalid_argument, "the centroid table is not loaded");
  auto prepared = search::prepare_query(vector, manifest_.dimensions);
  if (!prepared) return std::move(prepared).failure();
  auto quantized = partition::quantize_query(prepared->unit);
  if (!quantized) return std::move(quantized).failure();
  auto ranked = partition::rank_partitions(*centroids_, quantized.value());
  if (!ranked) return std::move(ranked).failure();
  partition::partitioned_search_options probe;
  probe.nprobe = options.nprobe;
  std::vector<std::uint32_t> wanted;
  const std::size_t count = partition::initial_probe_count(ranked->size(), probe);
  wanted.reserve(count);
  for (std::size_t position = 0; position < count; ++position) wanted.push_back((*ranked)[position].partition);
  return wanted;
}

status loaded_index::release_shard(shard_handle handle) {
  if (shards_.erase(handle) == 0) {
    return make_error(error_code::invalid_argument, "no loaded shard has handle " + std::to_string(handle));
  }
  return success{};
}

const std::vector<index::item_metadata>* loaded_index::items(shard_handle handle) const {
  const auto found = shards_.find(handle);
  return found == shards_.end() ? nullptr : &found->second->items;
}

std::size_t loaded_index::loaded_item_count() const noexcept {
  std::size_t count = 0;
  for (const auto& [handle, shard] : shards_) count += shard->vectors.item_count;
  return count;
}

result<filter> loaded_index::resolve_filter(const named_filter& conditions) const {
  filter resolved;
  if (!conditions.modalities.empty()) {
    resolved.modality_mask = 0;
    for (const std::string& name : conditions.modalities) {
      auto kind = index::parse_modality(name);
      if (!kind) return std::move(kind).failure();
      resolved.modality_mask |= index::modality_bit(kind.value());
    }
  }
  for (const std::string& label : conditions.labels) resolved.any_of_labels.push_back(labels_.find(label).value_or(absent_name_id));
  for (const std::string& tag : conditions.tags) resolved.all_of_tags.push_back(tags_.find(tag).value_or(absent_name_id));
  resolved.excluded_item_ids = conditions.excluded_item_ids;
  return resolved;
}

result<std::vector<searchable_shard>> loaded_index::searchable(std::span<const shard_handle> shards) const {
  std::vector<searchable_shard> views;
  views.reserve(shards.size());
  for (const shard_handle handle : shards) {
    const auto found = shards_.find(handle);
    if (found == shards_.end()) {
      return make_error(error_code::invalid_argument, "no loaded shard has handle " + std::to_string(handle));
    }
    views.push_back({found->second->vectors, &found->second->attributes});
  }
  return views;
}

status loaded_index::set_keyword_directory(std::span<const std::uint8_t> directory_bytes) {
  auto loaded = loaded_keywords::create(manifest_, directory_bytes);
  if (!loaded) return std::move(loaded).failure();
  keywords_.emplace(std::move(loaded).value());
  return success{};
}

result<keywords::keyword_query> loaded_index::analyze_query(std::string_view normalized_text) const {
  if (!keywords_) return make_error(error_code::invalid_argument, "the keyword directory is not loaded");
  // An analyzer per query: it is not thread-safe (the stemmer's buffer), and queries run concurrently.
  auto analyzer = keywords::analyzer_for(keywords_->directory().analysis);
  if (!analyzer) return std::move(analyzer).failure();
  return keywords::parse_keyword_query(normalized_text, analyzer.value());
}

search_mode loaded_index::effective_mode(std::span<const float> vector, const query_options& options) const noexcept {
  if (options.mode) return *options.mode;
  const bool has_text = options.text.find_first_not_of(" \t\r\n") != std::string::npos;
  return has_text && manifest_.keywords && !vector.empty() ? search_mode::hybrid : search_mode::vector;
}

result<query_outcome> loaded_index::keyword_or_hybrid_query(std::span<const float> vector,
                                                            std::span<const shard_handle> shards, search_mode mode,
                                                            const query_options& options) const {
  if (!keywords_) {
    return make_error(error_code::invalid_argument,
                      manifest_.keywords ? "the keyword index is not loaded yet"
                                         : "this index has no keyword index (it was built without one): search it in "
                                           "vector mode, or rebuild it with mosaic index");
  }
  if (mode == search_mode::hybrid && vector.empty()) {
    return make_error(error_code::invalid_argument, "a hybrid search needs the query's vector as well as its text");
  }
  if (options.vote && vector.empty()) return make_error(error_code::invalid_argument, "the label vote needs a query vector");
  auto analyzed = analyze_query(options.text);
  if (!analyzed) return std::move(analyzed).failure();
  auto views = searchable(shards);
  if (!views) return std::move(views).failure();
  auto resolved = resolve_filter(options.filter);
  if (!resolved) return std::move(resolved).failure();
  const filter& conditions = resolved.value();

  // Keyword hits name items by (manifest position, row); the slot is the shard's place in `shards`.
  std::vector<std::uint32_t> slot_of_position(manifest_.vector_file_count(), not_searched);
  std::size_t total_items = 0;
  for (std::size_t slot = 0; slot < shards.size(); ++slot) {
    slot_of_position[shards_.find(shards[slot])->second->manifest_position] = static_cast<std::uint32_t>(slot);
    total_items += (*views)[slot].vectors.item_count;
  }
  const auto slot_of = [&](keywords::item_reference reference) -> std::uint32_t {
    const std::uint32_t position = keywords::reference_vector_file(reference);
    if (position >= slot_of_position.size()) return not_searched;
    const std::uint32_t slot = slot_of_position[position];
    if (slot == not_searched || keywords::reference_row(reference) >= (*views)[slot].vectors.item_count) return not_searched;
    return slot;
  };
  // The filter applies to keyword hits as it does in the scan: rows that fail are never ranked.
  const std::function<bool(keywords::item_reference)> accept = [&](keywords::item_reference reference) {
    const std::uint32_t slot = slot_of(reference);
    if (slot == not_searched) return false;
    const std::uint32_t row = keywords::reference_row(reference);
    const searchable_shard& view = (*views)[slot];
    if (conditions.needs_attributes() && !row_passes(conditions, *view.attributes, row)) return false;
    if (!conditions.excluded_item_ids.empty()) {
      const std::uint64_t id = view.vectors.item_id(row);
      if (std::find(conditions.excluded_item_ids.begin(), conditions.excluded_item_ids.end(), id) !=
          conditions.excluded_item_ids.end()) {
        return false;
      }
    }
    return true;
  };
  const auto source_of = [&](std::uint32_t slot, std::uint32_t row) -> std::string_view {
    return shards_.find(shards[slot])->second->items[row].source;
  };

  query_outcome outcome;
  outcome.mode = mode;
  if (manifest_.layout == index::index_layout::partitioned && options.k > 0) {
    // A lazy client holds some partitions only: the best k keyword hits, counting those in partitions
    // it does not hold (their filter is unknown: they count as passing), name the partitions it must
    // fetch for this answer to be final. Those it holds are searched below as on any site.
    const std::function<bool(keywords::item_reference)> accept_unloaded = [&](keywords::item_reference reference) {
      const std::uint32_t position = keywords::reference_vector_file(reference);
      if (position < slot_of_position.size() && slot_of_position[position] == not_searched) return true;
      return accept(reference);
    };
    auto wanted = keywords_->search(analyzed.value(), options.k, accept_unloaded, options.bm25);
    if (!wanted) return std::move(wanted).failure();
    for (const keywords::keyword_hit& hit : wanted.value()) {
      const std::uint32_t position = keywords::reference_vector_file(hit.reference);
      if (position >= slot_of_position.size() || slot_of_position[position] != not_searched) continue;
      if (std::find(outcome.missing_partitions.begin(), outcome.missing_partitions.end(), position) ==
          outcome.missing_partitions.end()) {
        outcome.missing_partitions.push_back(position);
      }
    }
  }
  if (mode == search_mode::keyword) {
    const auto document_of = [&](const keywords::keyword_hit& hit) {
      return source_of(slot_of(hit.reference), keywords::reference_row(hit.reference));
    };
    const auto to_index_hit = [&](const keywords::keyword_hit& hit, std::size_t matched_items) {
      const std::uint32_t slot = slot_of(hit.reference);
      const std::uint32_t row = keywords::reference_row(hit.reference);
      return index_hit{(*views)[slot].vectors.item_id(row), hit.score, shards[slot], row, matched_items, hit.matched_terms, std::nullopt, true, std::nullopt, 0};
    };
    if (options.k > 0 && options.one_per_document) {
      auto documents = search_documents<keywords::keyword_hit>(
          options.k, total_items,
          [&](std::size_t asked) { return keywords_->search(analyzed.value(), asked, accept, options.bm25); }, document_of);
      if (!documents) return std::move(documents).failure();
      for (const auto& [hit, matched_items] : documents.value()) outcome.hits.push_back(to_index_hit(hit, matched_items));
    } else if (options.k > 0) {
      auto hits = keywords_->search(analyzed.value(), options.k, accept, options.bm25);
      if (!hits) return std::move(hits).failure();
      for (const keywords::keyword_hit& hit : hits.value()) outcome.hits.push_back(to_index_hit(hit, 1));
    }
    if (options.vote) {
      query_options voting = options;
      voting.mode = search_mode::vector;
      voting.k = 0;
      auto voted = query(vector, shards, voting);
      if (!voted) return std::move(voted).failure();
      outcome.vote = std::move(voted->vote);
      for (const std::uint32_t position : voted->missing_partitions) {
        if (std::find(outcome.missing_partitions.begin(), outcome.missing_partitions.end(), position) ==
            outcome.missing_partitions.end()) {
          outcome.missing_partitions.push_back(position);
        }
      }
    }
    outcome.keyword_query = std::move(analyzed).value();
    return outcome;
  }

  // Hybrid: the best `depth` of each side, fused, then one result per document among the fused. Each
  // side is normalized over its best fusion_depth entries whatever the depth, so asking for more
  // results (a larger k) does not reorder the first ones.
  const std::size_t depth = std::max(options.fusion_depth, first_hits_to_ask(options.k, total_items));
  keywords::fusion_options fusion = options.fusion;
  fusion.normalization_window = options.fusion_depth;
  query_options vector_options = options;
  vector_options.mode = search_mode::vector;
  vector_options.k = std::min(depth, total_items);
  vector_options.one_per_document = false;
  auto vector_side = query(vector, shards, vector_options);
  if (!vector_side) return std::move(vector_side).failure();
  auto keyword_side = keywords_->search(analyzed.value(), depth, accept, options.bm25);
  if (!keyword_side) return std::move(keyword_side).failure();

  std::unordered_map<keywords::item_reference, const std::vector<std::string>*> terms_of;
  for (const keywords::keyword_hit& hit : keyword_side.value()) terms_of.emplace(hit.reference, &hit.matched_terms);
  const auto hit_for = [&](keywords::item_reference reference, float score) -> std::optional<index_hit> {
    const std::uint32_t slot = slot_of(reference);
    if (slot == not_searched) return std::nullopt;
    const std::uint32_t row = keywords::reference_row(reference);
    index_hit hit{(*views)[slot].vectors.item_id(row), score, shards[slot], row, 1, {}, std::nullopt, true, std::nullopt, 0};
    if (const auto terms = terms_of.find(reference); terms != terms_of.end()) hit.matched_terms = *terms->second;
    return hit;
  };
  std::vector<keywords::scored_reference> vector_scores;
  vector_scores.reserve(vector_side->hits.size());
  for (const index_hit& hit : vector_side->hits) {
    const std::size_t position = shards_.find(hit.shard)->second->manifest_position;
    vector_scores.push_back({keywords::make_item_reference(static_cast<std::uint32_t>(position), hit.row), hit.score});
  }
  std::vector<keywords::scored_reference> keyword_scores;
  keyword_scores.reserve(keyword_side->size());
  for (const keywords::keyword_hit& hit : keyword_side.value()) keyword_scores.push_back({hit.reference, hit.score});

  if (!options.one_per_document) {
    for (const keywords::scored_reference& entry : keywords::fuse_scores(vector_scores, keyword_scores, fusion)) {
      if (outcome.hits.size() == options.k) break;
      if (auto hit = hit_for(entry.reference, entry.score)) outcome.hits.push_back(std::move(*hit));
    }
  } else {
    // Documents are fused, not chunks: each side is first cut to its best item per document, so a
    // document's vector evidence and its keyword evidence meet even when they come from different
    // chunks (measured on beir-msmarco-5k: nDCG@10 0.7494 against 0.7462 fusing chunks, README).
    // A document stands under the reference of the first of its items seen (its canonical one), and
    // is shown by its best chunk as the chunks fused one by one rank them (so it is the chunk that
    // leads the document's chunks in an every-chunk search).
    // Flat tables, no tree per query: this runs on every hybrid search (measured at 100,000 items in
    // wasm, a map keyed by copied source strings cost as much as the BM25 scoring).
    struct document_sides {
      keywords::item_reference canonical = 0;
      bool on_vector_side = false;
      bool on_keyword_side = false;
      std::optional<keywords::item_reference> best_chunk;
      std::size_t items = 0;  // distinct items of the document on either side
    };
    std::vector<document_sides> documents;
    documents.reserve(vector_scores.size() + keyword_scores.size());
    std::unordered_map<std::string_view, std::uint32_t> document_by_source;  // views into the items' metadata
    std::unordered_map<keywords::item_reference, std::uint32_t> document_by_item;
    document_by_source.reserve(documents.capacity());
    document_by_item.reserve(documents.capacity());
    constexpr std::uint32_t no_document = 0xFFFFFFFFu;
    const auto document_for = [&](keywords::item_reference reference) -> std::uint32_t {
      if (const auto known = document_by_item.find(reference); known != document_by_item.end()) return known->second;
      const std::uint32_t slot = slot_of(reference);
      if (slot == not_searched) return no_document;
      const std::string_view source = source_of(slot, keywords::reference_row(reference));
      // An item with no source is a document of its own.
      const auto found = source.empty() ? document_by_source.end() : document_by_source.find(source);
      std::uint32_t index = 0;
      if (found != document_by_source.end()) {
        index = found->second;
      } else {
        index = static_cast<std::uint32_t>(documents.size());
        documents.push_back({reference, false, false, std::nullopt, 0});
        if (!source.empty()) document_by_source.emplace(source, index);
      }
      document_by_item.emplace(reference, index);
      ++documents[index].items;
      return index;
    };
    std::vector<keywords::scored_reference> vector_documents, keyword_documents;
    for (const keywords::scored_reference& entry : vector_scores) {
      const std::uint32_t index = document_for(entry.reference);
      // Best first: only a document's first item on this side stands for it.
      if (index == no_document || documents[index].on_vector_side) continue;
      documents[index].on_vector_side = true;
      vector_documents.push_back({documents[index].canonical, entry.score});
    }
    for (const keywords::scored_reference& entry : keyword_scores) {
      const std::uint32_t index = document_for(entry.reference);
      if (index == no_document || documents[index].on_keyword_side) continue;
      documents[index].on_keyword_side = true;
      keyword_documents.push_back({documents[index].canonical, entry.score});
    }
    for (const keywords::scored_reference& entry : keywords::fuse_scores(vector_scores, keyword_scores, fusion)) {
      const auto known = document_by_item.find(entry.reference);
      if (known != document_by_item.end() && !documents[known->second].best_chunk) documents[known->second].best_chunk = entry.reference;
    }
    for (const keywords::scored_reference& entry : keywords::fuse_scores(vector_documents, keyword_documents, fusion)) {
      if (outcome.hits.size() == options.k) break;
      const document_sides& document = documents[document_by_item.at(entry.reference)];
      auto hit = hit_for(document.best_chunk.value_or(document.canonical), entry.score);
      if (!hit) continue;
      hit->matched_items = document.items;
      outcome.hits.push_back(std::move(*hit));
    }
  }
  outcome.vote = std::move(vector_side->vote);
  outcome.keyword_query = std::move(analyzed).value();
  outcome.approximate = vector_side->approximate;
  outcome.rows_scanned = vector_side->rows_scanned;
  for (const std::uint32_t position : vector_side->missing_partitions) {
    if (std::find(outcome.missing_partitions.begin(), outcome.missing_partitions.end(), position) ==
        outcome.missing_partitions.end()) {
      outcome.missing_partitions.push_back(position);
    }
  }
  outcome.missing_rows = std::move(vector_side->missing_rows);
  return outcome;
}

result<query_outcome> loaded_index::query(std::span<const float> vector, std::span<const shard_handle> shards,
                                          const query_options& options) const {
  auto outcome = ranked_query(vector, shards, options);
  if (!outcome) return outcome;
  judge_closeness(vector, outcome.value());
  std::vector<std::pair<std::uint32_t, std::uint32_t>>& missing_rows = outcome->missing_rows;
  std::sort(missing_rows.begin(), missing_rows.end());
  missing_rows.erase(std::unique(missing_rows.begin(), missing_rows.end()), missing_rows.end());
  if (options.group_duplicates) group_near_duplicates(outcome.value());
  return outcome;
}

void loaded_index::group_near_duplicates(query_outcome& outcome) const {
  const std::size_t grouped = std::min(outcome.hits.size(), max_grouped_hits);
  const std::size_t dimensions = manifest_.dimensions;
  if (grouped < 2 || dimensions == 0) return;
  // The rows as stored (dequantized for int8): what the item is, whatever the query was.
  std::vector<float> rows(grouped * dimensions, 0.0f);
  for (std::size_t position = 0; position < grouped; ++position) {
    const index_hit& hit = outcome.hits[position];
    const auto shard = shards_.find(hit.shard);
    // A hit comes from a loaded shard; a zero row (none found) joins no group, so a bug cannot merge.
    if (shard == shards_.end() || hit.row >= shard->second->vectors.item_count ||
        shard->second->vectors.dimensions != dimensions) {
      continue;
    }
    // A partition held as its head has only the rows fetched so far; an absent row joins no group.
    const std::vector<std::uint8_t>& present = shard->second->rows_present;
    if (!present.empty() && (hit.row >= present.size() || present[hit.row] == 0)) continue;
    shard->second->vectors.row_as_f32(hit.row, std::span<float>(rows).subspan(position * dimensions, dimensions));
  }
  const std::vector<std::size_t> leaders =
      near_duplicate_leaders(rows, dimensions, near_duplicate_similarity(manifest_.model_id));
  for (std::size_t position = 0; position < grouped; ++position) {
    const std::size_t leader = leaders[position];
    if (leader == position) continue;
    outcome.hits[position].duplicate_of = outcome.hits[leader].item_id;
    ++outcome.hits[leader].duplicates;
  }
}

void loaded_index::judge_closeness(std::span<const float> vector, query_outcome& outcome) const {
  const std::optional<float> cut_off = close_match_similarity(manifest_.model_id);
  // Hybrid hits are ranked by fused scores: each one's similarity is computed from its stored row (k
  // dot products, next to the scan's thousands). A vector hit's score is its similarity already.
  std::optional<prepared_query> prepared;
  if (outcome.mode == search_mode::hybrid && !vector.empty()) {
    auto made = search::prepare_query(vector, manifest_.dimensions);
    if (made) prepared = std::move(made).value();
  }
  std::vector<float> row_values;
  const std::vector<std::uint8_t> every_row_present;
  for (index_hit& hit : outcome.hits) {
    if (outcome.mode == search_mode::vector) {
      hit.similarity = hit.score;
    } else if (prepared) {
      const auto shard = shards_.find(hit.shard);
      const std::vector<std::uint8_t>& present = shard != shards_.end() ? shard->second->rows_present : every_row_present;
      if (shard != shards_.end() && hit.row < present.size() && present[hit.row] == 0) {
        // A keyword hit's row in a partition held as its head: its similarity needs the row.
        outcome.missing_rows.emplace_back(static_cast<std::uint32_t>(shard->second->manifest_position), hit.row);
      } else if (shard != shards_.end() && hit.row < shard->second->vectors.item_count) {
        row_values.resize(shard->second->vectors.dimensions);
        shard->second->vectors.row_as_f32(hit.row, row_values);
        double dot = 0.0;
        const std::size_t shared_dimensions = std::min(row_values.size(), prepared->unit.size());
        for (std::size_t index = 0; index < shared_dimensions; ++index) {
          dot += static_cast<double>(row_values[index]) * static_cast<double>(prepared->unit[index]);
        }
        hit.similarity = static_cast<float>(dot);
      }
    }
    // A keyword search ranks only items holding the query's words, which is what a word search asks.
    hit.close = !cut_off || outcome.mode == search_mode::keyword || !hit.matched_terms.empty() ||
                (hit.similarity && *hit.similarity >= *cut_off);
  }
}

result<query_outcome> loaded_index::ranked_query(std::span<const float> vector, std::span<const shard_handle> shards,
                                                 const query_options& options) const {
  const search_mode mode = effective_mode(vector, options);
  if (mode != search_mode::vector) return keyword_or_hybrid_query(vector, shards, mode, options);
  if (manifest_.layout == index::index_layout::partitioned) return partitioned_vector_query(vector, shards, options);
  auto views = searchable(shards);
  if (!views) return std::move(views).failure();
  auto resolved = resolve_filter(options.filter);
  if (!resolved) return std::move(resolved).failure();
  if (options.vote && options.vote->k == 0) return make_error(error_code::invalid_argument, "the label vote needs k >= 1");
  auto prepared = search::prepare_query(vector, manifest_.dimensions);
  if (!prepared) return std::move(prepared).failure();
  std::size_t total_items = 0;
  for (const searchable_shard& view : views.value()) total_items += view.vectors.item_count;
  search_options scan_options;
  scan_options.k = options.one_per_document ? first_hits_to_ask(options.k, total_items) : options.k;
  scan_options.filter = std::move(resolved).value();
  scan_options.labelled_k = options.vote ? options.vote->k : 0;
  auto scanned = scan(prepared.value(), views.value(), scan_options);
  if (!scanned) return std::move(scanned).failure();
  auto to_index_hit = [&](const search_hit& hit, std::size_t matched_items) {
    return index_hit{hit.item_id, hit.score, shards[hit.shard], hit.row, matched_items, {}, std::nullopt, true, std::nullopt, 0};
  };
  auto to_index_hits = [&](const std::vector<search_hit>& hits) {
    std::vector<index_hit> converted;
    converted.reserve(hits.size());
    for (const search_hit& hit : hits) converted.push_back(to_index_hit(hit, 1));
    return converted;
  };
  query_outcome outcome;
  if (options.one_per_document && options.k > 0) {
    // The first scan asked for enough hits to hold k documents in most collections; a longer prefix
    // is scanned again (without the voters, already found) only when it did not.
    const std::size_t first_asked = scan_options.k;
    auto documents = search_documents<search_hit>(
        options.k, total_items,
        [&](std::size_t asked) -> result<std::vector<search_hit>> {
          if (asked == first_asked) return scanned->best;
          search_options longer = scan_options;
          longer.k = asked;
          longer.labelled_k = 0;
          auto again = scan(prepared.value(), views.value(), longer);
          if (!again) return std::move(again).failure();
          return std::move(again->best);
        },
        [&](const search_hit& hit) -> std::string_view {
          return shards_.find(shards[hit.shard])->second->items[hit.row].source;
        });
    if (!documents) return std::move(documents).failure();
    outcome.hits.reserve(documents->size());
    for (const auto& [hit, matched_items] : documents.value()) outcome.hits.push_back(to_index_hit(hit, matched_items));
  } else {
    outcome.hits = to_index_hits(scanned->best);
  }
  if (!options.vote) return outcome;
  std::vector<vote_neighbour> neighbours;
  neighbours.reserve(scanned->best_labelled.size());
  for (const search_hit& hit : scanned->best_labelled) {
    neighbours.push_back({(*views)[hit.shard].attributes->labels[hit.row], hit.score});
  }
  auto vote = vote_label(neighbours, *options.vote);
  if (!vote) return std::move(vote).failure();
  classification& voted = outcome.vote.emplace();
  voted.known = vote->known;
  if (vote->known) voted.label = labels_.name(vote->label);
  voted.confidence = vote->confidence;
  voted.votes = vote->votes;
  voted.considered = vote->considered;
  voted.best_score = vote->best_score;
  voted.neighbours = to_index_hits(scanned->best_labelled);
  return outcome;
}

result<query_outcome> loaded_index::partitioned_vector_query(std::span<const float> vector,
                                                             std::span<const shard_handle> shards,
                                                             const query_options& options) const {
  if (!centroids_) return make_error(error_code::invalid_argument, "the centroid table is not loaded");
  if (options.vote && options.vote->k == 0) return make_error(error_code::invalid_argument, "the label vote needs k >= 1");
  auto resolved = resolve_filter(options.filter);
  if (!resolved) return std::move(resolved).failure();
  const filter conditions = std::move(resolved).value();
  auto prepared = search::prepare_query(vector, manifest_.dimensions);
  if (!prepared) return std::move(prepared).failure();
  auto quantized = partition::quantize_query(prepared->unit);
  if (!quantized) return std::move(quantized).failure();
  const partition::quantized_query& query_codes = quantized.value();
  auto ranked = partition::rank_partitions(*centroids_, query_codes);
  if (!ranked) return std::move(ranked).failure();

  // The given handles by manifest position: the partitions this search may read.
  std::vector<const loaded_shard*> by_position(manifest_.partitions.size(), nullptr);
  std::vector<shard_handle> handle_of(manifest_.partitions.size(), 0);
  for (const shard_handle handle : shards) {
    const auto found = shards_.find(handle);
    if (found == shards_.end()) {
      return make_error(error_code::invalid_argument, "no loaded shard has handle " + std::to_string(handle));
    }
    by_position[found->second->manifest_position] = found->second.get();
    handle_of[found->second->manifest_position] = handle;
  }
  const auto passes = [&](const loaded_shard& part, std::uint32_t row) {
    if (conditions.needs_attributes() && !row_passes(conditions, part.attributes, row)) return false;
    if (!conditions.excluded_item_ids.empty()) {
      const std::uint64_t id = part.vectors.item_id(row);
      return std::find(conditions.excluded_item_ids.begin(), conditions.excluded_item_ids.end(), id) ==
             conditions.excluded_item_ids.end();
    }
    return true;
  };

  query_outcome outcome;
  outcome.approximate = true;
  std::vector<std::uint32_t> missing;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> missing_rows;
  const auto note_missing = [&](std::uint32_t position) {
    if (std::find(missing.begin(), missing.end(), position) == missing.end()) missing.push_back(position);
  };

  // One probe: the partitions to scan in centroid order (the first nprobe, then, while fewer than k
  // rows passed the filter, more up to the budget), the sign-code scan of those loaded, the exact
  // re-rank of the best candidates. A partition the probe wants but the caller did not give is
  // counted as if its rows passed at the rate of the rows scanned so far (all of them before any
  // scan), so a lazy client is asked for about what the filter needs, not the whole budget.
  struct probe_result {
    std::vector<partition::partition_view> views;
    std::vector<const partition::residual_statistics*> residuals;
    std::vector<partition::candidate> candidates;
    std::size_t depth = 0;
  };
  const auto probe = [&](std::size_t k, bool labelled_only, std::size_t depth) -> result<probe_result> {
    const bool filtered = !conditions.is_unrestricted() || labelled_only;
    const partition::row_filter row_filter =
        filtered ? partition::row_filter([&](std::uint32_t position, std::uint32_t row) {
          const loaded_shard& part = *by_position[position];
          if (labelled_only && part.attributes.labels[row] == 0) return false;
          return passes(part, row);
        })
                 : partition::row_filter{};
    partition::partitioned_search_options probing;
    probing.k = k;
    probing.nprobe = options.nprobe;
    probing.filtered_probe_budget = options.filtered_probe_budget;
    if (filtered) probing.filter = row_filter;
    probe_result probed;
    const std::size_t partition_count = ranked->size();
    std::size_t taken = 0;
    double rows_passed = 0.0;
    std::size_t rows_seen = 0;
    std::size_t rows_seen_passing = 0;
    // The automatic re-rank depth follows the rows of the first probe, loaded or not, so a lazy
    // client's answer does not change with what it holds.
    std::size_t first_probe_rows = 0;
    for (std::size_t rank = 0; rank < partition::initial_probe_count(partition_count, probing); ++rank) {
      first_probe_rows += static_cast<std::size_t>(manifest_.partitions[(*ranked)[rank].partition].item_count);
    }
    for (std::size_t rank = 0; rank < partition_count; ++rank) {
      const bool first = rank < partition::initial_probe_count(partition_count, probing);
      if (!first && !partition::should_probe_further(taken, static_cast<std::size_t>(rows_passed), partition_count, probing)) break;
      ++taken;
      const std::uint32_t position = (*ranked)[rank].partition;
      const loaded_shard* part = by_position[position];
      if (part == nullptr || !part->head) {
        note_missing(position);
        const double rate = rows_seen == 0 ? 1.0 : static_cast<double>(rows_seen_passing) / static_cast<double>(rows_seen);
        rows_passed += rate * static_cast<double>(manifest_.partitions[position].item_count);
        continue;
      }
      std::size_t passing = part->vectors.item_count;
      if (filtered) {
        passing = 0;
        for (std::uint32_t row = 0; row < part->vectors.item_count; ++row) passing += row_filter(position, row) ? 1U : 0U;
      }
      rows_seen += part->vectors.item_count;
      rows_seen_passing += passing;
      rows_passed += static_cast<double>(passing);
      probed.views.push_back(*part->head);
      probed.residuals.push_back(&part->residuals);
    }
    probed.depth = partition::rerank_depth_for(depth, first_probe_rows, k);
    auto scan = partition::candidate_rows(query_codes, probed.views, probed.depth, probing.filter, probed.residuals);
    if (!scan) return std::move(scan).failure();
    outcome.rows_scanned += scan->rows_scanned;
    probed.candidates = std::move(scan->candidates);
    return probed;
  };
  const auto rerank = [&](const probe_result& probed, std::size_t k) -> result<std::vector<index_hit>> {
    std::vector<partition::rerank_row> rows;
    rows.reserve(probed.candidates.size());
    const std::size_t dimensions = manifest_.dimensions;
    for (const partition::candidate& found : probed.candidates) {
      const loaded_shard& part = *by_position[found.partition];
      if (!part.rows_present.empty() && part.rows_present[found.row] == 0) {
        missing_rows.emplace_back(found.partition, found.row);
        continue;
      }
      rows.push_back({found.partition, found.row, part.vectors.item_id(found.row),
                      partition::partition_row{part.vectors.scales[found.row],
                                               part.vectors.vectors_i8.subspan(found.row * dimensions, dimensions)}});
    }
    auto reranked = partition::rerank(query_codes, rows, k);
    if (!reranked) return std::move(reranked).failure();
    std::vector<index_hit> hits;
    hits.reserve(reranked->size());
    for (const partition::partitioned_hit& hit : reranked.value()) {
      hits.push_back(index_hit{hit.item_id, hit.score, handle_of[hit.partition], hit.row, 1, {}, std::nullopt, true, std::nullopt, 0});
    }
    return hits;
  };

  if (options.k > 0) {
    std::size_t total_items = 0;
    for (const loaded_shard* part : by_position) total_items += part != nullptr ? part->vectors.item_count : 0;
    if (options.one_per_document) {
      const std::size_t first_asked = first_hits_to_ask(options.k, total_items);
      auto probed = probe(first_asked, false, options.rerank_depth);
      if (!probed) return std::move(probed).failure();
      probe_result current = std::move(probed).value();
      auto documents = search_documents<index_hit>(
          options.k, total_items,
          [&](std::size_t asked) -> result<std::vector<index_hit>> {
            if (asked > current.depth) {
              auto deeper = probe(asked, false, asked);
              if (!deeper) return std::move(deeper).failure();
              current = std::move(deeper).value();
            }
            return rerank(current, asked);
          },
          [&](const index_hit& hit) -> std::string_view { return shards_.find(hit.shard)->second->items[hit.row].source; });
      if (!documents) return std::move(documents).failure();
      for (auto& [hit, matched_items] : documents.value()) {
        hit.matched_items = matched_items;
        outcome.hits.push_back(std::move(hit));
      }
    } else {
      auto probed = probe(options.k, false, options.rerank_depth);
      if (!probed) return std::move(probed).failure();
      auto hits = rerank(probed.value(), options.k);
      if (!hits) return std::move(hits).failure();
      outcome.hits = std::move(hits).value();
    }
  }
  if (options.vote) {
    auto probed = probe(options.vote->k, true, options.rerank_depth);
    if (!probed) return std::move(probed).failure();
    auto neighbours_hits = rerank(probed.value(), options.vote->k);
    if (!neighbours_hits) return std::move(neighbours_hits).failure();
    std::vector<vote_neighbour> neighbours;
    neighbours.reserve(neighbours_hits->size());
    for (const index_hit& hit : neighbours_hits.value()) {
      neighbours.push_back({shards_.find(hit.shard)->second->attributes.labels[hit.row], hit.score});
    }
    auto vote = vote_label(neighbours, *options.vote);
    if (!vote) return std::move(vote).failure();
    classification& voted = outcome.vote.emplace();
    voted.known = vote->known;
    if (vote->known) voted.label = labels_.name(vote->label);
    voted.confidence = vote->confidence;
    voted.votes = vote->votes;
    voted.considered = vote->considered;
    voted.best_score = vote->best_score;
    voted.neighbours = std::move(neighbours_hits).value();
  }
  outcome.missing_partitions = std::move(missing);
  std::sort(missing_rows.begin(), missing_rows.end());
  missing_rows.erase(std::unique(missing_rows.begin(), missing_rows.end()), missing_rows.end());
  outcome.missing_rows = std::move(missing_rows);
  return outcome;
}

result<std::vector<index_hit>> loaded_index::search(std::span<const float> vector, std::span<const shard_handle> shards,
                                                    std::size_t k, const named_filter& conditions) const {
  query_options options;
  options.k = k;
  options.filter = conditions;
  auto outcome = query(vector, shards, options);
  if (!outcome) return std::move(outcome).failure();
  return std::move(outcome->hits);
}

result<classification> loaded_index::classify(std::span<const float> vector, std::span<const shard_handle> shards,
                                              const vote_options& options, const named_filter& conditions) const {
  query_options asked;
  asked.k = 0;
  asked.filter = conditions;
  asked.vote = options;
  auto outcome = query(vector, shards, asked);
  if (!outcome) return std::move(outcome).failure();
  return std::move(*outcome->vote);
}

const index::item_metadata* loaded_index::item(shard_handle handle, std::uint32_t row) const {
  const auto found = shards_.find(handle);
  if (found == shards_.end() || row >= found->second->items.size()) return nullptr;
  return &found->second->items[row];
}

const index::item_metadata* loaded_index::item_by_id(std::uint64_t item_id, std::span<const shard_handle> shards) const {
  for (const shard_handle handle : shards) {
    const auto found = shards_.find(handle);
    if (found == shards_.end()) continue;
    for (const index::item_metadata& candidate : found->second->items) {
      if (candidate.id == item_id) return &candidate;
    }
  }
  return nullptr;
}

result<std::vector<float>> loaded_index::stored_vector(std::uint64_t item_id) const {
  for (const auto& [handle, shard] : shards_) {
    const index::shard_view& vectors = shard->vectors;
    for (std::size_t row = 0; row < vectors.item_count; ++row) {
      if (vectors.item_id(row) != item_id) continue;
      if (!shard->rows_present.empty() && shard->rows_present[row] == 0) continue;  // a head's row not fetched
      std::vector<float> values(vectors.dimensions);
      vectors.row_as_f32(row, values);
      return values;
    }
  }
  return make_error(error_code::invalid_argument, "no loaded shard holds item " + index::format_item_id(item_id));
}

result<std::vector<float>> loaded_index::prepare_query(std::span<const float> model_output) const {
  auto prepared = search::prepare_query(model_output, manifest_.dimensions);
  if (!prepared) return std::move(prepared).failure();
  return std::move(prepared->unit);
}

}  // namespace mosaic::search
