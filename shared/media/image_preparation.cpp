#include "media/image_preparation.hpp"
#include "media/zlib_inflate.hpp"

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "core/byte_reader.hpp"
#include "media/image_structure.hpp"
#include "media/media_kind.hpp"

namespace mosaic::media {
namespace {

// stb_image puts no cap on what it allocates: zlib inside a PNG expands up to 1032:1, so a small IDAT
// can inflate to gigabytes whatever the header says, and GIF/JPEG buffers follow their own headers.
// Every stb_image allocation goes through this per-thread budget, which prepare_image sets from the
// image's dimensions before decoding; an allocation beyond it fails, and stb reports "outofmem".
thread_local std::size_t decoder_allocation_budget = 0;
// Each block starts with its size, padded so that the pointer handed to stb keeps malloc's alignment.
constexpr std::size_t allocation_prefix = alignof(std::max_align_t);

std::size_t stored_size(const unsigned char* block) noexcept {
  std::size_t size = 0;
  std::memcpy(&size, block, sizeof size);
  return size;
}

void* budgeted_malloc(std::size_t size) noexcept {
  if (size > decoder_allocation_budget || size > SIZE_MAX - allocation_prefix) return nullptr;
  auto* block = static_cast<unsigned char*>(std::malloc(size + allocation_prefix));
  if (block == nullptr) return nullptr;
  std::memcpy(block, &size, sizeof size);
  decoder_allocation_budget -= size;
  return block + allocation_prefix;
}

void budgeted_free(void* pointer) noexcept {
  if (pointer == nullptr) return;
  unsigned char* block = static_cast<unsigned char*>(pointer) - allocation_prefix;
  decoder_allocation_budget += stored_size(block);
  std::free(block);
}

void* budgeted_realloc(void* pointer, std::size_t new_size) noexcept {
  if (pointer == nullptr) return budgeted_malloc(new_size);
  unsigned char* block = static_cast<unsigned char*>(pointer) - allocation_prefix;
  const std::size_t old_size = stored_size(block);
  if (new_size > old_size && new_size - old_size > decoder_allocation_budget) return nullptr;
  if (new_size > SIZE_MAX - allocation_prefix) return nullptr;
  auto* moved = static_cast<unsigned char*>(std::realloc(block, new_size + allocation_prefix));
  if (moved == nullptr) return nullptr;  // the old block is still valid and still counted
  decoder_allocation_budget = decoder_allocation_budget + old_size - new_size;
  std::memcpy(moved, &new_size, sizeof new_size);
  return moved + allocation_prefix;
}

}  // namespace
}  // namespace mosaic::media

// The one translation unit holding the stb implementations (tests and other code use the declarations
// and link these). Only the formats we promise are compiled in, and no stdio: the core does no I/O.
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_GIF
#define STBI_ONLY_BMP
#define STBI_ONLY_TGA
#define STBI_ONLY_PNM
#define STBI_NO_STDIO
#define STBI_MALLOC(size) mosaic::media::budgeted_malloc(size)
#define STBI_REALLOC(pointer, size) mosaic::media::budgeted_realloc(pointer, size)
#define STBI_FREE(pointer) mosaic::media::budgeted_free(pointer)
#define STB_IMAGE_IMPLEMENTATION
// stb's own code is a system header, but the allocator macros above are defined in this file, so
// GCC attributes the old-style casts stb wraps around them (and their conversions) to us.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#include <stb_image.h>
#pragma GCC diagnostic pop
#define STBI_WRITE_NO_STDIO
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include <stb_image_resize.h>

namespace mosaic::media {
namespace {

std::string stb_reason() {
  const char* reason = stbi_failure_reason();
  return reason != nullptr ? std::string(reason) : std::string("no reason given");
}

struct stb_image_deleter {
  void operator()(unsigned char* pixels) const noexcept { stbi_image_free(pixels); }
};
using stb_pixels = std::unique_ptr<unsigned char, stb_image_deleter>;

// Enough for the largest legitimate decode of that many pixels: 4 channels of 16 bits, held twice (the
// inflated rows and the image) plus the 8-bit result, and 16 MiB for tables and headers.
std::size_t decode_budget_for(std::uint64_t pixel_count) noexcept {
  const std::uint64_t budget = pixel_count * 24 + (16u << 20);
  return budget > SIZE_MAX ? SIZE_MAX : static_cast<std::size_t>(budget);
}

status check_structure(const media_detection& detection, byte_span bytes) {
  if (detection.format == "png") return check_png_structure(bytes);
  if (detection.format == "jpeg") return check_jpeg_structure(bytes);
  if (detection.format == "bmp") return check_bmp_structure(bytes);
  if (detection.format == "gif") return check_gif_structure(bytes);
  if (detection.format == "pgm" || detection.format == "ppm") return check_pnm_structure(bytes);
  if (detection.format == "tga") return success{};  // a fixed binary header: stb checks it as it decodes
  return make_error(error_code::unsupported_media,
                    "cannot decode " + std::string(detection.format) + " images (stb_image reads PNG, JPEG, GIF, BMP, "
                    "TGA and binary PGM/PPM)");
}

// Three 8-bit channels, any alpha composited on white so transparent areas do not turn black in JPEG.
std::vector<std::uint8_t> to_rgb_on_white(const unsigned char* pixels, std::size_t pixel_count, int channels) {
  std::vector<std::uint8_t> rgb(pixel_count * 3);
  const auto on_white = [](std::uint32_t value, std::uint32_t alpha) {
    return static_cast<std::uint8_t>((value * alpha + 255u * (255u - alpha) + 127u) / 255u);
  };
  for (std::size_t index = 0; index < pixel_count; ++index) {
    std::uint8_t* out = rgb.data() + index * 3;
    switch (channels) {
      case 1: out[0] = out[1] = out[2] = pixels[index]; break;
      case 2: out[0] = out[1] = out[2] = on_white(pixels[index * 2], pixels[index * 2 + 1]); break;
      case 4: {
        const unsigned char* in = pixels + index * 4;
        for (std::size_t channel = 0; channel < 3; ++channel) out[channel] = on_white(in[channel], in[3]);
        break;
      }
      default: std::memcpy(out, pixels + index * 3, 3); break;
    }
  }
  return rgb;
}

status check_dimensions(std::uint32_t width, std::uint32_t height) {
  const std::uint64_t pixel_count = std::uint64_t{width} * height;
  if (width > maximum_image_side || height > maximum_image_side || pixel_count > maximum_image_pixels) {
    return make_error(error_code::media_too_large,
                      "image of " + std::to_string(width) + "x" + std::to_string(height) +
                          " refused before decoding: the limit is " + std::to_string(maximum_image_side) +
                          " pixels a side and " + std::to_string(maximum_image_pixels / (1024 * 1024)) + " megapixels");
  }
  return success{};
}

void append_to_vector(void* context, void* data, int size) {
  auto* output = static_cast<std::vector<std::uint8_t>*>(context);
  const auto* begin = static_cast<const std::uint8_t*>(data);
  output->insert(output->end(), begin, begin + size);
}

}  // namespace

result<decoded_image> decode_image(std::span<const std::uint8_t> bytes, std::uint32_t max_side) {
  if (max_side == 0) return make_error(error_code::invalid_argument, "max_side must be at least 1 pixel");
  if (bytes.empty()) return make_error(error_code::invalid_media, "empty input (zero bytes) is not an image");
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    return make_error(error_code::media_too_large, "image files over 2 GiB are not decoded");
  }
  const media_detection detection = detect_media_kind(bytes);
  if (detection.kind != media_kind::image) {
    return make_error(error_code::unsupported_media,
                      "not an image: detected " +
                          (detection.kind == media_kind::unknown ? detection.reason
                                                                 : std::string(media_kind_name(detection.kind)) + " (" +
                                                                       std::string(detection.format) + ")"));
  }
  if (auto structure = check_structure(detection, bytes); !structure) return std::move(structure).failure();

  const int length = static_cast<int>(bytes.size());
  int width = 0;
  int height = 0;
  int channels = 0;
  if (detection.format == "png") {
    // stb's PNG header reader refuses sizes over 2^30 bytes of pixels by itself, and stbi_info then
    // reports the last format it probed ("unknown image type"): read IHDR (validated above) here.
    if (auto within_budget = check_dimensions(read_big_endian_32(bytes, 16), read_big_endian_32(bytes, 20)); !within_budget) {
      return std::move(within_budget).failure();
    }
  }
  decoder_allocation_budget = decode_budget_for(0);
  if (stbi_info_from_memory(bytes.data(), length, &width, &height, &channels) == 0 || width <= 0 || height <= 0) {
    // stb's header readers refuse some sizes themselves (a PNG over 2^30 bytes of pixels, any side
    // over 2^24): that is the same refusal as ours, made just as early.
    if (stb_reason() == "too large") {
      return make_error(error_code::media_too_large, "the " + std::string(detection.format) +
                                                         " header declares an image too large to decode; refused "
                                                         "before decoding");
    }
    return make_error(error_code::invalid_media,
                      "cannot read the " + std::string(detection.format) + " header: " + stb_reason());
  }
  const auto original_width = static_cast<std::uint32_t>(width);
  const auto original_height = static_cast<std::uint32_t>(height);
  const std::uint64_t pixel_count = std::uint64_t{original_width} * original_height;
  if (auto within_budget = check_dimensions(original_width, original_height); !within_budget) {
    return std::move(within_budget).failure();
  }

  decoder_allocation_budget = decode_budget_for(pixel_count);
  int decoded_width = 0;
  int decoded_height = 0;
  int decoded_channels = 0;
  const stb_pixels pixels(stbi_load_from_memory(bytes.data(), length, &decoded_width, &decoded_height, &decoded_channels, 0));
  if (!pixels) {
    return make_error(error_code::invalid_media, "cannot decode the " + std::string(detection.format) + ": " + stb_reason());
  }
  if (decoded_width != width || decoded_height != height || decoded_channels < 1 || decoded_channels > 4) {
    return make_error(error_code::invalid_media, "the " + std::string(detection.format) +
                                                     " decoded to a different size than its header declares");
  }

  const auto pixel_total = static_cast<std::size_t>(pixel_count);
  std::vector<std::uint8_t> converted;
  const unsigned char* rgb = pixels.get();  // three-channel images are used in place
  if (decoded_channels != 3) {
    converted = to_rgb_on_white(pixels.get(), pixel_total, decoded_channels);
    rgb = converted.data();
  }

  decoded_image prepared;
  prepared.original_width = original_width;
  prepared.original_height = original_height;
  prepared.width = original_width;
  prepared.height = original_height;
  std::vector<std::uint8_t> resized_pixels;
  if (std::max(original_width, original_height) > max_side) {
    // The longest side becomes max_side; the other keeps the ratio, rounded, and at least one pixel.
    const std::uint64_t longest = std::max(original_width, original_height);
    const std::uint64_t shortest = std::min(original_width, original_height);
    const auto scaled = static_cast<std::uint32_t>(std::max<std::uint64_t>(1, (shortest * max_side + longest / 2) / longest));
    prepared.width = original_width >= original_height ? max_side : scaled;
    prepared.height = original_width >= original_height ? scaled : max_side;
    resized_pixels.resize(std::size_t{prepared.width} * prepared.height * 3);
    // sRGB-aware filtering: averaging gamma-encoded values darkens edges and fine detail.
    if (stbir_resize_uint8_srgb(rgb, width, height, 0, resized_pixels.data(), static_cast<int>(prepared.width),
                                static_cast<int>(prepared.height), 0, 3, STBIR_ALPHA_CHANNEL_NONE, 0) == 0) {
      return make_error(error_code::media_too_large, "out of memory while resizing the image");
    }
    prepared.rgb_pixels = std::move(resized_pixels);
  } else if (!converted.empty()) {
    prepared.rgb_pixels = std::move(converted);
  } else {
    prepared.rgb_pixels.assign(rgb, rgb + pixel_total * 3);
  }
  return prepared;
}

result<prepared_image> prepare_image(std::span<const std::uint8_t> bytes, std::uint32_t max_side, int jpeg_quality) {
  if (jpeg_quality < 1 || jpeg_quality > 100) {
    return make_error(error_code::invalid_argument, "jpeg_quality must be 1..100, got " + std::to_string(jpeg_quality));
  }
  auto decoded = decode_image(bytes, max_side);
  if (!decoded) return std::move(decoded).failure();
  prepared_image prepared;
  prepared.original_width = decoded->original_width;
  prepared.original_height = decoded->original_height;
  prepared.width = decoded->width;
  prepared.height = decoded->height;
  prepared.resized = decoded->width != decoded->original_width || decoded->height != decoded->original_height;
  if (stbi_write_jpg_to_func(append_to_vector, &prepared.jpeg_bytes, static_cast<int>(prepared.width),
                             static_cast<int>(prepared.height), 3, decoded->rgb_pixels.data(), jpeg_quality) == 0) {
    return make_error(error_code::invalid_media, "the JPEG encoder refused the image");
  }
  return prepared;
}

result<prepared_image> make_thumbnail(std::span<const std::uint8_t> bytes) {
  return prepare_image(bytes, thumbnail_max_side, thumbnail_jpeg_quality);
}

result<std::vector<std::uint8_t>> encode_rgb_jpeg(std::span<const std::uint8_t> pixels, std::uint32_t width,
                                                  std::uint32_t height, int jpeg_quality) {
  if (width == 0 || height == 0 || width > 65535 || height > 65535 || pixels.size() != std::size_t{width} * height * 3) {
    return make_error(error_code::invalid_argument, "the pixels do not make a " + std::to_string(width) + " x " +
                                                        std::to_string(height) + " RGB picture");
  }
  if (jpeg_quality < 1 || jpeg_quality > 100) return make_error(error_code::invalid_argument, "JPEG quality must be 1..100");
  std::vector<std::uint8_t> jpeg;
  if (stbi_write_jpg_to_func(append_to_vector, &jpeg, static_cast<int>(width), static_cast<int>(height), 3,
                             pixels.data(), jpeg_quality) == 0) {
    return make_error(error_code::invalid_media, "the JPEG encoder refused the picture");
  }
  return jpeg;
}

result<std::vector<std::uint8_t>> inflate_zlib(std::span<const std::uint8_t> compressed, std::size_t max_output_bytes) {
  if (compressed.size() > static_cast<std::size_t>(INT_MAX)) return make_error(error_code::media_too_large, "a compressed stream over 2 GB");
  // The inflater doubles its buffer as it goes: a budget of twice the cap lets it reach the cap.
  decoder_allocation_budget = max_output_bytes > SIZE_MAX / 2 ? SIZE_MAX : 2 * max_output_bytes + 4096;
  int length = 0;
  const stb_pixels output(reinterpret_cast<stbi_uc*>(stbi_zlib_decode_malloc_guesssize_headerflag(
      reinterpret_cast<const char*>(compressed.data()), static_cast<int>(compressed.size()), 4096, &length, 1)));
  decoder_allocation_budget = 0;
  if (!output) {
    if (stb_reason() == "outofmem") {
      return make_error(error_code::media_too_large, "a compressed stream that inflates beyond " +
                                                         std::to_string(max_output_bytes) + " bytes");
    }
    return make_error(error_code::invalid_media, "a corrupt zlib stream: " + stb_reason());
  }
  if (length < 0 || static_cast<std::size_t>(length) > max_output_bytes) {
    return make_error(error_code::media_too_large, "a compressed stream that inflates beyond " +
                                                       std::to_string(max_output_bytes) + " bytes");
  }
  return std::vector<std::uint8_t>(output.get(), output.get() + length);
}

}  // namespace mosaic::media
