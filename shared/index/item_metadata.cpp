#include "index/item_metadata.hpp"

#include <algorithm>

#include "core/json_fields.hpp"
#include "index/manifest.hpp"

namespace mosaic::index {
namespace {

using json_fields::object_reader;
using nlohmann::json;

constexpr std::string_view metadata_format_name = "mosaic-items";
constexpr std::size_t max_text_field_bytes = 64 * 1024;
constexpr std::size_t max_tags_per_item = 256;
constexpr std::size_t max_transcript_segments = 4096;

result<std::string> bounded_string(const object_reader& reader, std::string_view key, bool required) {
  std::string text;
  if (required) {
    auto value = reader.required_string(key);
    if (!value) return std::move(value).failure();
    text = std::move(value).value();
  } else {
    auto value = reader.optional_string(key);
    if (!value) return std::move(value).failure();
    text = value.value().value_or("");
  }
  if (text.size() > max_text_field_bytes) return reader.invalid(key, "is longer than 64 KiB");
  return text;
}

result<item_metadata> parse_item(const json& entry, const std::string& context) {
  if (!entry.is_object()) return make_error(error_code::invalid_metadata, context + " must be an object");
  const object_reader reader(entry, context, error_code::invalid_metadata);
  item_metadata item;

  auto id_text = reader.required_string("id");
  if (!id_text) return std::move(id_text).failure();
  auto id = parse_item_id(id_text.value());
  if (!id) return reader.invalid("id", "must be 16 lower-case hexadecimal digits");
  item.id = id.value();

  auto kind_text = reader.required_string("modality");
  if (!kind_text) return std::move(kind_text).failure();
  auto kind = parse_modality(kind_text.value());
  if (!kind) return reader.invalid("modality", "must be text, image, audio, video or pdf");
  item.kind = kind.value();

  struct text_field {
    std::string_view key;
    std::string* target;
    bool required;
  };
  for (const text_field& field : {text_field{"title", &item.title, true}, text_field{"source", &item.source, true},
                                  text_field{"mime_type", &item.mime_type, true},
                                  text_field{"label", &item.label, false},
                                  text_field{"thumbnail", &item.thumbnail, false},
                                  text_field{"media", &item.media, false},
                                  text_field{"snippet", &item.snippet, false}}) {
    auto value = bounded_string(reader, field.key, field.required);
    if (!value) return std::move(value).failure();
    *field.target = std::move(value).value();
  }
  if (!item.thumbnail.empty() && !is_safe_relative_path(item.thumbnail)) {
    return reader.invalid("thumbnail", "must be a relative path inside the index (no '..', no leading '/')");
  }
  if (!item.media.empty() && !is_safe_relative_path(item.media)) {
    return reader.invalid("media", "must be a relative path inside the index (no '..', no leading '/')");
  }

  if (const json* tags = reader.find("tags"); tags != nullptr && !tags->is_null()) {
    if (!tags->is_array()) return reader.wrong_type("tags", "an array of strings");
    if (tags->size() > max_tags_per_item) return reader.invalid("tags", "has more than 256 entries");
    for (const json& tag : *tags) {
      if (!tag.is_string() || tag.get_ref<const std::string&>().empty()) {
        return reader.wrong_type("tags", "an array of non-empty strings");
      }
      item.tags.push_back(tag.get<std::string>());
    }
  }

  auto offset = reader.optional_unsigned("source_offset", (std::uint64_t{1} << 53) - 1);
  if (!offset) return std::move(offset).failure();
  item.source_offset = offset.value();
  auto last_page = reader.optional_unsigned("last_page", (std::uint64_t{1} << 53) - 1);
  if (!last_page) return std::move(last_page).failure();
  item.last_page = last_page.value();
  if (item.last_page && (!item.source_offset || *item.last_page < *item.source_offset)) {
    return reader.invalid("last_page", "needs a source_offset (the first page) no larger than it");
  }

  auto embedded_from = reader.optional_string("embedded_from");
  if (!embedded_from) return std::move(embedded_from).failure();
  if (embedded_from.value().has_value()) {
    if (*embedded_from.value() == "caption") {
      item.embedded_from = embedding_source::caption;
    } else if (*embedded_from.value() != "content") {
      return reader.invalid("embedded_from", "must be \"content\" or \"caption\"");
    }
  }

  auto text_from = reader.optional_string("text_from");
  if (!text_from) return std::move(text_from).failure();
  if (text_from.value().has_value()) {
    if (*text_from.value() == "pdf") {
      item.text_from = text_origin::pdf;
    } else if (*text_from.value() == "ocr") {
      item.text_from = text_origin::ocr;
    } else if (*text_from.value() == "speech") {
      item.text_from = text_origin::speech;
    } else {
      return reader.invalid("text_from", "must be \"pdf\", \"ocr\" or \"speech\"");
    }
  }

  if (const json* transcript = reader.find("transcript"); transcript != nullptr && !transcript->is_null()) {
    if (!transcript->is_array()) return reader.wrong_type("transcript", "an array of segments");
    if (transcript->size() > max_transcript_segments) return reader.invalid("transcript", "has more than 4096 segments");
    std::uint64_t previous_start = 0;
    for (const json& segment_entry : *transcript) {
      const std::string where = context + ".transcript[" + std::to_string(item.transcript.size()) + "]";
      if (!segment_entry.is_object()) return make_error(error_code::invalid_metadata, where + " must be an object");
      const object_reader segment_reader(segment_entry, where, error_code::invalid_metadata);
      transcript_segment segment;
      auto start = segment_reader.required_unsigned("start_ms", (std::uint64_t{1} << 53) - 1);
      if (!start) return std::move(start).failure();
      auto end = segment_reader.required_unsigned("end_ms", (std::uint64_t{1} << 53) - 1);
      if (!end) return std::move(end).failure();
      auto text = bounded_string(segment_reader, "text", true);
      if (!text) return std::move(text).failure();
      segment.start_milliseconds = start.value();
      segment.end_milliseconds = end.value();
      segment.text = std::move(text).value();
      if (segment.end_milliseconds < segment.start_milliseconds) return segment_reader.invalid("end_ms", "is before start_ms");
      if (segment.start_milliseconds < previous_start) return segment_reader.invalid("start_ms", "is before the previous segment's");
      previous_start = segment.start_milliseconds;
      item.transcript.push_back(std::move(segment));
    }
  }
  return item;
}

}  // namespace

std::string format_item_id(std::uint64_t id) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string text(16, '0');
  for (std::size_t position = 0; position < 16; ++position) {
    text[15 - position] = digits[(id >> (4 * position)) & 0xF];
  }
  return text;
}

result<std::uint64_t> parse_item_id(std::string_view text) {
  if (text.size() != 16) return make_error(error_code::invalid_argument, "an item id has 16 hexadecimal digits");
  std::uint64_t id = 0;
  for (char character : text) {
    std::uint64_t digit = 0;
    if (character >= '0' && character <= '9') {
      digit = static_cast<std::uint64_t>(character - '0');
    } else if (character >= 'a' && character <= 'f') {
      digit = static_cast<std::uint64_t>(character - 'a' + 10);
    } else {
      return make_error(error_code::invalid_argument, "an item id has only lower-case hexadecimal digits");
    }
    id = id << 4 | digit;
  }
  return id;
}

result<std::vector<item_metadata>> parse_item_metadata(std::string_view json_text, std::size_t expected_items) {
  auto parsed = json_fields::parse_json(json_text, "item metadata");
  if (!parsed) return std::move(parsed).failure();
  const json& root = parsed.value();
  if (!root.is_object()) return make_error(error_code::invalid_metadata, "item metadata must be a JSON object");
  const object_reader reader(root, "item metadata", error_code::invalid_metadata);
  auto format = reader.required_string("format");
  if (!format) return std::move(format).failure();
  if (format.value() != metadata_format_name) return reader.invalid("format", "must be \"mosaic-items\"");
  auto version = reader.required_unsigned("format_version", 0xFFFFFFFFULL);
  if (!version) return std::move(version).failure();
  if (version.value() != item_metadata_format_version) {
    return make_error(error_code::unsupported_manifest_version,
                      "item metadata format version " + std::to_string(version.value()) + " is not supported");
  }
  const json* items = reader.find("items");
  if (items == nullptr) return reader.missing("items");
  if (!items->is_array()) return reader.wrong_type("items", "an array");
  if (items->size() != expected_items) {
    return reader.invalid("items", "has " + std::to_string(items->size()) + " entries but the shard has " +
                                       std::to_string(expected_items) + " rows");
  }
  std::vector<item_metadata> parsed_items;
  parsed_items.reserve(items->size());
  for (std::size_t position = 0; position < items->size(); ++position) {
    auto item = parse_item((*items)[position], "item metadata items[" + std::to_string(position) + "]");
    if (!item) return std::move(item).failure();
    parsed_items.push_back(std::move(item).value());
  }
  return parsed_items;
}

json item_metadata_json(const item_metadata& item) {
  json entry{{"id", format_item_id(item.id)}, {"title", item.title},   {"source", item.source},
             {"modality", modality_name(item.kind)}, {"mime_type", item.mime_type}};
  if (!item.label.empty()) entry["label"] = item.label;
  if (!item.tags.empty()) entry["tags"] = item.tags;
  if (!item.thumbnail.empty()) entry["thumbnail"] = item.thumbnail;
  if (!item.media.empty()) entry["media"] = item.media;
  if (!item.snippet.empty()) entry["snippet"] = item.snippet;
  if (item.source_offset) entry["source_offset"] = *item.source_offset;
  if (item.last_page) entry["last_page"] = *item.last_page;
  if (item.embedded_from == embedding_source::caption) entry["embedded_from"] = "caption";
  if (item.text_from == text_origin::pdf) entry["text_from"] = "pdf";
  if (item.text_from == text_origin::ocr) entry["text_from"] = "ocr";
  if (item.text_from == text_origin::speech) entry["text_from"] = "speech";
  if (!item.transcript.empty()) {
    json segments = json::array();
    for (const transcript_segment& segment : item.transcript) {
      segments.push_back({{"start_ms", segment.start_milliseconds}, {"end_ms", segment.end_milliseconds}, {"text", segment.text}});
    }
    entry["transcript"] = std::move(segments);
  }
  return entry;
}

std::string items_json_text(std::span<const item_metadata> items) {
  json entries = json::array();
  for (const item_metadata& item : items) entries.push_back(item_metadata_json(item));
  return entries.dump(-1, ' ', false, json::error_handler_t::replace);
}

result<std::string> serialize_item_metadata(std::span<const item_metadata> items) {
  json entries = json::array();
  for (const item_metadata& item : items) {
    if (!item.thumbnail.empty() && !is_safe_relative_path(item.thumbnail)) {
      return make_error(error_code::invalid_metadata, "thumbnail path '" + item.thumbnail + "' leaves the index");
    }
    if (!item.media.empty() && !is_safe_relative_path(item.media)) {
      return make_error(error_code::invalid_metadata, "media path '" + item.media + "' leaves the index");
    }
    entries.push_back(item_metadata_json(item));
  }
  const json root{{"format", metadata_format_name}, {"format_version", item_metadata_format_version},
                  {"items", std::move(entries)}};
  return root.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

status check_metadata_matches_shard(const shard_view& shard, std::span<const item_metadata> items) {
  if (items.size() != shard.item_count) {
    return make_error(error_code::invalid_metadata, "metadata lists " + std::to_string(items.size()) +
                                                        " items but the shard has " + std::to_string(shard.item_count));
  }
  for (std::size_t row = 0; row < items.size(); ++row) {
    if (items[row].id != shard.item_id(row)) {
      return make_error(error_code::invalid_metadata, "metadata item " + std::to_string(row) + " has id " +
                                                          format_item_id(items[row].id) + " but the shard row holds " +
                                                          format_item_id(shard.item_id(row)));
    }
  }
  return success{};
}

}  // namespace mosaic::index
