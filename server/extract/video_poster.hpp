#pragma once
// A video's poster frame: the picture a result shows, chosen to say what the video holds. Many videos
// open on black (a fade in, a title card's background), so the first frame is a poor poster. A few
// key frames spread over the video are decoded (libavcodec; key frames decode on their own, without
// the frames before them), each is scored on a small grey copy by its brightness spread and the
// entropy of its histogram, near-black and near-uniform frames are passed over, and the best one is
// scaled (libswscale) to a thumbnail. Decode work is capped: a fixed number of candidates, a fixed
// number of packets read for each, one decoding thread, and the picture size checked before any decode.
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "extract/video_input.hpp"

namespace mosaic::extract {

struct video_poster_limits {
  video_input_limits input;
  std::uint32_t candidates = 8;                // key frames decoded, at the middles of equal spans of the video
  std::uint32_t max_packets_per_candidate = 240;  // read after each seek before that candidate is given up
  std::uint32_t longest_side = 256;            // the poster's, in pixels (never upscaled)
};

// How a frame looks on its grey copy: what tells a picture from a black or blank frame.
struct frame_look {
  double mean_brightness = 0;  // 0..255
  double brightness_spread = 0;  // standard deviation, 0..127.5
  double entropy_bits = 0;     // of the 256-bin histogram, 0..8
  // Near-black (mean under 24) or near-uniform (spread under 8): a fade, a blank card.
  bool representative() const noexcept { return mean_brightness >= 24 && brightness_spread >= 8; }
};

// Scores width x height grey pixels (one byte each, row-major).
frame_look look_at_grey_frame(std::span<const std::uint8_t> grey, std::uint32_t width, std::uint32_t height);

struct video_poster {
  std::vector<std::uint8_t> rgb_pixels;  // width * height * 3 bytes, row-major
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint64_t at_milliseconds = 0;     // the frame's time from the video stream's start
  frame_look look;
  std::uint32_t frames_decoded = 0;      // candidates that gave a frame
};

// Errors: those of video_input::open and video_stream, and invalid_media when no candidate frame
// decodes at all. When every decoded frame is black or blank, the best of them is the poster
// (look.representative() then says false).
result<video_poster> pick_video_poster(std::span<const std::uint8_t> bytes, const video_poster_limits& limits = {});

}  // namespace mosaic::extract
