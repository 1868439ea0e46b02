// Videos measured by FFmpeg's demuxer (server/extract/video_probe): the exact duration, picture size,
// codecs and key frames of videos made here by ffmpeg's lavfi sources, and hostile files (wrong magic,
// truncated, no streams, no video stream, an unknown codec, a huge claimed picture) refused with their
// reason.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "container_fixtures.hpp"
#include "extract/video_probe.hpp"
#include "video_fixtures.hpp"

using namespace mosaic;
using namespace mosaic::extract;

namespace {

bool mentions(const error& failure, const std::string& words) { return failure.message.find(words) != std::string::npos; }

// The first occurrence of `from` after `anchor` replaced by `to` (same length): a box or field rewritten.
std::vector<std::uint8_t> replaced(std::vector<std::uint8_t> bytes, const std::string& anchor, const std::string& from,
                                   const std::string& to) {
  const auto after = std::search(bytes.begin(), bytes.end(), anchor.begin(), anchor.end());
  REQUIRE(after != bytes.end());
  const auto found = std::search(after, bytes.end(), from.begin(), from.end());
  REQUIRE(found != bytes.end());
  std::copy(to.begin(), to.end(), found);
  return bytes;
}

}  // namespace

TEST_CASE("a 30 s H.264 video with AAC audio: its exact length, size, codecs and key frames", "[extract][video]") {
  const auto facts = probe_video(testing::thirty_second_video());
  REQUIRE(facts);
  // 720 frames at 24 fps; the AAC track may end a frame (23 ms) later than the picture.
  CHECK(facts->duration_milliseconds >= 30'000);
  CHECK(facts->duration_milliseconds <= 30'050);
  CHECK(facts->width == 320);
  CHECK(facts->height == 240);
  CHECK(facts->video_codec == "h264");
  CHECK(facts->audio_codec == "aac");
  CHECK(facts->video_frames == 720);
  // A key frame every 48 frames: at 0, 2, 4, ... 28 s.
  REQUIRE(facts->key_frame_milliseconds.size() == 15);
  for (std::size_t index = 0; index < 15; ++index) CHECK(facts->key_frame_milliseconds[index] == index * 2000);
}

TEST_CASE("a video without audio and a 5-minute one are measured", "[extract][video]") {
  testing::video_recipe recipe = testing::video_of(1, 4);
  recipe.audio = false;
  const auto silent = probe_video(testing::make_video(recipe));
  REQUIRE(silent);
  CHECK(silent->duration_milliseconds == 5000);
  CHECK(silent->audio_codec.empty());
  const auto long_one = probe_video(testing::five_minute_video());
  REQUIRE(long_one);
  CHECK(long_one->duration_milliseconds >= 300'000);
  CHECK(long_one->duration_milliseconds <= 300'050);
  CHECK(long_one->key_frame_milliseconds.size() == 150);
}

TEST_CASE("hostile videos are refused with their reason", "[extract][video][hostile]") {
  const std::vector<std::uint8_t>& video = testing::thirty_second_video();

  SECTION("wrong magic") {
    const std::string zip = "PK\x03\x04 this is a zip file, not a video at all, padded to be long enough......";
    const auto refused = probe_video(std::vector<std::uint8_t>(zip.begin(), zip.end()));
    REQUIRE_FALSE(refused);
    CHECK(refused.failure().code == error_code::invalid_media);
    CHECK(mentions(refused.failure(), "not a video FFmpeg can read"));
    CHECK_FALSE(probe_video({}));
  }
  SECTION("truncated: the header ends the file (moov last), or the frames do (moov first)") {
    const auto headless = probe_video(std::vector<std::uint8_t>(video.begin(), video.begin() + static_cast<std::ptrdiff_t>(video.size() / 2)));
    REQUIRE_FALSE(headless);
    CHECK(headless.failure().code == error_code::invalid_media);
    testing::video_recipe recipe = testing::video_of(2, 28);
    recipe.extra_options = "-movflags +faststart";
    const auto fast_start = testing::make_video(recipe);
    const auto cut = probe_video(std::vector<std::uint8_t>(fast_start.begin(), fast_start.begin() + static_cast<std::ptrdiff_t>(fast_start.size() / 2)));
    REQUIRE_FALSE(cut);
    CHECK(cut.failure().code == error_code::invalid_media);
    CHECK(mentions(cut.failure(), "truncated"));
  }
  SECTION("no streams at all: a movie header without tracks") {
    const auto refused = probe_video(testing::mp4_of_seconds(10));
    REQUIRE_FALSE(refused);
    CHECK(mentions(refused.failure(), "no streams"));
  }
  SECTION("no video stream: sound alone in an MP4") {
    testing::video_recipe recipe = testing::video_of(0, 5);
    recipe.video = false;
    const auto refused = probe_video(testing::make_video(recipe));
    REQUIRE_FALSE(refused);
    CHECK(refused.failure().code == error_code::unsupported_media);
    CHECK(mentions(refused.failure(), "no video stream"));
  }
  SECTION("a codec FFmpeg does not know (the sample entry's four letters changed)") {
    // The sample description's entry, not the file type's list of compatible brands, which names avc1 too.
    const auto refused = probe_video(replaced(video, "stsd", "avc1", "zzz9"));
    REQUIRE_FALSE(refused);
    CHECK(refused.failure().code == error_code::unsupported_media);
    CHECK(mentions(refused.failure(), "cannot decode"));
  }
  SECTION("a picture over the pixel budget is refused before any frame is decoded") {
    video_probe_limits limits;
    limits.input.max_pixels = 320 * 200;
    const auto refused = probe_video(video, limits);
    REQUIRE_FALSE(refused);
    CHECK(refused.failure().code == error_code::media_too_large);
    CHECK(mentions(refused.failure(), "320x240"));
  }
  SECTION("a packet budget stops a file of endless packets") {
    video_probe_limits limits;
    limits.max_packets = 100;
    const auto refused = probe_video(video, limits);
    REQUIRE_FALSE(refused);
    CHECK(refused.failure().code == error_code::media_too_large);
  }
}
