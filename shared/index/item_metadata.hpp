#pragma once
// Item metadata travels beside each shard as items/<hash>.json: one entry per shard row, in row
// order, with what a result needs to be shown (title, source, thumbnail, snippet) and filtered
// (modality, label, tags). search/shard_attributes.hpp turns it into the compact per-row arrays the scan reads.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/result.hpp"
#include "index/modality.hpp"
#include "index/shard_codec.hpp"

namespace mosaic::index {

inline constexpr std::uint32_t item_metadata_format_version = 1;

enum class embedding_source : std::uint8_t {
  content,  // the item's own bytes were embedded (text, image, audio...)
  caption,  // only its text (caption, title, labels, file name) was: the UI says "matched by caption"
};

// Where an item's text came from when it was read out of the medium itself rather than written beside
// it: a PDF's text layer (Poppler) or the words recognised in an image (OCR, Tesseract). The snippet
// shows that text, and the keyword index (and a text-only model) read it.
enum class text_origin : std::uint8_t {
  none,
  pdf,
  ocr,
  speech,  // the words PocketSphinx heard in a recording or a video's audio track
};

// One stretch of a transcript: the words heard between two times of the item's own sound (milliseconds
// from the item's start, so a player can start there).
struct transcript_segment {
  std::uint64_t start_milliseconds = 0;
  std::uint64_t end_milliseconds = 0;  // at least start_milliseconds
  std::string text;
};

struct item_metadata {
  std::uint64_t id = 0;           // also in the shard's id block; written as 16 hex digits in JSON
  std::string title;
  std::string source;             // relative path inside the collection, or a URL
  index::modality kind = index::modality::text;
  std::string mime_type;
  std::string label;              // empty: none (folder-per-label collections set it)
  std::vector<std::string> tags;
  std::string thumbnail;          // relative path inside the index, empty: none
  // A playable/openable copy of the item's bytes inside the index (media/<sha256>.wav for a WAV
  // segment, the whole MP3/MP4/MOV/PDF), relative path, empty: none. Its type is mime_type.
  std::string media;
  std::string snippet;            // a short text excerpt for display
  std::optional<std::uint64_t> source_offset;  // chunks: byte offset (text), milliseconds (audio, video segments), page (PDF)
  // A part of a PDF (Gemini embeds at most 6 pages): its last page, inclusive; source_offset is its
  // first. Unset for everything else. JSON "last_page", never without source_offset nor below it.
  std::optional<std::uint64_t> last_page;
  embedding_source embedded_from = embedding_source::content;
  text_origin text_from = text_origin::none;  // JSON "text_from": "pdf", "ocr" or "speech", absent for none
  std::vector<transcript_segment> transcript;  // JSON "transcript" (text_from speech), in time order
};

// Parses items/<hash>.json. Every entry is validated: id format, modality, safe thumbnail and media paths,
// string types, and bounded sizes; `expected_items` must match the entry count.
result<std::vector<item_metadata>> parse_item_metadata(std::string_view json_text, std::size_t expected_items);
result<std::string> serialize_item_metadata(std::span<const item_metadata> items);

// One item as JSON, with exactly the field names of an items/<hash>.json entry (empty fields left
// out). The one place an item becomes JSON: the metadata file, search results in the browser, the
// HTTP API and the CLI all use it.
nlohmann::json item_metadata_json(const item_metadata& item);
// Items as a JSON array text, each as item_metadata_json writes it (the wasm bindings hand it to JavaScript).
std::string items_json_text(std::span<const item_metadata> items);

// The metadata must describe the shard row for row: same count, same ids in the same order.
status check_metadata_matches_shard(const shard_view& shard, std::span<const item_metadata> items);

std::string format_item_id(std::uint64_t id);            // 16 lower-case hex digits
result<std::uint64_t> parse_item_id(std::string_view text);

}  // namespace mosaic::index
