// Kind icons: a JPEG of the promised size for audio, video and PDF, the same bytes every time (so a
// site stores one file per kind), different pictures for different kinds, and no icon for kinds that
// have their own preview. Also the shared RGB-to-JPEG encoder's refusals.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "media/image_preparation.hpp"
#include "media/kind_icon.hpp"
#include "media/media_kind.hpp"

using namespace mosaic;
using namespace mosaic::media;

TEST_CASE("audio, video and PDF icons are square JPEGs, stable and distinct", "[kind_icon]") {
  std::vector<std::vector<std::uint8_t>> icons;
  for (const media_kind kind : {media_kind::audio, media_kind::video, media_kind::pdf}) {
    auto icon = render_kind_icon_jpeg(kind);
    REQUIRE(icon);
    CHECK(detect_media_kind(icon.value()).format == "jpeg");
    auto decoded = prepare_image(icon.value(), 1024);
    REQUIRE(decoded);
    CHECK(decoded->width == kind_icon_side);
    CHECK(decoded->height == kind_icon_side);
    auto again = render_kind_icon_jpeg(kind);
    REQUIRE(again);
    CHECK(again.value() == icon.value());
    icons.push_back(std::move(icon).value());
  }
  CHECK(icons[0] != icons[1]);
  CHECK(icons[1] != icons[2]);
  CHECK(icons[0] != icons[2]);
}

TEST_CASE("text, images and unknown files have no kind icon", "[kind_icon]") {
  for (const media_kind kind : {media_kind::text, media_kind::image, media_kind::unknown}) {
    auto icon = render_kind_icon_jpeg(kind);
    REQUIRE_FALSE(icon);
    CHECK(icon.failure().code == error_code::invalid_argument);
  }
}

TEST_CASE("the RGB JPEG encoder refuses sizes that do not match the pixels", "[kind_icon]") {
  const std::vector<std::uint8_t> pixels(4 * 3 * 3, 200);
  CHECK(encode_rgb_jpeg(pixels, 4, 3));
  CHECK(encode_rgb_jpeg(pixels, 4, 4).failure().code == error_code::invalid_argument);
  CHECK(encode_rgb_jpeg(pixels, 0, 3).failure().code == error_code::invalid_argument);
  CHECK(encode_rgb_jpeg({}, 0, 0).failure().code == error_code::invalid_argument);
  CHECK(encode_rgb_jpeg(pixels, 4, 3, 0).failure().code == error_code::invalid_argument);
}
