#pragma once
// Turning any image we can decode (PNG, JPEG, GIF, BMP, TGA, binary PNM) into a JPEG that Gemini
// accepts, with its longest side bounded: for embedding (prepare_image) and for thumbnails
// (make_thumbnail). Input bytes are hostile: the structure is checked, and the dimensions are
// checked against a pixel budget before a single pixel is decoded.
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"

namespace mosaic::media {

// Refused before decoding (media_too_large): more than 64 megapixels, or a side above 16384. With
// 16-bit channels and RGBA, a decode at the budget peaks near 1.5 GB; the wasm heap cannot hold more.
inline constexpr std::uint64_t maximum_image_pixels = 64ull * 1024 * 1024;
inline constexpr std::uint32_t maximum_image_side = 16384;

inline constexpr std::uint32_t thumbnail_max_side = 256;
inline constexpr int default_jpeg_quality = 85;
inline constexpr int thumbnail_jpeg_quality = 80;

struct prepared_image {
  std::vector<std::uint8_t> jpeg_bytes;  // baseline JPEG, 3 channels (alpha composited on white)
  std::uint32_t width = 0;               // of jpeg_bytes
  std::uint32_t height = 0;
  std::uint32_t original_width = 0;
  std::uint32_t original_height = 0;
  bool resized = false;  // false when the original already fit: images are never upscaled
};

// Decodes, composites any alpha on white, downscales (sRGB-aware, aspect ratio kept, each side at
// least 1 pixel) so the longest side is at most max_side, and encodes a JPEG of jpeg_quality (1..100).
// Errors: invalid_argument (max_side 0, quality out of range), unsupported_media (not an image, or an
// image stb cannot decode: WebP, HEIC, AVIF, ASCII PNM), media_too_large (over the budget above),
// invalid_media (truncated or corrupt; the message carries stb's reason when stb found it).
// EXIF orientation is not applied: stb ignores it, so a rotated phone photo stays as stored.
result<prepared_image> prepare_image(std::span<const std::uint8_t> bytes, std::uint32_t max_side,
                                     int jpeg_quality = default_jpeg_quality);

// An image decoded to RGB pixels (alpha composited on white) and downscaled like prepare_image, not
// encoded: what a reader of the picture's content (OCR in server/extract/) takes. Same checks and errors
// as prepare_image.
struct decoded_image {
  std::vector<std::uint8_t> rgb_pixels;  // width * height * 3 bytes, row-major
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint32_t original_width = 0;
  std::uint32_t original_height = 0;
};
result<decoded_image> decode_image(std::span<const std::uint8_t> bytes, std::uint32_t max_side);

// prepare_image with max_side 256: the thumbnails an index stores beside its items.
result<prepared_image> make_thumbnail(std::span<const std::uint8_t> bytes);

// Encodes width x height RGB pixels (3 bytes each, row-major) as a JPEG: the one encoder the pictures
// the core draws itself (waveforms, kind icons) share. Errors: invalid_argument (a size of zero or
// pixels not width * height * 3 bytes), invalid_media (the encoder refused).
result<std::vector<std::uint8_t>> encode_rgb_jpeg(std::span<const std::uint8_t> pixels, std::uint32_t width,
                                                  std::uint32_t height, int jpeg_quality = default_jpeg_quality);

}  // namespace mosaic::media
