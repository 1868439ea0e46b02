// MP3 frames: duration from the frame headers, ID3v2 skipped, Xing/Info frames recognised and left
// out, cuts at frame boundaries whose offsets and durations add up, and hostile streams (truncated,
// garbage, free-format, Layer II, format changes) refused or trimmed with their cause. The streams
// are built here: valid Layer III headers followed by zeroed side information, which decodes as
// silence, and a frame number stamped in the ancillary bytes so a misplaced cut shows.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "media/media_kind.hpp"
#include "media/mp3_audio.hpp"

using namespace mosaic;
using namespace mosaic::media;

namespace {

using bytes = std::vector<std::uint8_t>;

struct frame_shape {
  std::uint32_t version_bits = 3;   // 3: MPEG 1, 2: MPEG 2, 0: MPEG 2.5
  std::uint32_t layer_bits = 1;     // 1: Layer III
  std::uint32_t bitrate_index = 9;  // MPEG 1: 128 kbit/s
  std::uint32_t sample_rate_index = 0;  // MPEG 1: 44100 Hz
  bool mono = false;
};

std::uint32_t header_of(const frame_shape& shape) {
  return 0xFFE00000u | shape.version_bits << 19 | shape.layer_bits << 17 | 1u << 16 /* no CRC */ |
         shape.bitrate_index << 12 | shape.sample_rate_index << 10 | (shape.mono ? 3u : 1u) << 6;
}

// MPEG 1 128 kbit/s at 44.1 kHz: 144 * 128000 / 44100 = 417 bytes a frame of 1152 samples.
std::size_t frame_length_of(const frame_shape& shape) {
  const std::uint32_t kilobits1[] = {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320};
  const std::uint32_t kilobits2[] = {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160};
  const std::uint32_t rates1[] = {44100, 48000, 32000};
  const bool mpeg1 = shape.version_bits == 3;
  const std::uint32_t rate = rates1[shape.sample_rate_index] / (mpeg1 ? 1 : shape.version_bits == 2 ? 2 : 4);
  const std::uint32_t bits = (mpeg1 ? kilobits1 : kilobits2)[shape.bitrate_index] * 1000;
  return (mpeg1 ? 144 : 72) * bits / rate;
}

void append_frame(bytes& stream, const frame_shape& shape, std::uint32_t number) {
  const std::size_t start = stream.size();
  stream.resize(start + frame_length_of(shape), 0);
  const std::uint32_t header = header_of(shape);
  for (std::size_t index = 0; index < 4; ++index) stream[start + index] = static_cast<std::uint8_t>(header >> (24 - 8 * index));
  for (std::size_t index = 0; index < 4; ++index) stream[start + 40 + index] = static_cast<std::uint8_t>(number >> (8 * index));
}

bytes make_stream(std::size_t frames, const frame_shape& shape = {}) {
  bytes stream;
  for (std::uint32_t number = 0; number < frames; ++number) append_frame(stream, shape, number);
  return stream;
}

std::uint32_t frame_number_at(const bytes& stream, std::size_t offset) {
  std::uint32_t number = 0;
  for (std::size_t index = 0; index < 4; ++index) number |= std::uint32_t{stream[offset + 40 + index]} << (8 * index);
  return number;
}

bytes id3v2_tag(std::size_t body_size, std::uint8_t major = 3, std::uint8_t flags = 0) {
  bytes tag = {'I', 'D', '3', major, 0, flags};
  for (int shift = 21; shift >= 0; shift -= 7) tag.push_back(static_cast<std::uint8_t>((body_size >> shift) & 0x7F));
  tag.resize(tag.size() + body_size, 0);
  return tag;
}

// A Xing frame as LAME writes it: a normal frame whose body, after the side information, says "Xing"
// (or "Info" for CBR), flags (1: frame count present), then the count.
bytes xing_frame(const char* name, std::uint32_t frame_count, const frame_shape& shape = {}) {
  bytes frame;
  append_frame(frame, shape, 0xFFFFFFFF);
  const std::size_t at = 4 + 32;
  for (std::size_t index = 0; index < 4; ++index) frame[at + index] = static_cast<std::uint8_t>(name[index]);
  frame[at + 7] = 1;
  for (std::size_t index = 0; index < 4; ++index) frame[at + 8 + index] = static_cast<std::uint8_t>(frame_count >> (24 - 8 * index));
  return frame;
}

bytes joined(std::initializer_list<bytes> parts) {
  bytes all;
  for (const bytes& part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

}  // namespace

TEST_CASE("an MP3's duration comes from its frame headers", "[mp3]") {
  const bytes stream = make_stream(100);
  REQUIRE(stream.size() == 100 * 417);
  auto info = parse_mp3(stream);
  REQUIRE(info);
  CHECK(info->mpeg_version == 1);
  CHECK(info->sample_rate == 44100);
  CHECK(info->channels == 2);
  CHECK(info->samples_per_frame == 1152);
  CHECK(info->frames.size() == 100);
  CHECK(info->sample_count == 115200);
  CHECK(info->duration_milliseconds == 2612);  // 115200 / 44100 s
  CHECK(info->frames[1].offset == 417);
  CHECK_FALSE(info->has_vbr_header);
  CHECK_FALSE(info->dropped_truncated_frame);
  CHECK(detect_media_kind(stream).format == "mp3");
}

TEST_CASE("MPEG 2 and 2.5 frames hold 576 samples at half and quarter rates", "[mp3]") {
  frame_shape mpeg2;
  mpeg2.version_bits = 2;
  mpeg2.bitrate_index = 8;  // 64 kbit/s at 22050 Hz: 72 * 64000 / 22050 = 208 bytes
  mpeg2.mono = true;
  auto info = parse_mp3(make_stream(50, mpeg2));
  REQUIRE(info);
  CHECK(info->mpeg_version == 2);
  CHECK(info->sample_rate == 22050);
  CHECK(info->channels == 1);
  CHECK(info->samples_per_frame == 576);
  CHECK(info->frames[1].offset == 208);
  CHECK(info->duration_milliseconds == 50 * 576 * 1000 / 22050);

  frame_shape mpeg25 = mpeg2;
  mpeg25.version_bits = 0;
  auto quarter = parse_mp3(make_stream(10, mpeg25));
  REQUIRE(quarter);
  CHECK(quarter->mpeg_version == 25);
  CHECK(quarter->sample_rate == 11025);
}

TEST_CASE("ID3v2 tags before the audio are skipped and trailing ID3v1 ends it", "[mp3]") {
  const bytes audio = make_stream(20);
  // Two ID3v2 tags, the second a v2.4 tag with a footer (10 more bytes than its size says).
  const bytes tagged = joined({id3v2_tag(300), id3v2_tag(50, 4, 0x10), bytes(10, 0), audio});
  auto info = parse_mp3(tagged);
  REQUIRE(info);
  CHECK(info->id3v2_bytes == 310 + 60 + 10);
  CHECK(info->frames.size() == 20);
  CHECK(info->frames.front().offset == 380);

  bytes id3v1 = {'T', 'A', 'G'};
  id3v1.resize(128, 'x');
  auto with_v1 = parse_mp3(joined({audio, id3v1}));
  REQUIRE(with_v1);
  CHECK(with_v1->frames.size() == 20);
}

TEST_CASE("an ID3v2 tag that claims more bytes than the file has is refused", "[mp3]") {
  bytes tag = id3v2_tag(1000);
  tag.resize(200);
  auto info = parse_mp3(tag);
  REQUIRE_FALSE(info);
  CHECK(info.failure().code == error_code::invalid_media);
  CHECK(info.failure().message.find("ID3v2") != std::string::npos);

  bytes not_syncsafe = id3v2_tag(10);
  not_syncsafe[7] = 0x80;
  auto refused = parse_mp3(joined({not_syncsafe, make_stream(2)}));
  REQUIRE_FALSE(refused);
  CHECK(refused.failure().message.find("syncsafe") != std::string::npos);
}

TEST_CASE("a Xing or Info frame is recognised, reported and not counted as audio", "[mp3]") {
  for (const char* name : {"Xing", "Info"}) {
    const bytes stream = joined({id3v2_tag(20), xing_frame(name, 30), make_stream(30)});
    auto info = parse_mp3(stream);
    REQUIRE(info);
    CHECK(info->has_vbr_header);
    REQUIRE(info->vbr_header_frame_count);
    CHECK(*info->vbr_header_frame_count == 30);
    CHECK(info->frames.size() == 30);
    CHECK(info->frames.front().offset == 30 + 417);
    CHECK(info->duration_milliseconds == 30 * 1152 * 1000 / 44100);
  }
}

// Found by tests/fuzz/fuzz_mp3_audio (tests/fuzz/regressions/mp3_audio/second_info_frame.mp3): a frame
// carrying an Info tag right after the file's Info frame was counted as audio, so the segment split_mp3
// cut starting at it read back as a file whose first frame is its header (one frame fewer, or no audio
// at all). Description frames carry no audio wherever they are: files joined end to end have one mid-stream.
TEST_CASE("Xing and Info frames after the first are not audio either, so every segment parses alike", "[mp3]") {
  const bytes two_headers = joined({xing_frame("Info", 2), xing_frame("Info", 2), make_stream(2)});
  auto parsed = parse_mp3(two_headers);
  REQUIRE(parsed);
  CHECK(parsed->frames.size() == 2);
  CHECK(parsed->vbr_header_frame_count == 2u);
  CHECK_FALSE(parse_mp3(joined({xing_frame("Info", 0), xing_frame("Xing", 0)})).ok());

  // Two encoder files joined end to end, cut at 1 s (38 frames of 1152 samples at 44.1 kHz): the second
  // file's Info frame is neither counted nor the start of a segment, and each segment parses to its own frames.
  const bytes joined_files = joined({xing_frame("Info", 30), make_stream(30), xing_frame("Xing", 20), make_stream(20)});
  auto whole = parse_mp3(joined_files);
  REQUIRE(whole);
  CHECK(whole->frames.size() == 50);
  CHECK(whole->vbr_header_frame_count == 30u);
  auto segments = split_mp3(joined_files, 1);
  REQUIRE(segments);
  REQUIRE(segments->size() == 2);
  std::size_t frames = 0;
  for (const mp3_segment& segment : segments.value()) {
    auto reparsed = parse_mp3(segment.mp3_bytes);
    REQUIRE(reparsed);
    CHECK_FALSE(reparsed->has_vbr_header);
    frames += reparsed->frames.size();
  }
  CHECK(frames == 50);
}

TEST_CASE("a truncated last frame is dropped and reported", "[mp3]") {
  bytes stream = make_stream(10);
  stream.resize(stream.size() - 100);
  auto info = parse_mp3(stream);
  REQUIRE(info);
  CHECK(info->frames.size() == 9);
  CHECK(info->dropped_truncated_frame);

  bytes header_cut = make_stream(3);
  header_cut.resize(2 * 417 + 2);  // two bytes of the third header
  auto cut = parse_mp3(header_cut);
  REQUIRE(cut);
  CHECK(cut->frames.size() == 2);
  CHECK(cut->dropped_truncated_frame);

  bytes first_only = make_stream(1);
  first_only.resize(300);
  auto nothing = parse_mp3(first_only);
  REQUIRE_FALSE(nothing);
  CHECK(nothing.failure().code == error_code::invalid_media);
}

TEST_CASE("garbage between MP3 frames is refused with its position", "[mp3]") {
  const bytes stream = joined({make_stream(5), bytes{1, 2, 3, 4, 5, 6, 7}, make_stream(5)});
  auto info = parse_mp3(stream);
  REQUIRE_FALSE(info);
  CHECK(info.failure().code == error_code::invalid_media);
  CHECK(info.failure().message.find("at byte " + std::to_string(5 * 417)) != std::string::npos);

  for (const bytes& hostile : {bytes{}, bytes{0xFF}, bytes(1000, 0), bytes(1000, 0xFF), bytes{'I', 'D', '3'}}) {
    auto refused = parse_mp3(hostile);
    REQUIRE_FALSE(refused);
    CHECK(refused.failure().code == error_code::invalid_media);
  }
}

TEST_CASE("free-format bitrate and Layer II are refused as unsupported", "[mp3]") {
  frame_shape free_format;
  free_format.bitrate_index = 0;
  bytes stream = make_stream(1);
  const std::uint32_t header = header_of(free_format);
  for (std::size_t index = 0; index < 4; ++index) stream[index] = static_cast<std::uint8_t>(header >> (24 - 8 * index));
  auto free_refused = parse_mp3(stream);
  REQUIRE_FALSE(free_refused);
  CHECK(free_refused.failure().code == error_code::unsupported_media);
  CHECK(free_refused.failure().message.find("free-format") != std::string::npos);

  frame_shape layer2;
  layer2.layer_bits = 2;
  auto layer2_refused = parse_mp3(make_stream(3, layer2));
  REQUIRE_FALSE(layer2_refused);
  CHECK(layer2_refused.failure().code == error_code::unsupported_media);
  CHECK(layer2_refused.failure().message.find("Layer II") != std::string::npos);

  frame_shape bad_bitrate;
  bad_bitrate.bitrate_index = 15;
  bytes invalid_stream = make_stream(2);
  const std::uint32_t bad = header_of(bad_bitrate);
  for (std::size_t index = 0; index < 4; ++index) invalid_stream[417 + index] = static_cast<std::uint8_t>(bad >> (24 - 8 * index));
  auto bad_refused = parse_mp3(invalid_stream);
  REQUIRE_FALSE(bad_refused);
  CHECK(bad_refused.failure().code == error_code::invalid_media);
}

TEST_CASE("an MP3 whose sample rate or channel count changes mid-stream is refused", "[mp3]") {
  frame_shape other_rate;
  other_rate.sample_rate_index = 1;  // 48000 Hz
  bytes changed = make_stream(4);
  append_frame(changed, other_rate, 4);
  auto refused = parse_mp3(changed);
  REQUIRE_FALSE(refused);
  CHECK(refused.failure().code == error_code::invalid_media);
  CHECK(refused.failure().message.find("changes") != std::string::npos);

  frame_shape mono;
  mono.mono = true;
  bytes channel_change = make_stream(4);
  append_frame(channel_change, mono, 4);
  CHECK_FALSE(parse_mp3(channel_change));
}

TEST_CASE("a long MP3 is cut at frame boundaries into segments of at most 80 s", "[mp3]") {
  // 200 s: 7657 frames of 1152 samples at 44.1 kHz (7657 * 1152 / 44100 = 200.02 s).
  const std::size_t frame_count = 7657;
  const bytes stream = joined({id3v2_tag(64), xing_frame("Xing", 7657), make_stream(frame_count)});
  auto segments = split_mp3(stream, 80);
  REQUIRE(segments);
  REQUIRE(segments->size() == 3);
  const std::size_t frames_per_segment = 80 * 44100 / 1152;  // 3062 frames = 79.99 s
  std::uint64_t expected_start = 0;
  std::size_t next_frame = 0;
  for (const mp3_segment& segment : segments.value()) {
    CHECK(segment.start_milliseconds == expected_start);
    CHECK(segment.duration_milliseconds <= 80000);
    auto part = parse_mp3(segment.mp3_bytes);
    REQUIRE(part);
    CHECK_FALSE(part->has_vbr_header);  // the header frame is not copied into parts
    CHECK(part->id3v2_bytes == 0);
    REQUIRE(segment.mp3_bytes.size() % 417 == 0);
    CHECK(frame_number_at(segment.mp3_bytes, 0) == next_frame);
    CHECK(frame_number_at(segment.mp3_bytes, segment.mp3_bytes.size() - 417) ==
          next_frame + segment.mp3_bytes.size() / 417 - 1);
    next_frame += segment.mp3_bytes.size() / 417;
    expected_start += segment.duration_milliseconds;
  }
  CHECK(next_frame == frame_count);
  CHECK((*segments)[0].mp3_bytes.size() == frames_per_segment * 417);
  CHECK((*segments)[1].start_milliseconds == frames_per_segment * 1152 * 1000 / 44100);
  auto whole = parse_mp3(stream);
  REQUIRE(whole);
  CHECK(expected_start == whole->duration_milliseconds);
}

TEST_CASE("a short MP3 is one segment and a segment must hold a frame", "[mp3]") {
  auto one = split_mp3(make_stream(10), 80);
  REQUIRE(one);
  REQUIRE(one->size() == 1);
  CHECK((*one)[0].mp3_bytes == make_stream(10));
  CHECK((*one)[0].start_milliseconds == 0);

  auto none = split_mp3(make_stream(10), 0);
  REQUIRE_FALSE(none);
  CHECK(none.failure().code == error_code::invalid_argument);
}

TEST_CASE("every truncation and byte flip of an MP3 is parsed or refused without harm", "[mp3]") {
  const bytes stream = joined({id3v2_tag(16), xing_frame("Info", 4), make_stream(4)});
  for (std::size_t size = 0; size <= stream.size(); size += 7) {
    const bytes cut(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(size));
    auto info = parse_mp3(cut);
    if (info) {
      CHECK(info->frames.size() <= 4);
      for (const mp3_frame& frame : info->frames) CHECK(frame.offset + frame.length <= cut.size());
    }
  }
  for (std::size_t position = 0; position < 26 + 417 + 8; ++position) {
    for (const std::uint8_t value : {std::uint8_t{0x00}, std::uint8_t{0xFF}, std::uint8_t{0x7F}}) {
      bytes flipped = stream;
      flipped[position] = value;
      auto info = parse_mp3(flipped);
      if (info) {
        for (const mp3_frame& frame : info->frames) CHECK(frame.offset + frame.length <= flipped.size());
      }
    }
  }
}
