#pragma once
// Cutting a video into segments Gemini embeds (at most 120 s each, each within one request) without
// re-encoding: FFmpeg's demuxer reads the packets, the cuts fall on the video's key frames (where a
// decoder can start), and each segment's packets are remuxed (libavformat, stream copy) into an MP4
// of its own, in memory, its timestamps made to start at zero. Audio packets go with the segment
// their time falls in. A video whose key frames lie further apart than a segment may last cannot be
// cut this way, and is refused with that reason rather than re-encoded. Segments are deterministic:
// the same file gives the same bytes, so the embedding cache finds them.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "extract/video_input.hpp"

namespace mosaic::extract {

struct video_segment_limits {
  video_input_limits input;
  std::uint64_t max_milliseconds = 120'000;     // each segment's length as its MP4 header states it
  std::uint64_t max_bytes = 15ull * 1024 * 1024;  // each segment's MP4, container included
  std::uint64_t max_segments = 720;             // 24 h in 120 s segments; a longer video is refused
  std::uint64_t max_packets = 4'000'000;
};

struct video_segment {
  std::uint64_t start_milliseconds = 0;     // from the original's first video packet
  std::uint64_t duration_milliseconds = 0;  // to the next segment's start (the last: to the end)
  std::vector<std::uint8_t> mp4_bytes;
  std::string_view mime_type = "video/mp4";  // "video/quicktime" when only the MOV muxer takes the codecs
};

// The segments, in time order, covering the whole video (its video stream and its main audio stream;
// other tracks, subtitles or timecodes, are left out). A video that fits one segment is one segment.
// Errors: those of video_input::open and video_stream; invalid_media (no frames, a packet stream the
// MP4 muxer refuses); unsupported_media (key frames too far apart to cut within max_milliseconds or
// max_bytes); media_too_large (over max_segments or max_packets).
result<std::vector<video_segment>> split_video(std::span<const std::uint8_t> bytes,
                                               const video_segment_limits& limits = {});

}  // namespace mosaic::extract
