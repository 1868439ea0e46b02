// WAV (shared/media/wav_audio): RIFF chunks of an uploaded or indexed file. An accepted file's data
// lies inside the input and holds whole frames; every segment split_wav cuts is itself a WAV that
// parses, with the original's format, and the segments add up to the original's frames. The leading
// excerpt and the comment reader see the same bytes.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_support.hpp"
#include "media/audio_excerpt.hpp"
#include "media/wav_audio.hpp"

using namespace mosaic::media;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  (void)read_wav_comment(bytes);
  (void)leading_audio_excerpt(bytes, 5);
  auto parsed = parse_wav(bytes);
  if (!parsed) {
    MOSAIC_FUZZ_CHECK(!parsed.failure().message.empty(), "a refusal must say why");
    return 0;
  }
  const wav_info& info = parsed.value();
  MOSAIC_FUZZ_CHECK(info.data_offset <= size && info.data_size <= size - info.data_offset, "data lies past the input");
  MOSAIC_FUZZ_CHECK(info.data_size == info.frame_count * info.format.bytes_per_frame(), "data is not whole frames");
  auto segments = split_wav(bytes, 30);
  if (!segments) return 0;
  std::uint64_t frames = 0;
  for (const wav_segment& segment : segments.value()) {
    auto reparsed = parse_wav(segment.wav_bytes);
    MOSAIC_FUZZ_CHECK(reparsed.ok(), reparsed.ok() ? "" : reparsed.failure().message);
    MOSAIC_FUZZ_CHECK(reparsed->format.sample_rate == info.format.sample_rate &&
                          reparsed->format.channels == info.format.channels,
                      "a segment changed the format");
    frames += reparsed->frame_count;
  }
  MOSAIC_FUZZ_CHECK(frames == info.frame_count, "the segments do not add up to the original");
  return 0;
}
