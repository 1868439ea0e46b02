// Item metadata beside each shard: round trip, validation of hostile entries, the pairing with the
// shard's rows, and the attribute arrays the scan filters on.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "index/item_metadata.hpp"
#include "index/shard_codec.hpp"

using namespace mosaic;
using namespace mosaic::index;

namespace {

std::vector<item_metadata> sample_items() {
  item_metadata photo;
  photo.id = 0x0123456789abcdefULL;
  photo.title = "Alice at the beach";
  photo.source = "people/alice/beach.jpg";
  photo.kind = modality::image;
  photo.mime_type = "image/jpeg";
  photo.label = "alice";
  photo.tags = {"summer", "beach", "summer"};
  photo.thumbnail = "thumbnails/0123.jpg";
  photo.embedded_from = embedding_source::caption;

  item_metadata chunk;
  chunk.id = 42;
  chunk.title = "Manual, part 3";
  chunk.source = "docs/manual.md";
  chunk.kind = modality::text;
  chunk.mime_type = "text/markdown";
  chunk.snippet = "Press the reset button for \xE2\x80\x9C" "five\xE2\x80\x9D seconds";
  chunk.source_offset = 8192;
  chunk.media = "media/4567.pdf";
  chunk.text_from = text_origin::pdf;
  return {photo, chunk};
}

result<std::vector<item_metadata>> parse_edited(const std::string& from, const std::string& to) {
  std::string text = serialize_item_metadata(sample_items()).value();
  const auto position = text.find(from);
  REQUIRE(position != std::string::npos);
  text.replace(position, from.size(), to);
  return parse_item_metadata(text, 2);
}

}  // namespace

TEST_CASE("item metadata survives serialize and parse", "[metadata]") {
  const auto items = sample_items();
  auto parsed = parse_item_metadata(serialize_item_metadata(items).value(), items.size());
  REQUIRE(parsed.ok());
  REQUIRE(parsed->size() == 2);
  const item_metadata& photo = (*parsed)[0];
  CHECK(photo.id == items[0].id);
  CHECK(photo.title == items[0].title);
  CHECK(photo.source == items[0].source);
  CHECK(photo.kind == modality::image);
  CHECK(photo.mime_type == "image/jpeg");
  CHECK(photo.label == "alice");
  CHECK(photo.tags == items[0].tags);
  CHECK(photo.thumbnail == items[0].thumbnail);
  CHECK(photo.embedded_from == embedding_source::caption);
  CHECK_FALSE(photo.source_offset.has_value());
  const item_metadata& chunk = (*parsed)[1];
  CHECK(chunk.snippet == items[1].snippet);
  CHECK(chunk.source_offset == std::optional<std::uint64_t>{8192});
  CHECK(chunk.embedded_from == embedding_source::content);
  CHECK(chunk.label.empty());
  CHECK(chunk.media == "media/4567.pdf");
  CHECK(chunk.text_from == text_origin::pdf);
  CHECK(photo.text_from == text_origin::none);
  CHECK(photo.media.empty());
}

TEST_CASE("item ids are 16 lower-case hex digits", "[metadata]") {
  CHECK(format_item_id(0) == "0000000000000000");
  CHECK(format_item_id(0xFFFFFFFFFFFFFFFFULL) == "ffffffffffffffff");
  CHECK(parse_item_id("0123456789abcdef").value() == 0x0123456789abcdefULL);
  CHECK_FALSE(parse_item_id("0123456789ABCDEF").ok());
  CHECK_FALSE(parse_item_id("123").ok());
  CHECK_FALSE(parse_item_id("0123456789abcdeg").ok());
}

TEST_CASE("hostile item metadata is refused with the field named", "[metadata][hostile]") {
  auto require_refused = [](const result<std::vector<item_metadata>>& parsed, const std::string& mentions) {
    INFO("message: " << (parsed.ok() ? std::string("(parsed fine)") : parsed.failure().message));
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.failure().message.find(mentions) != std::string::npos);
  };
  require_refused(parse_edited("\"0123456789abcdef\"", "81985529216486895"), "\"id\"");
  require_refused(parse_edited("\"image\"", "\"hologram\""), "\"modality\"");
  require_refused(parse_edited("\"thumbnails/0123.jpg\"", "\"../../etc/passwd\""), "\"thumbnail\"");
  require_refused(parse_edited("\"thumbnails/0123.jpg\"", "\"/etc/passwd\""), "\"thumbnail\"");
  require_refused(parse_edited("\"media/4567.pdf\"", "\"../site.pdf\""), "\"media\"");
  require_refused(parse_edited("\"media/4567.pdf\"", "\"/etc/passwd\""), "\"media\"");
  require_refused(parse_edited("\"media/4567.pdf\"", "[\"media\"]"), "\"media\"");
  require_refused(parse_edited("\"tags\":[", "\"tags\":[1,"), "\"tags\"");
  require_refused(parse_edited("\"title\":\"Alice at the beach\"", "\"title\":null"), "\"title\"");
  require_refused(parse_edited("\"source_offset\":8192", "\"source_offset\":-1"), "\"source_offset\"");
  require_refused(parse_edited("\"embedded_from\":\"caption\"", "\"embedded_from\":\"magic\""), "\"embedded_from\"");
  require_refused(parse_edited("\"text_from\":\"pdf\"", "\"text_from\":\"guess\""), "\"text_from\"");
  require_refused(parse_edited("\"format_version\":1", "\"format_version\":9"), "version");
  require_refused(parse_item_metadata("not json", 0), "not valid JSON");
  // A transcript (text_from speech): segments in time order, each ending after it starts.
  const std::string spoken = "\"text_from\":\"speech\",\"transcript\":";
  const std::string segment_a = "{\"start_ms\":900,\"end_ms\":1500,\"text\":\"second floor\"}";
  const std::string segment_b = "{\"start_ms\":100,\"end_ms\":800,\"text\":\"the printer\"}";
  const auto with_transcript = [&](const std::string& transcript) {
    return parse_edited("\"text_from\":\"pdf\"", spoken + transcript);
  };
  auto heard = with_transcript("[" + segment_b + "," + segment_a + "]");
  REQUIRE(heard.ok());
  CHECK(heard.value()[1].text_from == text_origin::speech);
  REQUIRE(heard.value()[1].transcript.size() == 2);
  CHECK(heard.value()[1].transcript[1].start_milliseconds == 900);
  CHECK(heard.value()[1].transcript[1].text == "second floor");
  CHECK(item_metadata_json(heard.value()[1])["transcript"][0]["end_ms"] == 800);
  require_refused(with_transcript("[" + segment_a + "," + segment_b + "]"), "\"start_ms\"");
  require_refused(with_transcript("[{\"start_ms\":900,\"end_ms\":100,\"text\":\"x\"}]"), "\"end_ms\"");
  require_refused(with_transcript("[{\"start_ms\":1,\"end_ms\":2}]"), "\"text\"");
  require_refused(with_transcript("\"the printer\""), "\"transcript\"");
  require_refused(with_transcript("[7]"), "transcript[0]");
  require_refused(parse_item_metadata(serialize_item_metadata(sample_items()).value(), 3), "3 rows");
  const std::string huge_title(70 * 1024, 'x');
  require_refused(parse_edited("\"media/4567.pdf\"", "\"media/" + huge_title + "\""), "64 KiB");
  require_refused(parse_edited("\"Alice at the beach\"", "\"" + huge_title + "\""), "64 KiB");
}

TEST_CASE("a PDF part's page range survives; a last page without its first, or before it, is refused", "[metadata]") {
  item_metadata part;
  part.id = 7;
  part.title = "manual.pdf (pages 7\xE2\x80\x93" "12 of 20)";
  part.source = "manual.pdf";
  part.kind = modality::pdf;
  part.mime_type = "application/pdf";
  part.source_offset = 7;
  part.last_page = 12;
  const std::vector<item_metadata> items{part};
  const std::string text = serialize_item_metadata(items).value();
  CHECK(text.find("\"source_offset\":7") != std::string::npos);
  CHECK(text.find("\"last_page\":12") != std::string::npos);
  auto parsed = parse_item_metadata(text, 1);
  REQUIRE(parsed.ok());
  CHECK((*parsed)[0].source_offset == std::optional<std::uint64_t>{7});
  CHECK((*parsed)[0].last_page == std::optional<std::uint64_t>{12});
  // Other items carry none.
  auto others = parse_item_metadata(serialize_item_metadata(sample_items()).value(), 2);
  REQUIRE(others.ok());
  CHECK_FALSE((*others)[0].last_page.has_value());
  CHECK_FALSE((*others)[1].last_page.has_value());
  // One page is a range too (a 13-page PDF's last part).
  auto single = parse_edited("\"source_offset\":8192", "\"source_offset\":8192,\"last_page\":8192");
  REQUIRE(single.ok());
  CHECK((*single)[1].last_page == std::optional<std::uint64_t>{8192});
  auto before = parse_edited("\"source_offset\":8192", "\"source_offset\":8192,\"last_page\":100");
  REQUIRE_FALSE(before.ok());
  CHECK(before.failure().message.find("\"last_page\"") != std::string::npos);
  auto alone = parse_edited("\"embedded_from\":\"caption\"", "\"embedded_from\":\"caption\",\"last_page\":3");
  REQUIRE_FALSE(alone.ok());
  CHECK(alone.failure().message.find("\"last_page\"") != std::string::npos);
  CHECK_FALSE(parse_edited("\"source_offset\":8192", "\"source_offset\":8192,\"last_page\":\"9000\"").ok());
}

TEST_CASE("a media path that leaves the index is not serialized", "[metadata][hostile]") {
  auto items = sample_items();
  items[1].media = "../outside.wav";
  auto text = serialize_item_metadata(items);
  REQUIRE_FALSE(text.ok());
  CHECK(text.failure().message.find("media path") != std::string::npos);
}

TEST_CASE("invalid UTF-8 in names is replaced, not fatal", "[metadata]") {
  auto items = sample_items();
  items[0].title = std::string("caf\xE9", 4);  // Latin-1, as some file systems hand it over
  auto text = serialize_item_metadata(items);
  REQUIRE(text.ok());
  auto parsed = parse_item_metadata(text.value(), 2);
  REQUIRE(parsed.ok());
  CHECK((*parsed)[0].title == "caf\xEF\xBF\xBD");  // U+FFFD replacement character
}

TEST_CASE("metadata must describe the shard row for row", "[metadata]") {
  const auto items = sample_items();
  const std::vector<std::uint64_t> ids = {items[0].id, items[1].id};
  const std::vector<float> vectors = {1.0f, 0.0f, 0.0f, 1.0f};
  const auto bytes = encode_shard_from_f32(2, quantization::f32, vectors, ids).value();
  const shard_view shard = decode_shard(bytes).value();
  CHECK(check_metadata_matches_shard(shard, items).ok());
  auto swapped = items;
  std::swap(swapped[0], swapped[1]);
  auto mismatch = check_metadata_matches_shard(shard, swapped);
  REQUIRE_FALSE(mismatch.ok());
  CHECK(mismatch.failure().code == error_code::invalid_metadata);
  CHECK_FALSE(check_metadata_matches_shard(shard, std::span(items).first(1)).ok());
}

