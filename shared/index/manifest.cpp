#include "index/manifest.hpp"

#include <limits>

#include "core/json_fields.hpp"
#include "index/shard_codec.hpp"
#include "partition/partition_codec.hpp"

namespace mosaic::index {
namespace {

using json_fields::object_reader;
using nlohmann::json;

constexpr std::uint64_t max_generation = (std::uint64_t{1} << 53) - 1;  // exact in JavaScript numbers
constexpr std::uint64_t max_file_bytes = (std::uint64_t{1} << 53) - 1;
constexpr std::size_t max_model_id_length = 256;

result<content_file> parse_content_file(const json& value, const std::string& context,
                                        std::string (*canonical_path)(std::string_view)) {
  if (!value.is_object()) return make_error(error_code::invalid_manifest, context + " must be an object");
  const object_reader reader(value, context, error_code::invalid_manifest);
  content_file file;
  auto hash = reader.required_string("hash");
  if (!hash) return std::move(hash).failure();
  if (!is_sha256_hex(hash.value())) return reader.invalid("hash", "must be 64 lower-case hexadecimal digits");
  file.hash = std::move(hash).value();
  auto path = reader.required_string("file");
  if (!path) return std::move(path).failure();
  if (path.value() != canonical_path(file.hash)) {
    return reader.invalid("file", "must be \"" + canonical_path(file.hash) + "\" (content-addressed by its hash)");
  }
  file.path = std::move(path).value();
  auto bytes = reader.required_unsigned("bytes", max_file_bytes);
  if (!bytes) return std::move(bytes).failure();
  file.bytes = bytes.value();
  return file;
}

json content_file_json(const content_file& file) {
  return json{{"hash", file.hash}, {"file", file.path}, {"bytes", file.bytes}};
}

// The partitioned layout's fields (docs/format.md, "Version 2 fields"): the centroid table, then every
// partition in centroid order. Called once `value` holds the version 1 fields and an empty shard list.
status parse_partitioned_fields(const object_reader& reader, manifest& value) {
  if (value.vector_quantization != quantization::i8) {
    return reader.invalid("quantization", "must be \"i8\" in the partitioned layout");
  }
  const json* partitions = reader.find("partitions");
  if (partitions == nullptr) return reader.missing("partitions");
  if (!partitions->is_array()) return reader.wrong_type("partitions", "an array");
  if (partitions->empty()) return reader.invalid("partitions", "must name at least one partition");
  if (partitions->size() > max_manifest_partitions) {
    return reader.invalid("partitions", "names " + std::to_string(partitions->size()) + " partitions, above the limit " +
                                            std::to_string(max_manifest_partitions));
  }

  const json* centroids = reader.find("centroids");
  if (centroids == nullptr) return reader.missing("centroids");
  auto table = parse_content_file(*centroids, "manifest.json centroids", &centroid_table_path_for);
  if (!table) return std::move(table).failure();
  const object_reader table_reader(*centroids, "manifest.json centroids", error_code::invalid_manifest);
  auto rows = table_reader.required_unsigned("items", max_manifest_partitions);
  if (!rows) return std::move(rows).failure();
  if (rows.value() != partitions->size()) {
    return table_reader.invalid("items", "is " + std::to_string(rows.value()) + " but the manifest names " +
                                             std::to_string(partitions->size()) + " partitions");
  }
  auto table_layout = compute_shard_layout(value.dimensions, rows.value(), quantization::i8);
  if (!table_layout) {
    return make_error(error_code::invalid_manifest, "manifest.json centroids: " + table_layout.failure().message);
  }
  if (table_layout->total_bytes != table->bytes) {
    return table_reader.invalid("bytes", "is " + std::to_string(table->bytes) + " but " + std::to_string(rows.value()) +
                                             " int8 centroids of " + std::to_string(value.dimensions) +
                                             " dimensions take " + std::to_string(table_layout->total_bytes));
  }
  value.centroids = std::move(table).value();

  value.partitions.reserve(partitions->size());
  for (std::size_t position = 0; position < partitions->size(); ++position) {
    const json& entry = (*partitions)[position];
    const std::string context = "manifest.json partitions[" + std::to_string(position) + "]";
    if (!entry.is_object()) return make_error(error_code::invalid_manifest, context + " must be an object");
    const object_reader partition_reader(entry, context, error_code::invalid_manifest);
    manifest_partition partition;
    auto vectors = parse_content_file(entry, context, &partition_path_for);
    if (!vectors) return std::move(vectors).failure();
    partition.vectors = std::move(vectors).value();
    // A partition file counts its rows in 32 bits.
    auto items = partition_reader.required_unsigned("items", std::numeric_limits<std::uint32_t>::max());
    if (!items) return std::move(items).failure();
    partition.item_count = items.value();
    auto layout = partition::compute_partition_layout(value.dimensions, partition.item_count);
    if (!layout) return make_error(error_code::invalid_manifest, context + ": " + layout.failure().message);
    if (layout->total_bytes != partition.vectors.bytes) {
      return partition_reader.invalid("bytes", "is " + std::to_string(partition.vectors.bytes) + " but a partition of " +
                                                   std::to_string(partition.item_count) + " items of " +
                                                   std::to_string(value.dimensions) + " dimensions takes " +
                                                   std::to_string(layout->total_bytes));
    }
    auto head_bytes = partition_reader.required_unsigned("head_bytes", max_file_bytes);
    if (!head_bytes) return std::move(head_bytes).failure();
    if (head_bytes.value() != layout->rows_offset) {
      return partition_reader.invalid("head_bytes", "is " + std::to_string(head_bytes.value()) +
                                                        " but the partition's rows start at " +
                                                        std::to_string(layout->rows_offset));
    }
    partition.head_bytes = head_bytes.value();
    const json* metadata = partition_reader.find("metadata");
    if (metadata == nullptr) return partition_reader.missing("metadata");
    auto metadata_file = parse_content_file(*metadata, context + ".metadata", &metadata_path_for);
    if (!metadata_file) return std::move(metadata_file).failure();
    partition.metadata = std::move(metadata_file).value();
    // Item metadata may repeat (two empty partitions describe no rows alike); a partition file cannot,
    // since its header names its position.
    for (const manifest_partition& earlier : value.partitions) {
      if (earlier.vectors.hash == partition.vectors.hash) {
        return make_error(error_code::invalid_manifest,
                          context + ": partition " + partition.vectors.hash + " is listed twice");
      }
    }
    value.partitions.push_back(std::move(partition));
  }
  return success{};
}

}  // namespace

std::uint64_t manifest::item_count() const noexcept {
  std::uint64_t total = 0;
  for (const manifest_shard& shard : shards) total += shard.item_count;
  for (const manifest_partition& partition : partitions) total += partition.item_count;
  return total;
}

std::string_view index_layout_name(index_layout layout) noexcept {
  return layout == index_layout::partitioned ? "partitioned" : "flat";
}

bool is_sha256_hex(std::string_view text) noexcept {
  if (text.size() != 64) return false;
  for (char character : text) {
    const bool digit = character >= '0' && character <= '9';
    const bool lower_hex = character >= 'a' && character <= 'f';
    if (!digit && !lower_hex) return false;
  }
  return true;
}

bool is_safe_relative_path(std::string_view path) noexcept {
  if (path.empty() || path.front() == '/') return false;
  std::size_t segment_start = 0;
  for (std::size_t position = 0; position <= path.size(); ++position) {
    if (position < path.size()) {
      const auto character = static_cast<unsigned char>(path[position]);
      if (character < 0x20 || character == 0x7F || character == '\\' || character == ':') return false;
      if (character != '/') continue;
    }
    const std::string_view segment = path.substr(segment_start, position - segment_start);
    if (segment.empty() || segment == "." || segment == "..") return false;
    segment_start = position + 1;
  }
  return true;
}

std::string shard_path_for(std::string_view hash) { return "shards/" + std::string(hash) + ".bin"; }
std::string metadata_path_for(std::string_view hash) { return "items/" + std::string(hash) + ".json"; }
std::string keyword_directory_path_for(std::string_view hash) { return "keywords/" + std::string(hash) + ".bin"; }
std::string term_file_path_for(std::string_view hash) { return "terms/" + std::string(hash) + ".bin"; }
std::string centroid_table_path_for(std::string_view hash) { return "centroids/" + std::string(hash) + ".bin"; }
std::string partition_path_for(std::string_view hash) { return "partitions/" + std::string(hash) + ".bin"; }

result<manifest> parse_manifest(std::string_view json_text) {
  auto parsed = json_fields::parse_json(json_text, "manifest.json");
  if (!parsed) return std::move(parsed).failure();
  const json& root = parsed.value();
  if (!root.is_object()) return make_error(error_code::invalid_manifest, "manifest.json must be a JSON object");
  const object_reader reader(root, "manifest.json", error_code::invalid_manifest);

  auto format = reader.required_string("format");
  if (!format) return std::move(format).failure();
  if (format.value() != manifest_format_name) {
    return reader.invalid("format", "is \"" + format.value() + "\", expected \"mosaic-index\"");
  }
  auto version = reader.required_unsigned("format_version", std::numeric_limits<std::uint32_t>::max());
  if (!version) return std::move(version).failure();
  if (version.value() == 0) return reader.invalid("format_version", "must be at least 1");
  if (version.value() > manifest_format_version) {
    return make_error(error_code::unsupported_manifest_version,
                      "manifest.json has format version " + std::to_string(version.value()) +
                          ", newer than this Mosaic understands (" + std::to_string(manifest_format_version) +
                          "); update Mosaic or rebuild the index");
  }

  manifest value;
  value.format_version = static_cast<std::uint32_t>(version.value());
  auto generation = reader.required_unsigned("generation", max_generation);
  if (!generation) return std::move(generation).failure();
  value.generation = generation.value();

  auto model = reader.required_string("model");
  if (!model) return std::move(model).failure();
  if (model.value().empty() || model.value().size() > max_model_id_length) {
    return reader.invalid("model", "must be a non-empty model id of at most 256 characters");
  }
  value.model_id = std::move(model).value();

  auto dimensions = reader.required_unsigned("dimensions", max_shard_dimensions);
  if (!dimensions) return std::move(dimensions).failure();
  auto full_dimensions = reader.required_unsigned("full_dimensions", max_shard_dimensions);
  if (!full_dimensions) return std::move(full_dimensions).failure();
  if (dimensions.value() == 0) return reader.invalid("dimensions", "must be at least 1");
  if (full_dimensions.value() < dimensions.value()) {
    return reader.invalid("full_dimensions", "must be at least the stored dimensions (" +
                                                 std::to_string(dimensions.value()) + ")");
  }
  value.dimensions = static_cast<std::uint32_t>(dimensions.value());
  value.full_dimensions = static_cast<std::uint32_t>(full_dimensions.value());

  auto quantization_text = reader.required_string("quantization");
  if (!quantization_text) return std::move(quantization_text).failure();
  auto kind = parse_quantization(quantization_text.value());
  if (!kind) return reader.invalid("quantization", "must be \"f32\" or \"i8\"");
  value.vector_quantization = kind.value();

  auto metric_text = reader.required_string("metric");
  if (!metric_text) return std::move(metric_text).failure();
  if (metric_text.value() != "cosine") return reader.invalid("metric", "must be \"cosine\"");

  const json* shards = reader.find("shards");
  if (shards == nullptr) return reader.missing("shards");
  if (!shards->is_array()) return reader.wrong_type("shards", "an array");
  value.shards.reserve(shards->size());
  for (std::size_t position = 0; position < shards->size(); ++position) {
    const json& entry = (*shards)[position];
    const std::string context = "manifest.json shards[" + std::to_string(position) + "]";
    if (!entry.is_object()) return make_error(error_code::invalid_manifest, context + " must be an object");
    const object_reader shard_reader(entry, context, error_code::invalid_manifest);
    manifest_shard shard;
    auto vectors = parse_content_file(entry, context, &shard_path_for);
    if (!vectors) return std::move(vectors).failure();
    shard.vectors = std::move(vectors).value();
    auto items = shard_reader.required_unsigned("items", max_shard_items);
    if (!items) return std::move(items).failure();
    shard.item_count = items.value();
    auto layout = compute_shard_layout(value.dimensions, shard.item_count, value.vector_quantization);
    if (!layout) return make_error(error_code::invalid_manifest, context + ": " + layout.failure().message);
    if (layout->total_bytes != shard.vectors.bytes) {
      return shard_reader.invalid("bytes", "is " + std::to_string(shard.vectors.bytes) + " but " +
                                               std::to_string(shard.item_count) + " items of " +
                                               std::to_string(value.dimensions) + " dimensions take " +
                                               std::to_string(layout->total_bytes));
    }
    const json* metadata = shard_reader.find("metadata");
    if (metadata == nullptr) return shard_reader.missing("metadata");
    auto metadata_file = parse_content_file(*metadata, context + ".metadata", &metadata_path_for);
    if (!metadata_file) return std::move(metadata_file).failure();
    shard.metadata = std::move(metadata_file).value();
    for (const manifest_shard& earlier : value.shards) {
      if (earlier.vectors.hash == shard.vectors.hash) {
        return make_error(error_code::invalid_manifest, context + ": shard " + shard.vectors.hash + " is listed twice");
      }
    }
    value.shards.push_back(std::move(shard));
  }

  auto layout_name = reader.optional_string("layout");
  if (!layout_name) return std::move(layout_name).failure();
  if (layout_name.value() && value.format_version < 2) return reader.invalid("layout", "needs format_version 2");
  if (!layout_name.value() || *layout_name.value() == "flat") {
    // The partitioned layout's fields in a flat manifest would be ignored by one client and read by another.
    for (const char* field : {"centroids", "partitions"}) {
      if (reader.find(field) != nullptr) return reader.invalid(field, "is only allowed with \"layout\": \"partitioned\"");
    }
  } else if (*layout_name.value() == "partitioned") {
    if (!value.shards.empty()) return reader.invalid("shards", "must be empty in the partitioned layout");
    value.layout = index_layout::partitioned;
    if (auto parsed_partitions = parse_partitioned_fields(reader, value); !parsed_partitions) {
      return std::move(parsed_partitions).failure();
    }
  } else {
    return reader.invalid("layout", "must be \"flat\" or \"partitioned\"");
  }

  if (const json* keywords = reader.find("keywords"); keywords != nullptr) {
    if (value.format_version < 2) return reader.invalid("keywords", "needs format_version 2");
    auto directory = parse_content_file(*keywords, "manifest.json keywords", &keyword_directory_path_for);
    if (!directory) return std::move(directory).failure();
    value.keywords = std::move(directory).value();
  }

  if (const json* declared = reader.find("item_count"); declared != nullptr) {
    if (!declared->is_number_unsigned() || declared->get<std::uint64_t>() != value.item_count()) {
      return reader.invalid("item_count", "must equal the sum of the shards' or partitions' items (" +
                                              std::to_string(value.item_count()) + ")");
    }
  }
  return value;
}

result<std::string> serialize_manifest(const manifest& value) {
  if (value.model_id.empty() || value.dimensions == 0 || value.full_dimensions < value.dimensions ||
      value.dimensions > max_shard_dimensions || value.generation > max_generation) {
    return make_error(error_code::invalid_manifest,
                      "cannot write a manifest without a model id, with zero dimensions, with full dimensions "
                      "below the stored ones, or with a generation above 2^53 - 1");
  }
  json shards = json::array();
  for (const manifest_shard& shard : value.shards) {
    if (!is_sha256_hex(shard.vectors.hash) || !is_sha256_hex(shard.metadata.hash)) {
      return make_error(error_code::invalid_manifest, "shard and metadata hashes must be SHA-256 hex");
    }
    json entry = content_file_json(shard.vectors);
    entry["items"] = shard.item_count;
    entry["metadata"] = content_file_json(shard.metadata);
    shards.push_back(std::move(entry));
  }
  if (value.keywords && !is_sha256_hex(value.keywords->hash)) {
    return make_error(error_code::invalid_manifest, "the keyword directory's hash must be SHA-256 hex");
  }
  const bool partitioned = value.layout == index_layout::partitioned;
  json partitions = json::array();
  if (partitioned) {
    if (!value.shards.empty() || !value.centroids || value.partitions.empty() ||
        value.partitions.size() > max_manifest_partitions || value.vector_quantization != quantization::i8 ||
        !is_sha256_hex(value.centroids->hash)) {
      return make_error(error_code::invalid_manifest,
                        "cannot write a partitioned manifest with shards, without a centroid table, with no "
                        "partitions or more than 65536, or with float32 vectors");
    }
    for (const manifest_partition& partition : value.partitions) {
      if (!is_sha256_hex(partition.vectors.hash) || !is_sha256_hex(partition.metadata.hash)) {
        return make_error(error_code::invalid_manifest, "partition and metadata hashes must be SHA-256 hex");
      }
      json entry = content_file_json(partition.vectors);
      entry["items"] = partition.item_count;
      entry["head_bytes"] = partition.head_bytes;
      entry["metadata"] = content_file_json(partition.metadata);
      partitions.push_back(std::move(entry));
    }
  } else if (value.centroids || !value.partitions.empty()) {
    return make_error(error_code::invalid_manifest, "cannot write a flat manifest with a centroid table or partitions");
  }
  // Version 1 unless a version 2 field is written, so a site without them stays readable by older clients.
  const std::uint32_t version = value.keywords || partitioned ? 2 : 1;
  json root{{"format", manifest_format_name},
                  {"format_version", version},
                  {"generation", value.generation},
                  {"model", value.model_id},
                  {"dimensions", value.dimensions},
                  {"full_dimensions", value.full_dimensions},
                  {"quantization", quantization_name(value.vector_quantization)},
                  {"metric", "cosine"},
                  {"item_count", value.item_count()},
                  {"shards", std::move(shards)}};
  if (value.keywords) root["keywords"] = content_file_json(*value.keywords);
  if (partitioned) {
    root["layout"] = index_layout_name(value.layout);
    json table = content_file_json(*value.centroids);
    table["items"] = value.partitions.size();
    root["centroids"] = std::move(table);
    root["partitions"] = std::move(partitions);
  }
  // Replace invalid UTF-8 instead of throwing: names come from file systems that allow any bytes.
  return root.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace mosaic::index
