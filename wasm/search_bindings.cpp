// mosaic-core: the search module for the browser. Only type conversion lives here (JS values to the
// core's types and back); validation, search, normalization, the label vote and image preparation are
// the core's (shared/). Every fallible call returns {ok: true, value} or {ok: false, error: {code,
// message}} (js_outcome.hpp). Bytes cross into wasm memory with one copy each way: JavaScript's
// TypedArray.set on a view of the wasm heap, never element by element.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "index/item_metadata.hpp"
#include "index/manifest.hpp"
#include "index/shard_codec.hpp"
#include "js_outcome.hpp"
#include "media/audio_excerpt.hpp"
#include "media/image_preparation.hpp"
#include "media/media_kind.hpp"
#include "media/wav_audio.hpp"
#include "model/use_lite_model.hpp"
#include "search/close_match.hpp"
#include "search/loaded_index.hpp"
#include "partition/partition_codec.hpp"
#include "search/result_json.hpp"
#include "vector/normalize.hpp"

namespace {

using emscripten::val;
using mosaic::error_code;
using mosaic::wasm::failure;
using mosaic::wasm::success;

// ---- JavaScript to C++ ----

// A Uint8Array (or any array-like of bytes) copied into a fresh vector, which is 8-byte aligned as
// the shard decoder requires.
std::vector<std::uint8_t> bytes_from(const val& array) {
  const auto length = array["length"].as<std::size_t>();
  std::vector<std::uint8_t> bytes(length);
  // No allocation happens between making the view and filling it, so the heap cannot move under it.
  if (length > 0) val(emscripten::typed_memory_view(length, bytes.data())).call<void>("set", array);
  return bytes;
}

// A Float32Array or an array of numbers; anything else gives an empty vector (the core then reports
// the dimension mismatch).
std::vector<float> floats_from(const val& values) {
  if (!values.isArray() && !values.instanceof(val::global("Float32Array")) &&
      !values.instanceof(val::global("Float64Array"))) {
    return {};
  }
  const val converted = val::global("Float32Array").new_(values);
  const auto length = converted["length"].as<std::size_t>();
  std::vector<float> floats(length);
  if (length > 0) val(emscripten::typed_memory_view(length, floats.data())).call<void>("set", converted);
  return floats;
}

bool is_whole_number(double value, double smallest, double largest) {
  return std::isfinite(value) && std::floor(value) == value && value >= smallest && value <= largest;
}

// A JavaScript value as JSON text for the core's readers (undefined and null: an empty object).
// JSON.stringify drops undefined fields, as the core's readers expect of absent ones; a function or a
// symbol gives no text, which the reader refuses.
std::string json_text_from(const val& value) {
  if (value.isUndefined() || value.isNull()) return "{}";
  const val text = val::global("JSON").call<val>("stringify", value);
  return text.isString() ? text.as<std::string>() : std::string();
}

// The core's JSON text handed to JavaScript whole: one JSON.parse instead of one crossing per field.
// The JSON library is used in the core's files only (compiled for size), not in these bindings.
val value_from_json_text(const std::string& text) { return val::global("JSON").call<val>("parse", text); }

mosaic::result<std::vector<mosaic::search::shard_handle>> handles_from(const val& handles) {
  if (!handles.isArray()) return mosaic::make_error(error_code::invalid_argument, "shard handles must be an array");
  std::vector<mosaic::search::shard_handle> converted;
  const auto length = handles["length"].as<std::size_t>();
  for (std::size_t i = 0; i < length; ++i) {
    const val handle = handles[i];
    if (!handle.isNumber() || !is_whole_number(handle.as<double>(), 1, 4294967295.0)) {
      return mosaic::make_error(error_code::invalid_argument, "a shard handle must be a whole number from 1");
    }
    converted.push_back(static_cast<mosaic::search::shard_handle>(handle.as<double>()));
  }
  return converted;
}

// ---- C++ to JavaScript ----

val float_array(std::span<const float> values) {
  // A copy: a view into wasm memory would be invalidated when the memory grows.
  val array = val::global("Float32Array").new_(values.size());
  if (!values.empty()) array.call<void>("set", val(emscripten::typed_memory_view(values.size(), values.data())));
  return array;
}

val byte_array(std::span<const std::uint8_t> values) {
  val array = val::global("Uint8Array").new_(values.size());
  if (!values.empty()) array.call<void>("set", val(emscripten::typed_memory_view(values.size(), values.data())));
  return array;
}

val content_file_object(const mosaic::index::content_file& file) {
  val object = val::object();
  object.set("hash", file.hash);
  object.set("file", file.path);
  object.set("bytes", static_cast<double>(file.bytes));
  return object;
}

// The field names of manifest.json, camel-cased as JavaScript objects are.
val manifest_object(const mosaic::index::manifest& manifest) {
  val object = val::object();
  object.set("formatVersion", manifest.format_version);
  object.set("generation", static_cast<double>(manifest.generation));
  object.set("model", manifest.model_id);
  object.set("dimensions", manifest.dimensions);
  object.set("fullDimensions", manifest.full_dimensions);
  object.set("quantization", std::string(mosaic::index::quantization_name(manifest.vector_quantization)));
  object.set("metric", std::string("cosine"));
  object.set("itemCount", static_cast<double>(manifest.item_count()));
  val shards = val::array();
  for (const mosaic::index::manifest_shard& shard : manifest.shards) {
    val entry = content_file_object(shard.vectors);
    entry.set("items", static_cast<double>(shard.item_count));
    entry.set("metadata", content_file_object(shard.metadata));
    shards.call<void>("push", entry);
  }
  object.set("shards", shards);
  if (manifest.keywords) object.set("keywords", content_file_object(*manifest.keywords));
  object.set("layout", std::string(mosaic::index::index_layout_name(manifest.layout)));
  if (manifest.layout == mosaic::index::index_layout::partitioned) {
    val partitions = val::array();
    for (const mosaic::index::manifest_partition& partition : manifest.partitions) {
      val entry = content_file_object(partition.vectors);
      entry.set("items", static_cast<double>(partition.item_count));
      entry.set("headBytes", static_cast<double>(partition.head_bytes));
      entry.set("metadata", content_file_object(partition.metadata));
      partitions.call<void>("push", entry);
    }
    object.set("partitions", partitions);
    if (manifest.centroids) {
      val centroids = content_file_object(*manifest.centroids);
      centroids.set("items", static_cast<double>(manifest.partitions.size()));
      object.set("centroids", centroids);
    }
  }
  return object;
}

// ---- The bindings ----

class index_binding {
 public:
  explicit index_binding(mosaic::search::loaded_index index) : index_(std::move(index)) {}

  // {handle, itemCount}: the shard stays in wasm memory until releaseShard(handle). Its item metadata
  // stays there too and is turned into JavaScript objects only when asked for (items, itemAt,
  // itemById): building 10,000 objects per shard while loading cost more than searching them.
  val add_shard(double position, const val& shard_bytes, const val& metadata_bytes) {
    if (!is_whole_number(position, 0, 4294967295.0)) {
      return failure(error_code::invalid_argument, "the shard position must be a whole number from 0");
    }
    const std::vector<std::uint8_t> metadata = bytes_from(metadata_bytes);
    auto handle = index_.add_shard(static_cast<std::size_t>(position), bytes_from(shard_bytes), metadata);
    if (!handle) return failure(handle.failure());
    val value = val::object();
    value.set("handle", handle.value());
    value.set("itemCount", static_cast<double>(index_.items(handle.value())->size()));
    return success(value);
  }

  // Partitioned sites: the centroid table's bytes, checked against the manifest's entry.
  val set_centroids(const val& bytes) {
    auto set = index_.set_centroids(bytes_from(bytes));
    if (!set) return failure(set.failure());
    return success(val::null());
  }

  // {handle, itemCount}: a whole partition and its item metadata, checked as add_shard checks a shard.
  val add_partition(double position, const val& partition_bytes, const val& metadata_bytes) {
    if (!is_whole_number(position, 0, 4294967295.0)) {
      return failure(error_code::invalid_argument, "the partition position must be a whole number from 0");
    }
    const std::vector<std::uint8_t> metadata = bytes_from(metadata_bytes);
    const std::vector<std::uint8_t> partition = bytes_from(partition_bytes);
    auto handle = index_.add_partition(static_cast<std::size_t>(position), partition, metadata);
    if (!handle) return failure(handle.failure());
    val value = val::object();
    value.set("handle", handle.value());
    value.set("itemCount", static_cast<double>(index_.items(handle.value())->size()));
    return success(value);
  }

  // {handle, itemCount, rowsOffset, rowStride}: a partition's head alone (bytes [0, headBytes)) and its
  // item metadata; its rows come later by addPartitionRows, each at rowsOffset + row * rowStride in the
  // file (the partition layout, docs/format.md), as answers name them (missing_rows).
  val add_partition_head(double position, const val& head_bytes, const val& metadata_bytes) {
    if (!is_whole_number(position, 0, 4294967295.0)) {
      return failure(error_code::invalid_argument, "the partition position must be a whole number from 0");
    }
    const std::vector<std::uint8_t> metadata = bytes_from(metadata_bytes);
    const std::vector<std::uint8_t> head = bytes_from(head_bytes);
    auto handle = index_.add_partition_head(static_cast<std::size_t>(position), head, metadata);
    if (!handle) return failure(handle.failure());
    const std::size_t items = index_.items(handle.value())->size();
    auto layout = mosaic::partition::compute_partition_layout(index_.manifest().dimensions, items);
    if (!layout) return failure(layout.failure());
    val value = val::object();
    value.set("handle", handle.value());
    value.set("itemCount", static_cast<double>(items));
    value.set("rowsOffset", static_cast<double>(layout->rows_offset));
    value.set("rowStride", static_cast<double>(layout->row_stride));
    return success(value);
  }

  // Rows firstRow, firstRow + 1, ... of a partition held as its head, as one Range request returned them.
  val add_partition_rows(double handle, double first_row, const val& row_bytes) {
    if (!is_whole_number(handle, 1, 4294967295.0)) return failure(error_code::invalid_argument, "not a shard handle");
    if (!is_whole_number(first_row, 0, 4294967295.0)) {
      return failure(error_code::invalid_argument, "the first row must be a whole number from 0");
    }
    auto added = index_.add_partition_rows(static_cast<mosaic::search::shard_handle>(handle),
                                           static_cast<std::size_t>(first_row), bytes_from(row_bytes));
    if (!added) return failure(added.failure());
    return success(val::null());
  }

  // [position]: the partitions a vector query probes first ({nprobe} in options), best first.
  val partitions_to_probe(const val& vector, const val& options) const {
    auto asked = mosaic::search::query_options_from_json_text(json_text_from(options));
    if (!asked) return failure(asked.failure());
    auto wanted = index_.partitions_to_probe(floats_from(vector), asked.value());
    if (!wanted) return failure(wanted.failure());
    val positions = val::array();
    for (const std::uint32_t position : wanted.value()) positions.call<void>("push", position);
    return success(positions);
  }

  // {handle, itemCount}: shard `handle` of `other` (an index of the previous generation) moved into
  // this one at `position`, neither copied nor hashed again (loaded_index::adopt_shard).
  val adopt_shard(double position, index_binding& other, double handle) {
    if (!is_whole_number(position, 0, 4294967295.0)) {
      return failure(error_code::invalid_argument, "the shard position must be a whole number from 0");
    }
    if (!is_whole_number(handle, 1, 4294967295.0)) return failure(error_code::invalid_argument, "not a shard handle");
    auto adopted = index_.adopt_shard(static_cast<std::size_t>(position), other.index_,
                                      static_cast<mosaic::search::shard_handle>(handle));
    if (!adopted) return failure(adopted.failure());
    val value = val::object();
    value.set("handle", adopted.value());
    value.set("itemCount", static_cast<double>(index_.items(adopted.value())->size()));
    return success(value);
  }

  // Every item of one loaded shard, in row order.
  val items(double handle) const {
    const auto* items = items_of(handle);
    if (items == nullptr) return failure(error_code::invalid_argument, "no loaded shard has this handle");
    return success(value_from_json_text(mosaic::index::items_json_text(*items)));
  }

  // The item with this id in one of `handles`, or undefined (also for text that is not an item id).
  val item_by_id(const std::string& item_id, const val& handles) const {
    auto id = mosaic::index::parse_item_id(item_id);
    if (!id) return val::undefined();
    auto shards = handles_from(handles);
    if (!shards) return val::undefined();
    const auto* item = index_.item_by_id(id.value(), shards.value());
    return item == nullptr ? val::undefined() : value_from_json_text(mosaic::index::items_json_text({item, 1}))[0];
  }

  val release_shard(double handle) {
    if (!is_whole_number(handle, 1, 4294967295.0)) return failure(error_code::invalid_argument, "not a shard handle");
    auto released = index_.release_shard(static_cast<mosaic::search::shard_handle>(handle));
    if (!released) return failure(released.failure());
    return success(val::null());
  }

  // The keyword directory's bytes, checked against the manifest's entry (the site's keyword index).
  val set_keyword_directory(const val& bytes) {
    auto set = index_.set_keyword_directory(bytes_from(bytes));
    if (!set) return failure(set.failure());
    return success(val::null());
  }

  // [{index, hash, file, bytes}]: the term files the query text (NFKC-normalized) needs that are not
  // loaded yet, for the caller to fetch and hand to addTermFile.
  val term_files_needed(const std::string& normalized_text) const {
    const auto* keywords = index_.keywords();
    if (keywords == nullptr) return failure(error_code::invalid_argument, "the keyword directory is not loaded");
    auto query = index_.analyze_query(normalized_text);
    if (!query) return failure(query.failure());
    val files = val::array();
    for (const std::size_t file_index : keywords->term_files_needed(query.value())) {
      auto entry = keywords->term_file_entry(file_index);
      if (!entry) return failure(entry.failure());
      val file = content_file_object(entry.value());
      file.set("index", static_cast<double>(file_index));
      files.call<void>("push", file);
    }
    return success(files);
  }

  val add_term_file(double file_index, const val& bytes) {
    auto* keywords = index_.keywords();
    if (keywords == nullptr) return failure(error_code::invalid_argument, "the keyword directory is not loaded");
    if (!is_whole_number(file_index, 0, 4294967295.0)) return failure(error_code::invalid_argument, "not a term file index");
    auto added = keywords->add_term_file(static_cast<std::size_t>(file_index), bytes_from(bytes));
    if (!added) return failure(added.failure());
    return success(val::null());
  }

  // One query, one crossing each way: the options ({k, filter, classify, mode, fusion}) are read by
  // the core (search/result_json.hpp), and the answer comes back as one object: {mode, results: [{id,
  // score, item, matched_terms?, highlights?}], classification?}, items with exactly the fields of
  // items/<hash>.json. `text` is the query's text, NFKC-normalized, for the keyword index ('' for none).
  val query(const val& vector, const val& handles, const val& options, const std::string& text) const {
    auto shards = handles_from(handles);
    if (!shards) return failure(shards.failure());
    auto asked = mosaic::search::query_options_from_json_text(json_text_from(options));
    if (!asked) return failure(asked.failure());
    asked->text = text;
    auto outcome = index_.query(floats_from(vector), shards.value(), asked.value());
    if (!outcome) return failure(outcome.failure());
    return success(value_from_json_text(mosaic::search::query_outcome_json_text(index_, outcome.value())));
  }

  val stored_vector(const std::string& item_id) const {
    auto id = mosaic::index::parse_item_id(item_id);
    if (!id) return failure(id.failure());
    auto values = index_.stored_vector(id.value());
    if (!values) return failure(values.failure());
    return success(float_array(values.value()));
  }

  val prepare_query(const val& model_output) const {
    auto query = index_.prepare_query(floats_from(model_output));
    if (!query) return failure(query.failure());
    return success(float_array(query.value()));
  }

  [[nodiscard]] double loaded_item_count() const { return static_cast<double>(index_.loaded_item_count()); }
  [[nodiscard]] double loaded_shard_count() const { return static_cast<double>(index_.loaded_shard_count()); }

 private:
  [[nodiscard]] const std::vector<mosaic::index::item_metadata>* items_of(double handle) const {
    if (!is_whole_number(handle, 1, 4294967295.0)) return nullptr;
    return index_.items(static_cast<mosaic::search::shard_handle>(handle));
  }

  mosaic::search::loaded_index index_;
};

// {index, manifest}: an empty index for this manifest, which refuses what the core does not understand.
val open_index(const std::string& manifest_json) {
  auto manifest = mosaic::index::parse_manifest(manifest_json);
  if (!manifest) return failure(manifest.failure());
  val manifest_value = manifest_object(manifest.value());
  auto index = mosaic::search::loaded_index::create(std::move(manifest).value());
  if (!index) return failure(index.failure());
  val value = val::object();
  value.set("index", val(std::make_shared<index_binding>(std::move(index).value())));
  value.set("manifest", manifest_value);
  return success(value);
}

val parse_manifest(const std::string& manifest_json) {
  auto manifest = mosaic::index::parse_manifest(manifest_json);
  if (!manifest) return failure(manifest.failure());
  return success(manifest_object(manifest.value()));
}

val parse_item_metadata(const std::string& metadata_json, double expected_items) {
  if (!is_whole_number(expected_items, 0, 4294967295.0)) {
    return failure(error_code::invalid_argument, "the expected item count must be a whole number");
  }
  auto items = mosaic::index::parse_item_metadata(metadata_json, static_cast<std::size_t>(expected_items));
  if (!items) return failure(items.failure());
  return success(value_from_json_text(mosaic::index::items_json_text(items.value())));
}

// Matryoshka truncation to `dimensions` and L2 normalization (dimensions = length: normalization only).
val truncate_and_normalize(const val& values, double dimensions) {
  if (!is_whole_number(dimensions, 1, 65536)) return failure(error_code::invalid_argument, "dimensions must be 1 to 65536");
  const std::vector<float> floats = floats_from(values);
  if (floats.size() < static_cast<std::size_t>(dimensions)) {
    return failure(error_code::dimension_mismatch, "the vector has " + std::to_string(floats.size()) +
                                                       " dimensions, fewer than " + std::to_string(static_cast<std::size_t>(dimensions)));
  }
  auto truncated = mosaic::vector::truncate_and_normalize(floats, static_cast<std::size_t>(dimensions));
  if (!truncated) return failure(truncated.failure());
  return success(float_array(truncated.value()));
}

// {bytes: JPEG, width, height, originalWidth, originalHeight, resized}.
val prepare_image(const val& bytes, double max_side, double quality) {
  if (!is_whole_number(max_side, 1, 4294967295.0) || !is_whole_number(quality, 1, 100)) {
    return failure(error_code::invalid_argument, "maxSide must be a whole number from 1 and quality from 1 to 100");
  }
  const std::vector<std::uint8_t> input = bytes_from(bytes);
  auto prepared = mosaic::media::prepare_image(input, static_cast<std::uint32_t>(max_side), static_cast<int>(quality));
  if (!prepared) return failure(prepared.failure());
  val value = val::object();
  value.set("bytes", byte_array(prepared->jpeg_bytes));
  value.set("mimeType", std::string("image/jpeg"));
  value.set("width", prepared->width);
  value.set("height", prepared->height);
  value.set("originalWidth", prepared->original_width);
  value.set("originalHeight", prepared->original_height);
  value.set("resized", prepared->resized);
  return success(value);
}

// A 16-bit PCM WAV of float samples (a Float32Array from Web Audio, interleaved when channels > 1):
// {ok, value: Uint8Array}. Browsers record WebM/Opus or MP4/AAC, which Gemini does not take.
val encode_wav(const val& samples, double channels, double sample_rate) {
  if (!is_whole_number(channels, 1, 65535) || !is_whole_number(sample_rate, 1, 4294967295.0)) {
    return failure(error_code::invalid_argument, "channels and sampleRate must be whole numbers from 1");
  }
  if (!samples.instanceof(val::global("Float32Array"))) {
    return failure(error_code::invalid_argument, "the samples must be a Float32Array");
  }
  const std::vector<float> floats = floats_from(samples);
  auto written = mosaic::media::write_pcm16_wav(floats, static_cast<std::uint16_t>(channels), static_cast<std::uint32_t>(sample_rate));
  if (!written) return failure(written.failure());
  return success(byte_array(written.value()));
}

// The first maxSeconds of a WAV or MP3, cut at a frame boundary without decoding:
// {bytes, mimeType, seconds, sourceSeconds, truncated}; bytes are the input's own when it fits.
val audio_excerpt(const val& bytes, double max_seconds) {
  if (!is_whole_number(max_seconds, 1, 4294967295.0)) {
    return failure(error_code::invalid_argument, "maxSeconds must be a whole number from 1");
  }
  const std::vector<std::uint8_t> input = bytes_from(bytes);
  auto excerpt = mosaic::media::leading_audio_excerpt(input, static_cast<std::uint32_t>(max_seconds));
  if (!excerpt) return failure(excerpt.failure());
  val value = val::object();
  value.set("bytes", byte_array(excerpt->bytes));
  value.set("mimeType", std::string(excerpt->mime_type));
  value.set("seconds", static_cast<double>(excerpt->duration_milliseconds) / 1000.0);
  value.set("sourceSeconds", static_cast<double>(excerpt->source_duration_milliseconds) / 1000.0);
  value.set("truncated", excerpt->truncated);
  return success(value);
}

// What bytes are, by their magic numbers: {kind, mimeType, format, reason, acceptedByGemini}. Never fails.
val detect_media(const val& bytes) {
  const std::vector<std::uint8_t> input = bytes_from(bytes);
  const mosaic::media::media_detection detection = mosaic::media::detect_media_kind(input);
  val value = val::object();
  value.set("kind", std::string(mosaic::media::media_kind_name(detection.kind)));
  value.set("mimeType", std::string(detection.mime_type));
  value.set("format", std::string(detection.format));
  value.set("reason", detection.reason);
  value.set("acceptedByGemini", detection.accepted_by_gemini);
  return value;
}

// The model's close-match similarity (search/close_match.hpp), or undefined when none was measured.
val close_match_similarity(const std::string& model_id) {
  const auto similarity = mosaic::search::close_match_similarity(model_id);
  return similarity ? val(static_cast<double>(*similarity)) : val::undefined();
}

}  // namespace

EMSCRIPTEN_BINDINGS(mosaic_core) {
  emscripten::class_<index_binding>("LoadedIndex")
      .smart_ptr<std::shared_ptr<index_binding>>("LoadedIndexPointer")
      .function("addShard", &index_binding::add_shard)
      .function("adoptShard", &index_binding::adopt_shard)
      .function("setCentroids", &index_binding::set_centroids)
      .function("addPartition", &index_binding::add_partition)
      .function("partitionsToProbe", &index_binding::partitions_to_probe)
      .function("addPartitionHead", &index_binding::add_partition_head)
      .function("addPartitionRows", &index_binding::add_partition_rows)
      .function("releaseShard", &index_binding::release_shard)
      .function("items", &index_binding::items)
      .function("itemById", &index_binding::item_by_id)
      .function("query", &index_binding::query)
      .function("setKeywordDirectory", &index_binding::set_keyword_directory)
      .function("termFilesNeeded", &index_binding::term_files_needed)
      .function("addTermFile", &index_binding::add_term_file)
      .function("storedVector", &index_binding::stored_vector)
      .function("prepareQuery", &index_binding::prepare_query)
      .function("loadedItemCount", &index_binding::loaded_item_count)
      .function("loadedShardCount", &index_binding::loaded_shard_count);
  emscripten::function("openIndex", &open_index);
  emscripten::function("parseManifest", &parse_manifest);
  emscripten::function("parseItemMetadata", &parse_item_metadata);
  emscripten::function("truncateAndNormalize", &truncate_and_normalize);
  emscripten::function("prepareImage", &prepare_image);
  emscripten::function("detectMedia", &detect_media);
  emscripten::function("encodeWav", &encode_wav);
  emscripten::function("audioExcerpt", &audio_excerpt);
  emscripten::function("closeMatchSimilarity", &close_match_similarity);
  emscripten::constant("manifestFormatVersion", mosaic::index::manifest_format_version);
  // Text queries of an index built with this model are embedded in the page (mosaic-model.mjs).
  emscripten::constant("localModelId", std::string(mosaic::model::use_lite_model_id));
}
