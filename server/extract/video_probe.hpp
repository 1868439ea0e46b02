#pragma once
// What a video file is, measured by FFmpeg's demuxer (libavformat) without decoding a frame: its exact
// duration (from its packets' timestamps, not the header's claim), its picture size and codecs, and
// the times of its key frames (where it can be cut without re-encoding: video_segments). Hostile
// files are refused with their reason: no streams, no video stream, a codec this FFmpeg cannot decode,
// a picture over the pixel budget, more packets than any real video under the budget holds, or a
// file that ends before its frames do (truncated).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "extract/video_input.hpp"

namespace mosaic::extract {

struct video_probe_limits {
  video_input_limits input;               // the demuxer's read budget and the picture's size cap
  std::uint64_t max_packets = 4'000'000;  // every stream's packets; 24 h of 30 fps video with its audio
};

struct video_facts {
  std::uint64_t duration_milliseconds = 0;  // the first video packet's start to the last packet's end, all streams
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::string video_codec;                  // FFmpeg's short name: "h264", "hevc", "mpeg4", ...
  std::string audio_codec;                  // empty: no audio stream
  std::uint64_t video_frames = 0;           // video packets read
  std::vector<std::uint64_t> key_frame_milliseconds;  // from the file's start, in presentation order
};

// Errors: invalid_media (not a video FFmpeg reads, no streams, no frames, truncated), unsupported_media
// (no video stream, a codec without a decoder here), media_too_large (over the pixel or packet budget).
result<video_facts> probe_video(std::span<const std::uint8_t> bytes, const video_probe_limits& limits = {});

}  // namespace mosaic::extract
