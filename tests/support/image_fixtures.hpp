#pragma once
// Images made in memory for tests, encoded with stb_image_write (the implementation lives in the
// core library): a gradient (something for resizing and encoding to work on) or a solid colour.
#include <catch2/catch.hpp>
#include <stb_image_write.h>

#include <cstdint>
#include <vector>

namespace mosaic::testing {

using image_bytes = std::vector<std::uint8_t>;

inline void append_to_vector(void* context, void* data, int size) {
  auto* output = static_cast<image_bytes*>(context);
  const auto* begin = static_cast<const std::uint8_t*>(data);
  output->insert(output->end(), begin, begin + size);
}

inline image_bytes gradient_pixels(int width, int height, int channels) {
  image_bytes pixels;
  pixels.reserve(static_cast<std::size_t>(width * height * channels));
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int channel = 0; channel < channels; ++channel) {
        pixels.push_back(static_cast<std::uint8_t>((x * 7 + y * 3 + channel * 50) & 0xFF));
      }
    }
  }
  return pixels;
}

inline image_bytes solid_pixels(int width, int height, int channels) {
  return image_bytes(static_cast<std::size_t>(width * height * channels), 90);
}

inline image_bytes encode_png(int width, int height, int channels, const image_bytes& pixels) {
  image_bytes output;
  REQUIRE(stbi_write_png_to_func(append_to_vector, &output, width, height, channels, pixels.data(), 0) != 0);
  return output;
}

inline image_bytes encode_jpeg(int width, int height, const image_bytes& pixels) {
  image_bytes output;
  REQUIRE(stbi_write_jpg_to_func(append_to_vector, &output, width, height, 3, pixels.data(), 90) != 0);
  return output;
}

}  // namespace mosaic::testing
