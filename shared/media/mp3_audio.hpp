#pragma once
// MP3 (MPEG-1/2/2.5 Layer III) audio: walking the frames (as hostile input) to learn the duration,
// and cutting the stream at frame boundaries into segments Gemini accepts (at most 80 s each, see
// docs/gemini-api.md). Nothing is decoded: each frame header says how long the frame is and how
// many samples it holds, which is all a cut at a frame boundary needs.
//
// Policy on damaged files:
// - Leading ID3v2 tags are skipped (their declared size must fit in the file). Trailing ID3v1 ("TAG",
//   128 bytes) and APEv2 ("APETAGEX") tags end the audio.
// - A Xing/Info or VBRI header frame (what encoders put first to describe VBR streams) holds no
//   audio: it is recognised, not counted in the duration and not copied into segments (its frame
//   count would be wrong for a part). Its frame count is reported for comparison only; the duration
//   always comes from the frames actually present, so a truncated file gets its true length.
// - A final frame cut short by the end of the file is dropped (at most one frame, 26 ms at 44.1 kHz),
//   as in a download that stopped early. Bytes that are not a frame header anywhere else are an
//   error (invalid_media), as is a change of MPEG version, sample rate or mono/stereo mid-stream:
//   guessing where the audio resumes could cut a segment through garbage.
// - Free-format bitrate (bitrate index 0) and Layer I/II are refused as unsupported_media.
// A segment's first frame may refer to bits of the previous frame (the Layer III bit reservoir): a
// decoder plays it as a few milliseconds of silence or noise. Decoding and re-encoding would avoid
// that, with no Debian-packaged encoder library in the build; for embedding it does not matter.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/result.hpp"

namespace mosaic::media {

struct mp3_frame {
  std::size_t offset = 0;  // of the frame header within the parsed bytes
  std::size_t length = 0;  // bytes, header included
};

struct mp3_info {
  std::uint8_t mpeg_version = 1;       // 1, 2, or 25 for MPEG 2.5
  std::uint32_t sample_rate = 0;       // Hz, the same for every frame
  std::uint8_t channels = 0;           // 1 (mono) or 2
  std::uint32_t samples_per_frame = 0; // 1152 (MPEG 1) or 576 (MPEG 2/2.5)
  std::vector<mp3_frame> frames;       // audio frames only (no Xing/Info/VBRI description frame, wherever one is)
  std::uint64_t sample_count = 0;      // frames.size() * samples_per_frame
  std::uint64_t duration_milliseconds = 0;  // sample_count * 1000 / sample_rate, rounded down
  std::size_t id3v2_bytes = 0;         // skipped at the start
  bool has_vbr_header = false;         // a Xing, Info or VBRI frame was found first
  std::optional<std::uint32_t> vbr_header_frame_count;  // what that header claims, when it says
  bool dropped_truncated_frame = false;  // the last frame ran past the end and was left out
};

// Errors: invalid_media (no frame where one must be, a tag past the end, a stream whose format
// changes, no audio frame at all), unsupported_media (free-format bitrate, Layer I or II).
result<mp3_info> parse_mp3(std::span<const std::uint8_t> bytes);

struct mp3_segment {
  std::vector<std::uint8_t> mp3_bytes;  // whole frames copied from the original, no tags
  std::uint64_t start_milliseconds = 0;
  std::uint64_t duration_milliseconds = 0;
};

// Cuts at frame boundaries into segments of at most max_seconds each (the last one may be shorter).
// Offsets are floor(sample * 1000 / rate) of each cut, so the durations add up to exactly the whole
// stream's duration_milliseconds. max_seconds too small for one frame is invalid_argument.
result<std::vector<mp3_segment>> split_mp3(std::span<const std::uint8_t> bytes, std::uint32_t max_seconds);

}  // namespace mosaic::media
