#include "media/mp3_audio.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "core/byte_reader.hpp"

namespace mosaic::media {
namespace {

error invalid(std::string message) { return make_error(error_code::invalid_media, std::move(message)); }
error unsupported(std::string message) { return make_error(error_code::unsupported_media, std::move(message)); }

std::string at(std::size_t offset) { return " at byte " + std::to_string(offset); }

struct frame_header {
  std::uint8_t mpeg_version = 1;  // 1, 2, 25
  std::uint32_t sample_rate = 0;
  std::uint8_t channels = 0;
  std::uint32_t samples = 0;
  std::size_t length = 0;
  bool has_crc = false;
};

// Reads the 4-byte header at `offset` (the caller checked 4 bytes are there).
result<frame_header> read_frame_header(byte_span bytes, std::size_t offset) {
  const std::uint32_t header = read_big_endian_32(bytes, offset);
  if ((header & 0xFFE00000u) != 0xFFE00000u) return invalid("no MPEG audio frame" + at(offset));
  const std::uint32_t version_bits = (header >> 19) & 3u;  // 0: MPEG 2.5, 1: reserved, 2: MPEG 2, 3: MPEG 1
  const std::uint32_t layer_bits = (header >> 17) & 3u;    // 1: Layer III, 2: Layer II, 3: Layer I, 0: reserved
  const std::uint32_t bitrate_index = (header >> 12) & 15u;
  const std::uint32_t sample_rate_index = (header >> 10) & 3u;
  if (version_bits == 1) return invalid("an MPEG audio frame with the reserved version" + at(offset));
  if (layer_bits == 0) return invalid("an MPEG audio frame with the reserved layer" + at(offset));
  // Fields no valid frame of any layer has come first, so bytes of 0xFF read as garbage, not as Layer I.
  if (bitrate_index == 15) return invalid("an MPEG audio frame with the invalid bitrate index 15" + at(offset));
  if (sample_rate_index == 3) return invalid("an MPEG audio frame with the reserved sample rate" + at(offset));
  if ((header & 3u) == 2) return invalid("an MPEG audio frame with the reserved emphasis" + at(offset));
  if (layer_bits != 1) {
    return unsupported("MPEG audio Layer " + std::string(layer_bits == 2 ? "II" : "I") + at(offset) +
                       " (only Layer III, MP3, is handled)");
  }
  if (bitrate_index == 0) {
    return unsupported("a free-format bitrate MP3" + at(offset) +
                       ": frame lengths cannot be read from the header, so it cannot be cut safely");
  }

  constexpr std::array<std::uint32_t, 15> mpeg1_kilobits = {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320};
  constexpr std::array<std::uint32_t, 15> mpeg2_kilobits = {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160};
  constexpr std::array<std::uint32_t, 3> mpeg1_sample_rates = {44100, 48000, 32000};
  frame_header frame;
  const bool is_mpeg1 = version_bits == 3;
  frame.mpeg_version = is_mpeg1 ? 1 : version_bits == 2 ? 2 : 25;
  frame.sample_rate = mpeg1_sample_rates[sample_rate_index] / (is_mpeg1 ? 1u : version_bits == 2 ? 2u : 4u);
  frame.channels = ((header >> 6) & 3u) == 3u ? 1 : 2;
  frame.samples = is_mpeg1 ? 1152 : 576;
  frame.has_crc = ((header >> 16) & 1u) == 0;
  const std::uint32_t bits_per_second = (is_mpeg1 ? mpeg1_kilobits : mpeg2_kilobits)[bitrate_index] * 1000;
  // samples / 8 bytes per bit, per second of sample rate: 144 (MPEG 1) or 72 (MPEG 2/2.5).
  const std::uint32_t bytes_per_rate = is_mpeg1 ? 144 : 72;
  frame.length = std::size_t{bytes_per_rate * bits_per_second / frame.sample_rate + ((header >> 9) & 1u)};
  return frame;
}

// Skips ID3v2 tags (some files carry more than one); returns the offset of what follows.
result<std::size_t> skip_id3v2_tags(byte_span bytes) {
  std::size_t offset = 0;
  while (has_tag(bytes, offset, "ID3")) {
    if (bytes.size() - offset < 10) return invalid("a truncated ID3v2 tag header" + at(offset));
    const std::uint8_t major = bytes[offset + 3];
    if (major < 2 || major > 4 || bytes[offset + 4] == 0xFF) return invalid("an ID3v2 tag of unknown version" + at(offset));
    std::size_t size = 0;
    for (std::size_t index = 6; index < 10; ++index) {
      if (bytes[offset + index] >= 0x80) return invalid("an ID3v2 tag whose size is not syncsafe" + at(offset));
      size = size << 7 | bytes[offset + index];
    }
    const bool has_footer = major == 4 && (bytes[offset + 5] & 0x10) != 0;
    const std::size_t total = 10 + size + (has_footer ? 10 : 0);
    if (total > bytes.size() - offset) {
      return invalid("an ID3v2 tag" + at(offset) + " declares " + std::to_string(total) + " bytes but only " +
                     std::to_string(bytes.size() - offset) + " remain");
    }
    offset += total;
  }
  return offset;
}

// Encoders' VBR description frames: "Xing"/"Info" after the side information, "VBRI" 32 bytes in.
// Returns the frame count they declare when they have one.
struct vbr_header {
  bool present = false;
  std::optional<std::uint32_t> frame_count;
};

vbr_header find_vbr_header(byte_span bytes, std::size_t offset, const frame_header& frame) {
  vbr_header found;
  const byte_span body = bytes.subspan(offset, frame.length);
  const std::size_t side_information = frame.mpeg_version == 1 ? (frame.channels == 1 ? 17 : 32)
                                                               : (frame.channels == 1 ? 9 : 17);
  const std::size_t xing_at = 4 + (frame.has_crc ? 2 : 0) + side_information;
  if (has_tag(body, xing_at, "Xing") || has_tag(body, xing_at, "Info")) {
    found.present = true;
    if (body.size() >= xing_at + 12 && (read_big_endian_32(body, xing_at + 4) & 1u) != 0) {
      found.frame_count = read_big_endian_32(body, xing_at + 8);
    }
  } else if (has_tag(body, 36, "VBRI")) {
    found.present = true;
    if (body.size() >= 36 + 18) found.frame_count = read_big_endian_32(body, 36 + 14);
  }
  return found;
}

// Tags that may follow the audio: ID3v1 ("TAG" + 125 bytes, exactly at the end) and APEv2.
bool is_trailing_tag(byte_span bytes, std::size_t offset) noexcept {
  if (bytes.size() - offset == 128 && has_tag(bytes, offset, "TAG")) return true;
  return has_tag(bytes, offset, "APETAGEX") || has_tag(bytes, offset, "LYRICSBEGIN");
}

}  // namespace

result<mp3_info> parse_mp3(std::span<const std::uint8_t> bytes) {
  auto start = skip_id3v2_tags(bytes);
  if (!start) return std::move(start).failure();
  mp3_info info;
  info.id3v2_bytes = start.value();
  std::size_t offset = start.value();
  std::optional<frame_header> first;
  while (offset < bytes.size()) {
    if (is_trailing_tag(bytes, offset)) break;
    if (bytes.size() - offset < 4) {
      if (!first) return invalid("a truncated MP3 frame header" + at(offset));
      info.dropped_truncated_frame = true;  // a few bytes of a header the file was cut in
      break;
    }
    auto frame = read_frame_header(bytes, offset);
    if (!frame) {
      if (!first && frame.failure().code == error_code::invalid_media) {
        return invalid("not an MP3: no MPEG audio frame" + at(offset));
      }
      return std::move(frame).failure();
    }
    if (!first) {
      first = frame.value();
      info.mpeg_version = first->mpeg_version;
      info.sample_rate = first->sample_rate;
      info.channels = first->channels;
      info.samples_per_frame = first->samples;
    } else if (frame->mpeg_version != first->mpeg_version || frame->sample_rate != first->sample_rate ||
               frame->channels != first->channels) {
      return invalid("the MP3 stream changes its MPEG version, sample rate or channel count" + at(offset));
    }
    if (frame->length > bytes.size() - offset) {
      info.dropped_truncated_frame = true;
      break;
    }
    // An encoder's description frame carries no audio, wherever it is: files joined end to end
    // (`cat a.mp3 b.mp3`) have one in the middle, and a segment that split_mp3 cuts starting at such a
    // frame would otherwise read as a file whose first frame is its header. Only the first one describes
    // the file.
    const vbr_header header = find_vbr_header(bytes, offset, frame.value());
    if (header.present) {
      if (info.frames.empty() && !info.has_vbr_header) {
        info.has_vbr_header = true;
        info.vbr_header_frame_count = header.frame_count;
      }
      offset += frame->length;
      continue;
    }
    info.frames.push_back({offset, frame->length});
    offset += frame->length;
  }
  if (info.frames.empty()) return invalid("an MP3 without a whole audio frame");
  info.sample_count = std::uint64_t{info.frames.size()} * info.samples_per_frame;
  info.duration_milliseconds = info.sample_count * 1000 / info.sample_rate;
  return info;
}

result<std::vector<mp3_segment>> split_mp3(std::span<const std::uint8_t> bytes, std::uint32_t max_seconds) {
  auto parsed = parse_mp3(bytes);
  if (!parsed) return std::move(parsed).failure();
  const mp3_info& info = parsed.value();
  const std::uint64_t frames_per_segment = std::uint64_t{max_seconds} * info.sample_rate / info.samples_per_frame;
  if (frames_per_segment == 0) {
    return make_error(error_code::invalid_argument, "a segment of " + std::to_string(max_seconds) +
                                                        " s cannot hold one MP3 frame");
  }
  std::vector<mp3_segment> segments;
  const auto milliseconds_at = [&](std::uint64_t frame_index) {
    return frame_index * info.samples_per_frame * 1000 / info.sample_rate;
  };
  for (std::size_t first = 0; first < info.frames.size(); first += frames_per_segment) {
    const std::size_t end = static_cast<std::size_t>(
        std::min<std::uint64_t>(info.frames.size(), std::uint64_t{first} + frames_per_segment));
    mp3_segment segment;
    // A segment is one range of the file: between audio frames there is nothing (anything else was
    // refused) but an encoder's description frame, which parse_mp3 skips again in the segment.
    const std::size_t from = info.frames[first].offset;
    const std::size_t to = info.frames[end - 1].offset + info.frames[end - 1].length;
    segment.mp3_bytes.assign(bytes.begin() + static_cast<std::ptrdiff_t>(from), bytes.begin() + static_cast<std::ptrdiff_t>(to));
    segment.start_milliseconds = milliseconds_at(first);
    segment.duration_milliseconds = milliseconds_at(end) - segment.start_milliseconds;
    segments.push_back(std::move(segment));
  }
  return segments;
}

}  // namespace mosaic::media
