#include "media/kind_icon.hpp"

#include <array>
#include <cstdlib>

#include "media/image_preparation.hpp"

namespace mosaic::media {
namespace {

using colour = std::array<std::uint8_t, 3>;

// One icon as a function from pixel to colour: each glyph is a few inequalities, so there is no
// drawing library to carry and the picture is exactly reproducible.
template <typename Painter>
std::vector<std::uint8_t> paint(Painter painter) {
  std::vector<std::uint8_t> pixels(std::size_t{kind_icon_side} * kind_icon_side * 3);
  for (std::uint32_t y = 0; y < kind_icon_side; ++y) {
    for (std::uint32_t x = 0; x < kind_icon_side; ++x) {
      const colour value = painter(static_cast<int>(x), static_cast<int>(y));
      std::copy(value.begin(), value.end(), pixels.begin() + static_cast<std::ptrdiff_t>((std::size_t{y} * kind_icon_side + x) * 3));
    }
  }
  return pixels;
}

// Seven bars of a level meter, centred.
colour audio_pixel(int x, int y) {
  constexpr colour background{232, 238, 248};
  constexpr colour bar{58, 90, 140};
  constexpr std::array<int, 7> heights{20, 44, 68, 52, 32, 60, 24};
  constexpr int bar_width = 8, gap = 6, left = (128 - (7 * bar_width + 6 * gap)) / 2;
  const int offset = x - left;
  if (offset < 0 || offset >= 7 * bar_width + 6 * gap || offset % (bar_width + gap) >= bar_width) return background;
  const int height = heights[static_cast<std::size_t>(offset / (bar_width + gap))];
  return std::abs(y - 64) * 2 <= height ? bar : background;
}

// A white play sign on a dark tile.
colour video_pixel(int x, int y) {
  constexpr colour background{43, 47, 54};
  constexpr colour sign{245, 245, 245};
  if (x < 48 || x > 96) return background;
  return std::abs(y - 64) * 48 <= 28 * (96 - x) ? sign : background;
}

// A page with a folded corner and a red band across it.
colour pdf_pixel(int x, int y) {
  constexpr colour background{236, 236, 236};
  constexpr colour page{255, 255, 255};
  constexpr colour edge{120, 120, 120};
  constexpr colour band{200, 40, 40};
  constexpr int left = 34, right = 94, top = 18, bottom = 110, fold = 18;
  if (x < left || x > right || y < top || y > bottom) return background;
  const int into_corner = (x - (right - fold)) - (y - top);  // > 0 above the fold's diagonal
  if (into_corner > 0) return background;
  if (into_corner == 0 || x == left || x == right || y == top || y == bottom) return edge;
  if (x >= right - fold && y <= top + fold && (x == right - fold || y == top + fold)) return edge;
  if (y >= 72 && y <= 88) return band;
  return page;
}

}  // namespace

result<std::vector<std::uint8_t>> render_kind_icon_jpeg(media_kind kind) {
  std::vector<std::uint8_t> pixels;
  switch (kind) {
    case media_kind::audio: pixels = paint(audio_pixel); break;
    case media_kind::video: pixels = paint(video_pixel); break;
    case media_kind::pdf: pixels = paint(pdf_pixel); break;
    default: return make_error(error_code::invalid_argument, "only audio, video and PDF have a kind icon");
  }
  return encode_rgb_jpeg(pixels, kind_icon_side, kind_icon_side, 90);
}

}  // namespace mosaic::media
