// The audio decoder (server/extract/audio_decoder) on files made here by espeak-ng, sox and ffmpeg:
// WAV, MP3, a video's audio track, stereo 44.1 kHz mixed down; the duration cap; and hostile files
// (truncated, wrong magic, no audio stream, a WAV declaring 4 GB of sound) refused with reasons.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "extract/audio_decoder.hpp"
#include "speech_fixtures.hpp"

using namespace mosaic;
using namespace mosaic::extract;
using namespace mosaic::test_support;

namespace {

// A 440 Hz tone by sox, at the given rate, channel count and length.
std::filesystem::path tone_wav(const std::string& name, int rate, int channels, const std::string& seconds) {
  const std::filesystem::path file = speech_scratch_folder() / name;
  if (!std::filesystem::exists(file)) {
    run_command("sox -n -r " + std::to_string(rate) + " -b 16 -c " + std::to_string(channels) + " '" + file.string() +
                "' synth " + seconds + " sine 440 vol 0.5");
  }
  return file;
}

}  // namespace

TEST_CASE("a spoken WAV decodes to 16 kHz mono of the same length", "[audio_decoder]") {
  const auto file = spoken_wav("hello", "hello there");
  const auto bytes = read_bytes(file);
  REQUIRE_FALSE(bytes.empty());
  auto decoded = decode_audio(bytes);
  REQUIRE(decoded.ok());
  CHECK(decoded->sample_rate == 16000);
  CHECK(decoded->container == "wav");
  CHECK(decoded->source_sample_rate == 22050);
  CHECK(decoded->source_channels == 1);
  CHECK_FALSE(decoded->cut);
  // espeak-ng writes 16-bit samples after a 44-byte header: the length in time must be kept.
  const double source_seconds = static_cast<double>(bytes.size() - 44) / 2.0 / 22050.0;
  CHECK(static_cast<double>(decoded->samples.size()) / 16000.0 == Approx(source_seconds).margin(0.02));
  std::int32_t loudest = 0;
  for (const std::int16_t sample : decoded->samples) loudest = std::max<std::int32_t>(loudest, std::abs(sample));
  CHECK(loudest > 3000);  // speech, not silence
}

TEST_CASE("stereo 44.1 kHz is mixed down and resampled", "[audio_decoder]") {
  auto decoded = decode_audio(read_bytes(tone_wav("stereo.wav", 44100, 2, "2")));
  REQUIRE(decoded.ok());
  CHECK(decoded->source_channels == 2);
  CHECK(decoded->source_sample_rate == 44100);
  CHECK(static_cast<double>(decoded->samples.size()) == Approx(32000).margin(200));
}

TEST_CASE("an MP3 and a video's audio track decode", "[audio_decoder]") {
  const auto source = spoken_wav("track", "the audio track of a video");
  const std::filesystem::path mp3 = speech_scratch_folder() / "track.mp3", video = speech_scratch_folder() / "track.mp4";
  REQUIRE(run_command("ffmpeg -y -loglevel error -i '" + source.string() + "' '" + mp3.string() + "'"));
  REQUIRE(run_command("ffmpeg -y -loglevel error -f lavfi -i testsrc=size=160x120:rate=10 -i '" + source.string() +
                      "' -shortest -c:v mpeg4 -c:a aac '" + video.string() + "'"));
  auto from_mp3 = decode_audio(read_bytes(mp3));
  REQUIRE(from_mp3.ok());
  CHECK(from_mp3->codec == "mp3");
  auto from_video = decode_audio(read_bytes(video));
  REQUIRE(from_video.ok());
  CHECK(from_video->codec == "aac");
  const auto reference = decode_audio(read_bytes(source));
  REQUIRE(reference.ok());
  // Encoders pad a little at either end; the sound is the same length within a tenth of a second.
  CHECK(static_cast<double>(from_mp3->samples.size()) == Approx(static_cast<double>(reference->samples.size())).margin(1600 + 1200));
  CHECK(static_cast<double>(from_video->samples.size()) == Approx(static_cast<double>(reference->samples.size())).margin(1600 + 1600));
}

TEST_CASE("decoding stops at the duration cap and says so", "[audio_decoder]") {
  audio_decoding_limits limits;
  limits.max_seconds = 1;
  auto decoded = decode_audio(read_bytes(tone_wav("three_seconds.wav", 16000, 1, "3")), limits);
  REQUIRE(decoded.ok());
  CHECK(decoded->cut);
  CHECK(decoded->samples.size() == 16000);
}

TEST_CASE("hostile audio is refused with a reason", "[audio_decoder]") {
  SECTION("empty") {
    auto decoded = decode_audio({});
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.failure().code == error_code::invalid_media);
  }
  SECTION("wrong magic: text") {
    const std::string text = "this is a plain text file, not a recording at all\n";
    auto decoded = decode_audio({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.failure().message.find("FFmpeg") != std::string::npos);
  }
  SECTION("a WAV cut inside its header") {
    auto bytes = read_bytes(tone_wav("cut.wav", 16000, 1, "1"));
    bytes.resize(30);
    auto decoded = decode_audio(bytes);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.failure().code == error_code::invalid_media);
  }
  SECTION("a WAV declaring 4 GB of sound but holding a little decodes what is there") {
    auto bytes = read_bytes(tone_wav("short.wav", 16000, 1, "0.5"));
    REQUIRE(bytes.size() > 44);
    for (const std::size_t position : {std::size_t{4}, std::size_t{40}}) {
      for (std::size_t byte = 0; byte < 4; ++byte) bytes[position + byte] = 0xFF;
    }
    auto decoded = decode_audio(bytes);
    REQUIRE(decoded.ok());
    CHECK(static_cast<double>(decoded->samples.size()) == Approx(8000).margin(200));
  }
  SECTION("a video with no audio stream") {
    const std::filesystem::path video = speech_scratch_folder() / "silent.mp4";
    REQUIRE(run_command("ffmpeg -y -loglevel error -f lavfi -i testsrc=size=160x120:rate=10 -t 1 -c:v mpeg4 -an '" +
                        video.string() + "'"));
    auto decoded = decode_audio(read_bytes(video));
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.failure().code == error_code::unsupported_media);
    CHECK(decoded.failure().message == "no audio stream in the file");
  }
  SECTION("random bytes after a WAV header") {
    auto bytes = read_bytes(tone_wav("garbage.wav", 16000, 1, "1"));
    for (std::size_t index = 44; index < bytes.size(); ++index) bytes[index] = static_cast<std::uint8_t>(index * 2654435761u >> 13);
    auto decoded = decode_audio(bytes);  // noise, but a valid PCM WAV: decoded, never a crash
    CHECK(decoded.ok());
  }
  SECTION("zero limits") {
    audio_decoding_limits limits;
    limits.max_seconds = 0;
    auto decoded = decode_audio(read_bytes(tone_wav("limits.wav", 16000, 1, "0.2")), limits);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.failure().code == error_code::invalid_argument);
  }
}
