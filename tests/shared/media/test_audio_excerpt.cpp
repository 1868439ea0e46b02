// leading_audio_excerpt: the first max_seconds of a WAV or MP3, cut at a frame boundary, parsed back
// by the same readers the proxy uses; the input unchanged when it already fits; clear refusals.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "container_fixtures.hpp"
#include "media/audio_excerpt.hpp"
#include "media/mp3_audio.hpp"
#include "media/wav_audio.hpp"

using mosaic::error_code;
using mosaic::media::leading_audio_excerpt;

namespace {

// A 16-bit stereo WAV at 8 kHz whose every frame holds its own index (left) and its negation (right),
// so a test can tell which frames an excerpt kept.
std::vector<std::uint8_t> numbered_wav(std::size_t frames, const std::string& comment) {
  mosaic::media::wav_format format;
  format.channels = 2;
  format.sample_rate = 8000;
  format.bits_per_sample = 16;
  std::vector<std::uint8_t> samples;
  samples.reserve(frames * 4);
  for (std::size_t frame = 0; frame < frames; ++frame) {
    const auto left = static_cast<std::uint16_t>(frame & 0x7FFF);
    const auto right = static_cast<std::uint16_t>(-static_cast<std::int32_t>(frame & 0x7FFF));
    samples.push_back(static_cast<std::uint8_t>(left & 0xFF));
    samples.push_back(static_cast<std::uint8_t>(left >> 8));
    samples.push_back(static_cast<std::uint8_t>(right & 0xFF));
    samples.push_back(static_cast<std::uint8_t>(right >> 8));
  }
  auto written = mosaic::media::write_wav(format, samples, comment);
  REQUIRE(written.ok());
  return std::move(written).value();
}

}  // namespace

TEST_CASE("a WAV longer than the limit keeps its first frames, format and caption", "[media][audio-excerpt]") {
  const std::size_t frames = 8000 * 100 + 123;  // 100.015 s
  const std::vector<std::uint8_t> source = numbered_wav(frames, "a long call");
  const auto excerpt = leading_audio_excerpt(source, 80);
  REQUIRE(excerpt.ok());
  CHECK(excerpt->truncated);
  CHECK(excerpt->mime_type == "audio/wav");
  CHECK(excerpt->source_duration_milliseconds == 100015);
  CHECK(excerpt->duration_milliseconds == 80000);

  const auto parsed = mosaic::media::parse_wav(excerpt->bytes);
  REQUIRE(parsed.ok());
  CHECK(parsed->frame_count == 8000 * 80);
  CHECK(parsed->format.channels == 2);
  CHECK(parsed->format.sample_rate == 8000);
  CHECK(parsed->format.bits_per_sample == 16);
  CHECK(mosaic::media::read_wav_comment(excerpt->bytes) == std::optional<std::string>("a long call"));
  // The kept frames are the source's first ones, byte for byte.
  const auto source_info = mosaic::media::parse_wav(source);
  REQUIRE(source_info.ok());
  const std::vector<std::uint8_t> kept(excerpt->bytes.begin() + static_cast<std::ptrdiff_t>(parsed->data_offset),
                                       excerpt->bytes.begin() + static_cast<std::ptrdiff_t>(parsed->data_offset + parsed->data_size));
  const std::vector<std::uint8_t> expected(
      source.begin() + static_cast<std::ptrdiff_t>(source_info->data_offset),
      source.begin() + static_cast<std::ptrdiff_t>(source_info->data_offset + parsed->data_size));
  CHECK(kept == expected);
}

TEST_CASE("a recording within the limit is returned unchanged", "[media][audio-excerpt]") {
  const std::vector<std::uint8_t> wav = numbered_wav(8000 * 80, "exactly eighty seconds");
  const auto wav_excerpt = leading_audio_excerpt(wav, 80);
  REQUIRE(wav_excerpt.ok());
  CHECK_FALSE(wav_excerpt->truncated);
  CHECK(wav_excerpt->bytes == wav);
  CHECK(wav_excerpt->duration_milliseconds == 80000);

  const std::vector<std::uint8_t> mp3 = mosaic::testing::mp3_of_frames(100);  // 2.6 s
  const auto mp3_excerpt = leading_audio_excerpt(mp3, 80);
  REQUIRE(mp3_excerpt.ok());
  CHECK_FALSE(mp3_excerpt->truncated);
  CHECK(mp3_excerpt->mime_type == "audio/mpeg");
  CHECK(mp3_excerpt->bytes == mp3);
  CHECK(mp3_excerpt->duration_milliseconds == mp3_excerpt->source_duration_milliseconds);
}

TEST_CASE("an MP3 longer than the limit keeps whole frames up to it", "[media][audio-excerpt]") {
  // 4,000 frames of 1,152 samples at 44.1 kHz: 104.49 s. 80 s hold 3,062 whole frames (79.98 s).
  const std::vector<std::uint8_t> source = mosaic::testing::mp3_of_frames(4000);
  const auto excerpt = leading_audio_excerpt(source, 80);
  REQUIRE(excerpt.ok());
  CHECK(excerpt->truncated);
  CHECK(excerpt->source_duration_milliseconds == 4000ull * 1152 * 1000 / 44100);
  const auto parsed = mosaic::media::parse_mp3(excerpt->bytes);
  REQUIRE(parsed.ok());
  CHECK(parsed->frames.size() == 3062);
  CHECK(excerpt->duration_milliseconds == parsed->duration_milliseconds);
  CHECK(excerpt->duration_milliseconds <= 80000);
  CHECK(excerpt->bytes == std::vector<std::uint8_t>(source.begin(), source.begin() + static_cast<std::ptrdiff_t>(excerpt->bytes.size())));
}

TEST_CASE("audio excerpts refuse what they cannot cut, with the reason", "[media][audio-excerpt][hostile]") {
  const std::vector<std::uint8_t> png_signature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13,
                                                   'I', 'H', 'D', 'R'};
  const auto not_audio = leading_audio_excerpt(png_signature, 80);
  REQUIRE_FALSE(not_audio.ok());
  CHECK(not_audio.failure().code == error_code::unsupported_media);

  const auto empty = leading_audio_excerpt({}, 80);
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.failure().code == error_code::unsupported_media);

  // A WAV whose data chunk claims more bytes than the file holds is damaged, not shortened.
  std::vector<std::uint8_t> truncated = numbered_wav(8000, "");
  truncated.resize(truncated.size() - 100);
  const auto damaged = leading_audio_excerpt(truncated, 80);
  REQUIRE_FALSE(damaged.ok());
  CHECK(damaged.failure().code == error_code::invalid_media);

  const auto zero = leading_audio_excerpt(numbered_wav(10, ""), 0);
  REQUIRE_FALSE(zero.ok());
  CHECK(zero.failure().code == error_code::invalid_argument);
}
