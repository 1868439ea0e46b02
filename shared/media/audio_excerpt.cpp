#include "media/audio_excerpt.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "media/media_kind.hpp"
#include "media/mp3_audio.hpp"
#include "media/wav_audio.hpp"

namespace mosaic::media {
namespace {

result<audio_excerpt> wav_excerpt(std::span<const std::uint8_t> bytes, std::uint32_t max_seconds) {
  auto parsed = parse_wav(bytes);
  if (!parsed) return std::move(parsed).failure();
  const wav_info& info = parsed.value();
  audio_excerpt excerpt;
  excerpt.mime_type = "audio/wav";
  excerpt.source_duration_milliseconds = info.duration_milliseconds;
  const std::uint64_t kept_frames =
      std::min<std::uint64_t>(info.frame_count, std::uint64_t{max_seconds} * info.format.sample_rate);
  if (kept_frames == info.frame_count) {
    excerpt.bytes.assign(bytes.begin(), bytes.end());
    excerpt.duration_milliseconds = info.duration_milliseconds;
    return excerpt;
  }
  // Rewritten rather than sliced: the header's sizes must describe the shorter data. The caption
  // (ICMT) describes the recording, so the excerpt keeps it.
  const auto kept_bytes = static_cast<std::size_t>(kept_frames * info.format.bytes_per_frame());
  auto written = write_wav(info.format, bytes.subspan(info.data_offset, kept_bytes), read_wav_comment(bytes));
  if (!written) return std::move(written).failure();
  excerpt.bytes = std::move(written).value();
  excerpt.duration_milliseconds = kept_frames * 1000 / info.format.sample_rate;
  excerpt.truncated = true;
  return excerpt;
}

result<audio_excerpt> mp3_excerpt(std::span<const std::uint8_t> bytes, std::uint32_t max_seconds) {
  auto parsed = parse_mp3(bytes);
  if (!parsed) return std::move(parsed).failure();
  audio_excerpt excerpt;
  excerpt.mime_type = "audio/mpeg";
  excerpt.source_duration_milliseconds = parsed->duration_milliseconds;
  if (parsed->duration_milliseconds <= std::uint64_t{max_seconds} * 1000) {
    excerpt.bytes.assign(bytes.begin(), bytes.end());
    excerpt.duration_milliseconds = parsed->duration_milliseconds;
    return excerpt;
  }
  // split_mp3 is the one place that knows how to cut frames (and drop tags and VBR headers); the
  // later segments are discarded.
  auto segments = split_mp3(bytes, max_seconds);
  if (!segments) return std::move(segments).failure();
  if (segments->empty()) return make_error(error_code::invalid_media, "the MP3 holds no audio frame");
  mp3_segment& first = segments->front();
  excerpt.bytes = std::move(first.mp3_bytes);
  excerpt.duration_milliseconds = first.duration_milliseconds;
  excerpt.truncated = true;
  return excerpt;
}

}  // namespace

result<audio_excerpt> leading_audio_excerpt(std::span<const std::uint8_t> bytes, std::uint32_t max_seconds) {
  if (max_seconds == 0) return make_error(error_code::invalid_argument, "an audio excerpt needs at least 1 second");
  const media_detection detection = detect_media_kind(bytes);
  if (detection.format == "wav") return wav_excerpt(bytes, max_seconds);
  if (detection.format == "mp3") return mp3_excerpt(bytes, max_seconds);
  const std::string what = detection.kind == media_kind::unknown ? std::string("unrecognised bytes")
                                                                  : std::string(detection.format);
  return make_error(error_code::unsupported_media, "only WAV and MP3 can be cut without decoding, not " + what);
}

}  // namespace mosaic::media
