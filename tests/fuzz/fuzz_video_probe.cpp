// Videos read through FFmpeg (server/extract/video_probe, video_poster): our wrapper's in-memory
// reading (its read budget and seeks), the stream checks before any decode (no streams, no video, a
// codec without a decoder, the picture's size), the packet walk and the poster's decode, scaling and
// scoring. Small limits keep each run fast: 2 poster candidates, a 32 px poster, a low pixel cap.
#include <cstddef>
#include <cstdint>
#include <span>

#include "extract/video_poster.hpp"
#include "extract/video_probe.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  mosaic::extract::video_probe_limits limits;
  limits.input.max_pixels = 640 * 480;
  limits.input.max_side = 2048;
  limits.max_packets = 20'000;
  const auto facts = mosaic::extract::probe_video(bytes, limits);
  if (!facts) {
    MOSAIC_FUZZ_CHECK(!facts.failure().message.empty(), "a refusal must say why");
    return 0;
  }
  MOSAIC_FUZZ_CHECK(facts->width > 0 && facts->height > 0, "a measured video has a picture size");
  MOSAIC_FUZZ_CHECK(std::uint64_t{facts->width} * facts->height <= limits.input.max_pixels, "within the pixel cap");
  MOSAIC_FUZZ_CHECK(facts->video_frames > 0, "a measured video has frames");
  for (const std::uint64_t key_frame : facts->key_frame_milliseconds) {
    MOSAIC_FUZZ_CHECK(key_frame <= facts->duration_milliseconds + 60'000'000, "key frames lie on the video's clock");
  }
  mosaic::extract::video_poster_limits poster_limits;
  poster_limits.input = limits.input;
  poster_limits.candidates = 2;
  poster_limits.max_packets_per_candidate = 32;
  poster_limits.longest_side = 32;
  const auto poster = mosaic::extract::pick_video_poster(bytes, poster_limits);
  if (!poster) {
    MOSAIC_FUZZ_CHECK(!poster.failure().message.empty(), "a refusal must say why");
    return 0;
  }
  MOSAIC_FUZZ_CHECK(poster->width > 0 && poster->width <= 32 && poster->height > 0 && poster->height <= 32,
                    "the poster fits the longest side");
  MOSAIC_FUZZ_CHECK(poster->rgb_pixels.size() == std::size_t{poster->width} * poster->height * 3,
                    "the poster holds width * height RGB pixels");
  return 0;
}
