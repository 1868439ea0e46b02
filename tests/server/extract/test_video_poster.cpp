// A video's poster frame (server/extract/video_poster): on videos made here by ffmpeg that open on
// 2 s of black, the poster is a picture of the video (testsrc2's colours), not the black; a video that
// is black throughout still gets a poster, marked unrepresentative; the frame judge on its own.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <vector>

#include "extract/video_poster.hpp"
#include "video_fixtures.hpp"

using namespace mosaic;
using namespace mosaic::extract;

namespace {

double mean(const std::vector<std::uint8_t>& pixels) {
  return std::accumulate(pixels.begin(), pixels.end(), 0.0) / static_cast<double>(pixels.size());
}

}  // namespace

TEST_CASE("the frame judge tells black and blank frames from pictures", "[extract][video][poster]") {
  const std::vector<std::uint8_t> black(64 * 64, 3);
  CHECK_FALSE(look_at_grey_frame(black, 64, 64).representative());
  CHECK(look_at_grey_frame(black, 64, 64).entropy_bits == 0);
  const std::vector<std::uint8_t> grey_card(64 * 64, 128);
  CHECK_FALSE(look_at_grey_frame(grey_card, 64, 64).representative());
  std::vector<std::uint8_t> gradient(64 * 64);
  for (std::size_t index = 0; index < gradient.size(); ++index) gradient[index] = static_cast<std::uint8_t>((index % 64) * 4);
  const frame_look look = look_at_grey_frame(gradient, 64, 64);
  CHECK(look.representative());
  CHECK(look.entropy_bits == Approx(6.0));  // 64 equally common values
  CHECK(look.mean_brightness == Approx(126.0));
}

TEST_CASE("a video that opens on black gets a poster of its picture", "[extract][video][poster]") {
  const auto poster = pick_video_poster(testing::thirty_second_video());
  REQUIRE(poster);
  CHECK(poster->width == 256);
  CHECK(poster->height == 192);
  REQUIRE(poster->rgb_pixels.size() == 256u * 192u * 3u);
  CHECK(poster->look.representative());
  CHECK(poster->at_milliseconds >= 2000);  // after the black opening
  CHECK(mean(poster->rgb_pixels) > 40);
  CHECK(poster->frames_decoded == 8);
  // The first frame, which a naive poster would show, is black: 1 candidate lands in the first 2 s.
  video_poster_limits first_only;
  first_only.candidates = 1;
  first_only.input = {};
  const auto naive = pick_video_poster(testing::make_video(testing::video_of(20, 4)), first_only);
  REQUIRE(naive);
  CHECK_FALSE(naive->look.representative());
  CHECK(mean(naive->rgb_pixels) < 24);
}

TEST_CASE("a 5-minute video's poster, and a poster never upscaled", "[extract][video][poster]") {
  const auto poster = pick_video_poster(testing::five_minute_video());
  REQUIRE(poster);
  CHECK(poster->look.representative());
  CHECK(poster->width == 160);  // 160x120 stays 160x120
  CHECK(poster->height == 120);
}

TEST_CASE("a black video still gets a poster, marked unrepresentative; hostile ones fail", "[extract][video][poster]") {
  testing::video_recipe black = testing::video_of(6, 0);
  black.audio = false;
  const auto poster = pick_video_poster(testing::make_video(black));
  REQUIRE(poster);
  CHECK_FALSE(poster->look.representative());
  const std::vector<std::uint8_t> text{'n', 'o', 't', ' ', 'a', ' ', 'v', 'i', 'd', 'e', 'o'};
  CHECK(pick_video_poster(text).failure().code == error_code::invalid_media);
  video_poster_limits limits;
  limits.candidates = 0;
  CHECK(pick_video_poster(testing::thirty_second_video(), limits).failure().code == error_code::invalid_argument);
}
