// Videos cut for Gemini (server/extract/video_segments): a 5-minute video made here by ffmpeg becomes
// segments of at most 120 s cut at key frames without re-encoding, each an MP4 whose own header and
// packets say so and whose start times cover the video; a short one is one segment; a video whose key
// frames are too far apart, and hostile files, are refused with their reason.
#include <catch2/catch.hpp>

#include <string>

#include "extract/video_probe.hpp"
#include "extract/video_segments.hpp"
#include "media/iso_media_duration.hpp"
#include "video_fixtures.hpp"

using namespace mosaic;
using namespace mosaic::extract;

TEST_CASE("a 300 s video becomes segments of at most 120 s, cut at key frames", "[extract][video][segments]") {
  const auto segments = split_video(testing::five_minute_video());
  REQUIRE(segments);
  REQUIRE(segments->size() == 3);
  std::uint64_t expected_start = 0;
  std::uint64_t frames = 0;
  for (const video_segment& segment : segments.value()) {
    INFO("segment at " << segment.start_milliseconds << " ms");
    CHECK(segment.start_milliseconds == expected_start);
    CHECK(segment.start_milliseconds % 2000 == 0);  // on a key frame (every 2 s)
    CHECK(segment.duration_milliseconds <= 120'000);
    CHECK(segment.mime_type == "video/mp4");
    CHECK(segment.mp4_bytes.size() <= 15u * 1024 * 1024);
    // What the segment's own header states (Gemini's check reads it) and what its packets hold.
    const auto stated = media::iso_media_duration_milliseconds(segment.mp4_bytes);
    REQUIRE(stated);
    CHECK(stated.value() <= 120'000);
    const auto facts = probe_video(segment.mp4_bytes);
    REQUIRE(facts);
    CHECK(facts->video_codec == "h264");  // copied, not re-encoded
    CHECK(facts->audio_codec == "aac");
    CHECK(facts->key_frame_milliseconds.front() == 0);  // each starts on its key frame
    CHECK(facts->duration_milliseconds + 100 >= segment.duration_milliseconds);
    CHECK(facts->duration_milliseconds <= segment.duration_milliseconds + 100);
    frames += facts->video_frames;
    expected_start += segment.duration_milliseconds;
  }
  CHECK(frames == 300u * 24u);  // every frame once
  CHECK(expected_start >= 300'000);
  // The same video gives the same segments (the embedding cache's key).
  const auto again = split_video(testing::five_minute_video());
  REQUIRE(again);
  for (std::size_t index = 0; index < segments->size(); ++index) CHECK((*again)[index].mp4_bytes == (*segments)[index].mp4_bytes);
}

TEST_CASE("a short video is one segment; the size cap cuts shorter", "[extract][video][segments]") {
  const auto whole = split_video(testing::thirty_second_video());
  REQUIRE(whole);
  REQUIRE(whole->size() == 1);
  CHECK(whole->front().start_milliseconds == 0);

  // A byte cap a third of the video's size: more, shorter segments, each within it.
  const std::size_t size = testing::thirty_second_video().size();
  video_segment_limits limits;
  limits.max_bytes = std::max<std::uint64_t>(size / 3, 256 * 1024);
  if (limits.max_bytes * 2 < size) {
    const auto parts = split_video(testing::thirty_second_video(), limits);
    REQUIRE(parts);
    CHECK(parts->size() >= 3);
    for (const video_segment& part : parts.value()) CHECK(part.mp4_bytes.size() <= limits.max_bytes);
  }
}

TEST_CASE("key frames too far apart, too many segments and hostile files are refused", "[extract][video][segments]") {
  // A 30 s video with one key frame every 10 s cannot be cut into segments of at most 5 s without
  // re-encoding.
  video_segment_limits limits;
  limits.max_milliseconds = 5000;
  testing::video_recipe recipe = testing::video_of(2, 28);
  recipe.extra_options = "-g 240 -keyint_min 240";
  const auto sparse = testing::make_video(recipe);
  const auto refused = split_video(sparse, limits);
  REQUIRE_FALSE(refused);
  INFO(refused.failure().message);
  CHECK(refused.failure().code == error_code::unsupported_media);
  CHECK(refused.failure().message.find("no key frame within 5 s") != std::string::npos);

  limits = {};
  limits.max_milliseconds = 10'000;
  limits.max_segments = 2;
  CHECK(split_video(testing::thirty_second_video(), limits).failure().code == error_code::media_too_large);

  const std::vector<std::uint8_t> text{'n', 'o', 't', ' ', 'a', ' ', 'v', 'i', 'd', 'e', 'o'};
  CHECK(split_video(text).failure().code == error_code::invalid_media);
  const auto& video = testing::thirty_second_video();
  CHECK_FALSE(split_video(std::vector<std::uint8_t>(video.begin(), video.begin() + static_cast<std::ptrdiff_t>(video.size() / 2))));
  limits = {};
  limits.max_milliseconds = 1000;
  CHECK(split_video(video, limits).failure().code == error_code::invalid_argument);
}
