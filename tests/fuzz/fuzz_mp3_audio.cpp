// MP3 (shared/media/mp3_audio): the frame walk over tags, Xing/Info/VBRI headers and audio frames.
// Accepted frames lie inside the input, in order, without overlap; the sample count is what the frames
// hold; each segment split_mp3 cuts parses again as MP3 of the same stream parameters.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_support.hpp"
#include "media/audio_excerpt.hpp"
#include "media/mp3_audio.hpp"

using namespace mosaic::media;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  (void)leading_audio_excerpt(bytes, 5);
  auto parsed = parse_mp3(bytes);
  if (!parsed) {
    MOSAIC_FUZZ_CHECK(!parsed.failure().message.empty(), "a refusal must say why");
    return 0;
  }
  const mp3_info& info = parsed.value();
  std::size_t previous_end = 0;
  for (const mp3_frame& frame : info.frames) {
    MOSAIC_FUZZ_CHECK(frame.offset >= previous_end && frame.length > 0 && frame.offset <= size && frame.length <= size - frame.offset,
                      "a frame overlaps another or lies past the input");
    previous_end = frame.offset + frame.length;
  }
  MOSAIC_FUZZ_CHECK(info.sample_count == info.frames.size() * info.samples_per_frame, "sample count is off");
  auto segments = split_mp3(bytes, 30);
  if (!segments) return 0;
  for (const mp3_segment& segment : segments.value()) {
    auto reparsed = parse_mp3(segment.mp3_bytes);
    MOSAIC_FUZZ_CHECK(reparsed.ok(), reparsed.ok() ? "" : reparsed.failure().message);
    MOSAIC_FUZZ_CHECK(reparsed->channels == info.channels && reparsed->samples_per_frame == info.samples_per_frame,
                      "a segment changed the stream");
  }
  return 0;
}
