#include "index/manifest.hpp"

#include <limits>

#include "core/json_fields.hpp"
#include "index/shard_codec.hpp"

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

  if (const json* keywords = reader.find("keywords"); keywords != nullptr) {
    if (value.format_version < 2) return reader.invalid("keywords", "needs format_version 2");
    auto directory = parse_content_file(*keywords, "manifest.json keywords", &keyword_directory_path_for);
    if (!directory) return std::move(directory).failure();
    value.keywords = std::move(directory).value();
  }

  if (const json* declared = reader.find("item_count"); declared != nullptr) {
    if (!declared->is_number_unsigned() || declared->get<std::uint64_t>() != value.item_count()) {
      return reader.invalid("item_count", "must equal the sum of the shards' items (" +
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
  // Version 1 unless a version 2 field is written, so a site without them stays readable by older clients.
  const std::uint32_t version = value.keywords ? 2 : 1;
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
  // Replace invalid UTF-8 instead of throwing: names come from file systems that allow any bytes.
  return root.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace mosaic::index
