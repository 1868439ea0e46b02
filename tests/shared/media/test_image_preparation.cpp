// Image preparation: every decodable format re-encoded as JPEG, the longest side bounded with the
// aspect ratio kept and no upscaling, alpha composited on white, and hostile inputs (truncated files,
// bad CRCs, dimension bombs, inflation bombs) refused with their cause instead of crashing.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <stb_image.h>        // declarations only: the implementations live in the core

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "image_fixtures.hpp"
#include "media/image_preparation.hpp"
#include "media/image_structure.hpp"
#include "media/media_kind.hpp"

using namespace mosaic;
using namespace mosaic::media;

namespace {

using bytes = std::vector<std::uint8_t>;

using mosaic::testing::append_to_vector;
using mosaic::testing::gradient_pixels;

bytes encode_png(int width, int height, int channels, const bytes& pixels) {
  return mosaic::testing::encode_png(width, height, channels, pixels);
}

bytes encode_png(int width, int height, int channels = 3) {
  return encode_png(width, height, channels, gradient_pixels(width, height, channels));
}

bytes encode_jpeg(int width, int height) { return mosaic::testing::encode_jpeg(width, height, gradient_pixels(width, height, 3)); }

struct decoded_jpeg {
  int width = 0;
  int height = 0;
  bytes rgb;
};

decoded_jpeg decode(const bytes& jpeg) {
  decoded_jpeg image;
  int channels = 0;
  unsigned char* pixels = stbi_load_from_memory(jpeg.data(), static_cast<int>(jpeg.size()), &image.width,
                                                &image.height, &channels, 3);
  REQUIRE(pixels != nullptr);
  image.rgb.assign(pixels, pixels + image.width * image.height * 3);
  stbi_image_free(pixels);
  return image;
}

void check_prepared(const result<prepared_image>& prepared, std::uint32_t width, std::uint32_t height,
                    std::uint32_t original_width, std::uint32_t original_height) {
  if (!prepared) FAIL(prepared.failure().message);
  CHECK(prepared->width == width);
  CHECK(prepared->height == height);
  CHECK(prepared->original_width == original_width);
  CHECK(prepared->original_height == original_height);
  CHECK(prepared->resized == (width != original_width || height != original_height));
  CHECK(detect_media_kind(prepared->jpeg_bytes).mime_type == "image/jpeg");
  const decoded_jpeg decoded = decode(prepared->jpeg_bytes);
  CHECK(decoded.width == static_cast<int>(width));
  CHECK(decoded.height == static_cast<int>(height));
}

void set_big_endian_32(bytes& data, std::size_t offset, std::uint32_t value) {
  for (std::size_t index = 0; index < 4; ++index) data[offset + index] = static_cast<std::uint8_t>(value >> (24 - 8 * index));
}

// Rewrites a PNG's IHDR width and height and fixes the chunk's CRC, so only the claim changes.
bytes with_claimed_size(bytes png, std::uint32_t width, std::uint32_t height) {
  set_big_endian_32(png, 16, width);
  set_big_endian_32(png, 20, height);
  set_big_endian_32(png, 29, crc32(std::span<const std::uint8_t>(png).subspan(12, 17)));
  return png;
}

}  // namespace

TEST_CASE("images are scaled so the longest side fits, keeping the aspect ratio", "[media][image]") {
  check_prepared(prepare_image(encode_png(40, 20), 10), 10, 5, 40, 20);
  check_prepared(prepare_image(encode_png(20, 40), 10), 5, 10, 20, 40);
  check_prepared(prepare_image(encode_png(300, 200), 256), 256, 171, 300, 200);  // 170.67 rounds to 171
  check_prepared(prepare_image(encode_png(64, 64), 32), 32, 32, 64, 64);
  check_prepared(prepare_image(encode_png(5000, 10), 256), 256, 1, 5000, 10);  // 0.512 still keeps one pixel
  check_prepared(prepare_image(encode_png(10, 5000), 256), 1, 256, 10, 5000);
}

TEST_CASE("images are never upscaled", "[media][image]") {
  check_prepared(prepare_image(encode_png(1, 1), 256), 1, 1, 1, 1);
  check_prepared(prepare_image(encode_png(40, 20), 40), 40, 20, 40, 20);
  check_prepared(prepare_image(encode_png(40, 20), 4096), 40, 20, 40, 20);
  check_prepared(prepare_image(encode_png(5000, 10), 8192), 5000, 10, 5000, 10);
}

TEST_CASE("every format stb decodes becomes a JPEG", "[media][image]") {
  check_prepared(prepare_image(encode_jpeg(30, 20), 16), 16, 11, 30, 20);
  check_prepared(prepare_image(encode_png(30, 20, 1), 100), 30, 20, 30, 20);  // grey
  check_prepared(prepare_image(encode_png(30, 20, 2), 100), 30, 20, 30, 20);  // grey + alpha

  bytes bmp;
  const bytes pixels = gradient_pixels(12, 9, 3);
  REQUIRE(stbi_write_bmp_to_func(append_to_vector, &bmp, 12, 9, 3, pixels.data()) != 0);
  check_prepared(prepare_image(bmp, 6), 6, 5, 12, 9);  // 4.5 rounds up

  bytes tga;
  REQUIRE(stbi_write_tga_to_func(append_to_vector, &tga, 12, 9, 3, pixels.data()) != 0);
  check_prepared(prepare_image(tga, 100), 12, 9, 12, 9);

  bytes ppm = {'P', '6', '\n', '2', ' ', '1', '\n', '2', '5', '5', '\n', 255, 0, 0, 0, 0, 255};
  check_prepared(prepare_image(ppm, 100), 2, 1, 2, 1);

  // The classic 1x1 GIF whose only pixel is transparent: on white it is white.
  const bytes gif = {0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xFF, 0xFF,
                     0xFF, 0x00, 0x00, 0x00, 0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00,
                     0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B};
  const auto prepared_gif = prepare_image(gif, 100);
  check_prepared(prepared_gif, 1, 1, 1, 1);
  CHECK(decode(prepared_gif->jpeg_bytes).rgb[0] >= 250);
}

TEST_CASE("alpha is composited on white, and colours survive", "[media][image]") {
  // Left half: transparent red (must become white). Right half: black at alpha 128 (mid grey).
  const int width = 16;
  const int height = 16;
  bytes rgba;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      if (x < width / 2) {
        rgba.insert(rgba.end(), {255, 0, 0, 0});
      } else {
        rgba.insert(rgba.end(), {0, 0, 0, 128});
      }
    }
  }
  const auto prepared = prepare_image(encode_png(width, height, 4, rgba), 256);
  check_prepared(prepared, 16, 16, 16, 16);
  const decoded_jpeg decoded = decode(prepared->jpeg_bytes);
  const auto pixel = [&](int x, int y, int channel) {
    return int{decoded.rgb[static_cast<std::size_t>((y * decoded.width + x) * 3 + channel)]};
  };
  for (int channel = 0; channel < 3; ++channel) {
    CHECK(pixel(2, 8, channel) >= 250);                      // white, not red and not black
    CHECK(std::abs(pixel(13, 8, channel) - 127) <= 6);       // (0 * 128 + 255 * 127) / 255
  }

  bytes colour;
  for (int index = 0; index < 64; ++index) colour.insert(colour.end(), {200, 30, 60});
  const auto prepared_colour = prepare_image(encode_png(8, 8, 3, colour), 4);
  check_prepared(prepared_colour, 4, 4, 8, 8);
  const decoded_jpeg decoded_colour = decode(prepared_colour->jpeg_bytes);
  CHECK(std::abs(int{decoded_colour.rgb[0]} - 200) <= 8);
  CHECK(std::abs(int{decoded_colour.rgb[1]} - 30) <= 8);
  CHECK(std::abs(int{decoded_colour.rgb[2]} - 60) <= 8);
}

TEST_CASE("thumbnails are JPEGs of at most 256 pixels a side", "[media][image]") {
  check_prepared(make_thumbnail(encode_png(1000, 500)), 256, 128, 1000, 500);
  check_prepared(make_thumbnail(encode_jpeg(100, 60)), 100, 60, 100, 60);
}

TEST_CASE("truncated PNGs and JPEGs fail cleanly at every kind of cut", "[media][image][hostile]") {
  for (const bytes& original : {encode_png(50, 40), encode_jpeg(50, 40)}) {
    const bool is_png = original[0] == 0x89;
    for (const std::size_t length : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7},
                                     std::size_t{8}, std::size_t{20}, std::size_t{33}, std::size_t{40},
                                     original.size() / 3, original.size() / 2, original.size() - 13,
                                     original.size() - 2, original.size() - 1}) {
      const bytes truncated(original.begin(), original.begin() + static_cast<std::ptrdiff_t>(length));
      const auto prepared = prepare_image(truncated, 100);
      INFO((is_png ? "PNG" : "JPEG") << " cut to " << length << " of " << original.size() << " bytes");
      REQUIRE_FALSE(prepared.ok());
      CHECK_FALSE(prepared.failure().message.empty());
      if (length >= 8) {
        CHECK(prepared.failure().code == error_code::invalid_media);
        CHECK(prepared.failure().message.find("truncated") != std::string::npos);
      }
    }
  }
  CHECK(prepare_image({}, 100).failure().code == error_code::invalid_media);
}

// Found by tests/fuzz/fuzz_media (tests/fuzz/regressions/media/jpeg_huffman_table_over_256_codes.jpg):
// a DHT segment whose 16 code counts add up to more than 256 made stb's Huffman builder write past its
// 257-byte size list (UBSan: index 257 out of bounds). The structure check refuses it before stb runs.
TEST_CASE("a JPEG Huffman table of more than 256 codes is refused before stb sees it", "[media][image][hostile]") {
  const bytes original = encode_jpeg(16, 8);
  REQUIRE(check_jpeg_structure(original).ok());
  bytes damaged = original;
  std::size_t table = 0;
  for (std::size_t offset = 2; offset + 1 < damaged.size(); ++offset) {
    if (damaged[offset] == 0xFF && damaged[offset + 1] == 0xC4) {
      table = offset + 4;  // after the marker and the segment length: class/destination, then 16 counts
      break;
    }
  }
  REQUIRE(table != 0);
  damaged[table + 15] = 200;  // codes of 15 and 16 bits: 400 codes in all, and more than the segment holds
  damaged[table + 16] = 200;
  const auto checked = check_jpeg_structure(damaged);
  REQUIRE_FALSE(checked.ok());
  CHECK(checked.failure().code == error_code::invalid_media);
  CHECK_THAT(checked.failure().message, Catch::Matchers::Contains("at most 256"));
  const auto prepared = prepare_image(damaged, 100);
  REQUIRE_FALSE(prepared.ok());
  CHECK(prepared.failure().code == error_code::invalid_media);
  // A table whose counts are fine but whose symbols run past the segment is refused too.
  bytes short_of_symbols = original;
  short_of_symbols[table + 16] = static_cast<std::uint8_t>(short_of_symbols[table + 16] + 100);
  CHECK_FALSE(check_jpeg_structure(short_of_symbols).ok());
}

// Found by tests/fuzz/fuzz_media as a timeout (tests/fuzz/regressions/media/jpeg_declares_40_megapixels_in_698_bytes.jpg):
// a 698-byte JPEG declaring 3072x12808 pixels, which stb fills in full (12.8 s under ASan). Every block
// costs at least one bit of entropy-coded data, so the structure check refuses a file holding less.
TEST_CASE("a JPEG declaring far more blocks than its data can hold is refused before stb sees it", "[media][image][hostile]") {
  const bytes original = encode_jpeg(16, 8);
  REQUIRE(check_jpeg_structure(original).ok());
  bytes inflated = original;
  std::size_t frame = 0;
  for (std::size_t offset = 2; offset + 1 < inflated.size(); ++offset) {
    if (inflated[offset] == 0xFF && inflated[offset + 1] == 0xC0) {
      frame = offset + 4;  // after the marker and the segment length: precision, height, width
      break;
    }
  }
  REQUIRE(frame != 0);
  inflated[frame + 1] = 0x32;  // height 12808
  inflated[frame + 2] = 0x08;
  inflated[frame + 3] = 0x0C;  // width 3072
  inflated[frame + 4] = 0x00;
  const auto checked = check_jpeg_structure(inflated);
  REQUIRE_FALSE(checked.ok());
  CHECK(checked.failure().code == error_code::invalid_media);
  CHECK_THAT(checked.failure().message, Catch::Matchers::Contains("less than one bit per block"));
  CHECK(prepare_image(inflated, 100).failure().code == error_code::invalid_media);
  // The same picture at a size its data can hold passes: a uniform 256x256 image compresses to a few
  // hundred bytes, yet still more than one bit per block.
  const bytes uniform = mosaic::testing::encode_jpeg(256, 256, std::vector<std::uint8_t>(256 * 256 * 3, 200));
  CHECK(check_jpeg_structure(uniform).ok());
  CHECK(prepare_image(uniform, 64).ok());
}

#ifndef __EMSCRIPTEN__
namespace {
// A GIF made by ImageMagick (installed with the project's dependencies) from one of its built-in
// patterns: real LZW data, as an encoder writes it. Native only: the wasm tests run under Node, with
// no shell to run convert in (the check is the same core code in both builds).
bytes imagemagick_gif(const std::string& pattern) {
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("mosaic-gif-fixture-" + std::to_string(::getpid()) + ".gif");
  const std::string command = "convert " + pattern + " '" + file.string() + "' 2>/dev/null";
  REQUIRE(std::system(command.c_str()) == 0);
  std::ifstream input(file, std::ios::binary);
  bytes contents((std::istreambuf_iterator<char>(input)), std::istreambuf_iterator<char>());
  std::filesystem::remove(file);
  return contents;
}
}  // namespace
#endif

// Found by tests/fuzz/fuzz_media as a timeout (tests/fuzz/regressions/media/gif_screen_of_millions_of_pixels_in_52_bytes.gif):
// stb paints a GIF's whole logical screen before its first image, so a few bytes declaring a screen
// of 3851x16161 pixels (62 megapixels, under the 64-megapixel limit) around a 1x1 image took over 35 s
// under ASan. The structure check refuses a screen
// larger than 4 megapixels that its images' LZW data could not fill.
TEST_CASE("a GIF whose screen is far larger than its image data can fill is refused before stb sees it", "[media][image][hostile]") {
  // The classic 1x1 GIF, whose screen is then declared 4000x4000.
  bytes gif = {0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xFF, 0xFF,
               0xFF, 0x00, 0x00, 0x00, 0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00,
               0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B};
  REQUIRE(check_gif_structure(gif).ok());
  gif[6] = 0xA0;  // 4000 = 0x0FA0, little-endian
  gif[7] = 0x0F;
  gif[8] = 0xA0;
  gif[9] = 0x0F;
  const auto checked = check_gif_structure(gif);
  REQUIRE_FALSE(checked.ok());
  CHECK(checked.failure().code == error_code::invalid_media);
  CHECK_THAT(checked.failure().message, Catch::Matchers::Contains("can fill at most"));
  CHECK(prepare_image(gif, 100).failure().code == error_code::invalid_media);
  // Cut inside the image data, or with no image at all: refused with the cause.
  CHECK_THAT(check_gif_structure(bytes(gif.begin(), gif.begin() + 40)).failure().message, Catch::Matchers::Contains("truncated GIF"));
  bytes no_image(gif.begin(), gif.begin() + 19);
  no_image.push_back(0x3B);
  CHECK_THAT(check_gif_structure(no_image).failure().message, Catch::Matchers::Contains("without an image"));
}

// Found by tests/fuzz/fuzz_media (tests/fuzz/regressions/media/ppm_width_of_55_digits.ppm): stb adds
// up a PNM header's digits in an int without a bound, signed overflow (UB) on a width of 55 digits.
// The structure check reads the header first and refuses numbers stb cannot hold, values out of range
// and pixels missing.
TEST_CASE("a PGM or PPM header stb cannot read safely is refused before stb sees it", "[media][image][hostile]") {
  const auto text = [](const std::string& header, std::size_t pixel_bytes) {
    bytes file(header.begin(), header.end());
    file.resize(file.size() + pixel_bytes, 0x80);
    return file;
  };
  // What stb reads passes: comments between the numbers, 16-bit samples, a greymap.
  CHECK(check_pnm_structure(text("P6\n# made by hand\n2 1\n255\n", 6)).ok());
  CHECK(check_pnm_structure(text("P6 2\t1\r65535 ", 12)).ok());
  CHECK(check_pnm_structure(text("P5\n3 2\n# depth\n255\n", 6)).ok());
  check_prepared(prepare_image(text("P5\n3 2\n# depth\n255\n", 6), 100), 3, 2, 3, 2);

  const auto refused = [](const bytes& file, const std::string& cause) {
    const auto checked = check_pnm_structure(file);
    INFO(std::string(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(file.size(), 40))));
    REQUIRE_FALSE(checked.ok());
    CHECK(checked.failure().code == error_code::invalid_media);
    CHECK_THAT(checked.failure().message, Catch::Matchers::Contains(cause));
    CHECK(prepare_image(file, 100).failure().code == error_code::invalid_media);
  };
  // The fuzzer's input, a width of 55 digits (make test runs the file itself through fuzz_media).
  refused(text("P6\n" + std::string(55, '7') + "6]d\xff\xdb" + "di", 0), "more than 8 digits");
  refused(text("P6\n2 1\n4294967296\n", 6), "maximum value has more than 8 digits");
  refused(text("P6\n16777217 1\n255\n", 64), "over 16777216 pixels a side");
  refused(text("P6\n2 1\n65536\n", 12), "maximum value 65536");
  refused(text("P6\n2 1\n0\n", 12), "maximum value 0");
  refused(text("P6\n0 1\n255\n", 6), "zero width or height");
  refused(text("P6\n2 1\n255\n", 5), "its pixels need 6 bytes but 5 follow");
  refused(text("P6\n2 1\n256\n", 6), "its pixels need 12 bytes");
  refused(text("P6\n2 1\n255", 0), "the header ends after its maximum value");
  refused(text("P6\n2 ", 0), "the header ends before its height");
  refused(text("P6\n2 x\n255\n", 6), "no number where its height belongs");
  refused(text("P6\n2x1\n255\n", 6), "width is followed by a byte that is not a space");
}

// Found by tests/fuzz/fuzz_media as a timeout (tests/fuzz/regressions/media/bmp_negative_compression_12101x4105_in_69_bytes.bmp):
// stb reads a BMP's compression field as a signed int, so 0xFFF70000 is negative, passes its test for
// unsupported kinds (4 or more) and was decoded as 12101x4105 uncompressed pixels from 69 bytes, then
// resized (37 s under ASan). The structure check accepts only the two kinds stb decodes.
TEST_CASE("a BMP of a compression stb does not decode is refused before stb sees it", "[media][image][hostile]") {
  bytes bmp;
  const bytes pixels = gradient_pixels(12, 9, 3);
  REQUIRE(stbi_write_bmp_to_func(append_to_vector, &bmp, 12, 9, 3, pixels.data()) != 0);
  REQUIRE(check_bmp_structure(bmp).ok());
  const auto with_compression = [&bmp](std::uint32_t compression) {
    bytes changed = bmp;
    for (int byte = 0; byte < 4; ++byte) changed[30 + static_cast<std::size_t>(byte)] = static_cast<std::uint8_t>(compression >> (8 * byte));
    return changed;
  };
  for (const std::uint32_t compression : {1u, 2u, 4u, 5u, 0xFFF70000u, 0x80000000u}) {
    INFO(compression);
    const auto checked = check_bmp_structure(with_compression(compression));
    REQUIRE_FALSE(checked.ok());
    CHECK(checked.failure().code == error_code::unsupported_media);
    CHECK_THAT(checked.failure().message, Catch::Matchers::Contains("BMP compression " + std::to_string(compression)));
    CHECK(prepare_image(with_compression(compression), 100).failure().code == error_code::unsupported_media);
  }
  // The fuzzer's 69 bytes: a 12101x4105 header, compression 0xFFF70000, no pixels.
  const bytes fuzzed = {0x42, 0x4d, 0x48, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x36, 0x00, 0x00, 0x00, 0x28, 0x00,
                        0x00, 0x00, 0x45, 0x2f, 0x00, 0x00, 0x09, 0x10, 0x00, 0x00, 0x01, 0x00, 0x18, 0x00, 0x00, 0x00,
                        0xf7, 0xff, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x36, 0x00, 0x00, 0x00, 0x28, 0x00,
                        0x00, 0x00, 0x45, 0x00, 0x00, 0x00, 0x01, 0x10, 0x00, 0x00, 0x01, 0x00, 0x18, 0x00, 0x00, 0x00,
                        0xf7, 0xff, 0x10, 0x00, 0x00};
  CHECK(prepare_image(fuzzed, 100).failure().code == error_code::unsupported_media);
}

#ifndef __EMSCRIPTEN__
TEST_CASE("GIFs as ImageMagick writes them pass the screen check, unusual screens included", "[media][image]") {
  // What an encoder writes passes, the most compressible picture included: one colour over 2000x2000.
  for (const std::string& pattern : {std::string("-size 2000x2000 xc:white"), std::string("-size 300x200 gradient:red-blue"),
                                     std::string("-size 640x480 plasma:fractal -colors 64")}) {
    const bytes made = imagemagick_gif(pattern);
    INFO(pattern << ": " << made.size() << " bytes");
    CHECK(check_gif_structure(made).ok());
    CHECK(prepare_image(made, 64).ok());
  }
  // Valid if unusual: a 10x10 first frame on a 1500x1000 screen (under the screen size any data may
  // declare), and a 10x10 first frame on a 2500x2000 screen that a later, whole frame fills.
  CHECK(check_gif_structure(imagemagick_gif("-size 10x10 xc:red -page 1500x1000+100+100")).ok());
  CHECK(check_gif_structure(imagemagick_gif("\\( -size 10x10 xc:red -repage 2500x2000+5+5 \\) "
                                            "\\( -size 2500x2000 gradient:red-blue -repage 2500x2000+0+0 \\)"))
            .ok());
  // The same small frame alone on that 5-megapixel screen is refused: nothing in the file could fill it.
  const auto lone_frame = check_gif_structure(imagemagick_gif("-size 10x10 xc:red -page 2500x2000+5+5"));
  REQUIRE_FALSE(lone_frame.ok());
  CHECK_THAT(lone_frame.failure().message, Catch::Matchers::Contains("2500x2000 screen"));
  CHECK(lone_frame.failure().code == error_code::invalid_media);
}
#endif

TEST_CASE("a PNG with a bad CRC or broken compressed data is refused with the cause", "[media][image][hostile]") {
  bytes png = encode_png(20, 20);
  // The IDAT chunk starts after the signature (8) and IHDR (25): flip a byte of its data.
  bytes bad_crc = png;
  bad_crc[8 + 25 + 10] ^= 0x40;
  const auto refused = prepare_image(bad_crc, 100);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.failure().code == error_code::invalid_media);
  CHECK(refused.failure().message.find("CRC") != std::string::npos);

  // Garbage compressed data with a correct CRC reaches stb, whose reason is passed on.
  bytes garbage = png;
  const std::size_t idat = 8 + 25;
  const std::uint32_t idat_length = (std::uint32_t{garbage[idat]} << 24) | (std::uint32_t{garbage[idat + 1]} << 16) |
                                    (std::uint32_t{garbage[idat + 2]} << 8) | garbage[idat + 3];
  for (std::size_t index = 0; index < idat_length; ++index) garbage[idat + 8 + index] = static_cast<std::uint8_t>(index * 37 + 11);
  set_big_endian_32(garbage, idat + 8 + idat_length,
                    crc32(std::span<const std::uint8_t>(garbage).subspan(idat + 4, idat_length + 4)));
  const auto undecodable = prepare_image(garbage, 100);
  REQUIRE_FALSE(undecodable.ok());
  CHECK(undecodable.failure().code == error_code::invalid_media);
  CHECK(undecodable.failure().message.find("cannot decode the png") != std::string::npos);
}

TEST_CASE("dimension bombs are refused before decoding", "[media][image][hostile]") {
  const bytes png = encode_png(1, 1);
  for (const auto& [width, height] : {std::pair<std::uint32_t, std::uint32_t>{100000, 100000}, {20000, 10}, {10, 16385},
                                      {9000, 9000}}) {
    const auto refused = prepare_image(with_claimed_size(png, width, height), 256);
    INFO(width << "x" << height);
    REQUIRE_FALSE(refused.ok());
    INFO(refused.failure().message);
    CHECK(refused.failure().code == error_code::media_too_large);
    CHECK(refused.failure().message.find("before decoding") != std::string::npos);
  }
  // Within the budget the claim passes the size check and fails on the missing pixel data instead.
  const auto lying = prepare_image(with_claimed_size(png, 4000, 4000), 256);
  REQUIRE_FALSE(lying.ok());
  CHECK(lying.failure().code == error_code::invalid_media);
}

TEST_CASE("compressed data that inflates far beyond the header is stopped by the decoder's budget",
          "[media][image][hostile]") {
  // 21 MB of zeros compress to a few kilobytes; the header then claims one pixel. stb would inflate all
  // of it; the allocation budget for a 1x1 image (16 MiB) stops it.
  const int side = 4600;
  const bytes zeros(static_cast<std::size_t>(side * side), 0);
  const bytes bomb = with_claimed_size(encode_png(side, side, 1, zeros), 1, 1);
  CHECK(bomb.size() * 50 < zeros.size());
  const auto refused = prepare_image(bomb, 256);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.failure().code == error_code::invalid_media);
  CHECK(refused.failure().message.find("outofmem") != std::string::npos);
}

TEST_CASE("what is not a decodable image is refused, not guessed at", "[media][image]") {
  const bytes text = {'h', 'e', 'l', 'l', 'o', '\n'};
  CHECK(prepare_image(text, 100).failure().code == error_code::unsupported_media);
  const bytes webp = {'R', 'I', 'F', 'F', 0x1A, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', ' '};
  const auto refused_webp = prepare_image(webp, 100);
  CHECK(refused_webp.failure().code == error_code::unsupported_media);
  CHECK(refused_webp.failure().message.find("webp") != std::string::npos);
  const bytes ascii_pbm = {'P', '1', '\n', '1', ' ', '1', '\n', '1', '\n'};
  CHECK(prepare_image(ascii_pbm, 100).failure().code == error_code::unsupported_media);
  const bytes png = encode_png(4, 4);
  CHECK(prepare_image(png, 0).failure().code == error_code::invalid_argument);
  CHECK(prepare_image(png, 10, 0).failure().code == error_code::invalid_argument);
  CHECK(prepare_image(png, 10, 101).failure().code == error_code::invalid_argument);
  CHECK(prepare_image(png, 10, 1).ok());
  CHECK(prepare_image(png, 10, 100).ok());
}

TEST_CASE("decode_image gives the RGB pixels prepare_image encodes, downscaled the same way", "[media][image]") {
  // Left half transparent (white once composited), right half opaque black.
  bytes rgba;
  for (int y = 0; y < 40; ++y) {
    for (int x = 0; x < 60; ++x) rgba.insert(rgba.end(), {0, 0, 0, static_cast<std::uint8_t>(x < 30 ? 0 : 255)});
  }
  const auto decoded = mosaic::media::decode_image(encode_png(60, 40, 4, rgba), 30);
  REQUIRE(decoded);
  CHECK(decoded->width == 30);
  CHECK(decoded->height == 20);
  CHECK(decoded->original_width == 60);
  CHECK(decoded->original_height == 40);
  REQUIRE(decoded->rgb_pixels.size() == 30u * 20 * 3);
  CHECK(decoded->rgb_pixels[(10 * 30 + 2) * 3] >= 250);   // white
  CHECK(decoded->rgb_pixels[(10 * 30 + 27) * 3] <= 5);    // black
  const auto unscaled = mosaic::media::decode_image(encode_png(60, 40, 4, rgba), 100);
  REQUIRE(unscaled);
  CHECK(unscaled->width == 60);
  CHECK(unscaled->rgb_pixels.size() == 60u * 40 * 3);
  CHECK(mosaic::media::decode_image(bytes{1, 2, 3}, 30).failure().code == mosaic::error_code::unsupported_media);
  CHECK(mosaic::media::decode_image(encode_png(60, 40, 4, rgba), 0).failure().code == mosaic::error_code::invalid_argument);
}

// Found by tests/fuzz/fuzz_embed_routes (tests/fuzz/regressions/media/jpeg_scan_uses_undefined_ac_table.jpg,
// one flipped bit turned the AC table 0 definition into a DC table 2): a scan decoding with a Huffman
// table the file never defined. stb allocates its decoder without clearing it and decodes with
// whatever the heap held (UBSan: index -16776383 out of bounds for stbi_uc[257], only after other
// inputs had left that memory dirty). The structure check refuses such a scan before stb runs.
TEST_CASE("a JPEG scan using a Huffman table the file does not define is refused before stb sees it", "[media][image][hostile]") {
  const bytes original = encode_jpeg(16, 8);
  REQUIRE(check_jpeg_structure(original).ok());
  std::size_t scan = 0;
  for (std::size_t offset = 2; offset + 1 < original.size(); ++offset) {
    if (original[offset] == 0xFF && original[offset + 1] == 0xDA) {
      scan = offset + 4;  // after the marker and the segment length: component count, then selectors
      break;
    }
  }
  REQUIRE(scan != 0);
  REQUIRE(original[scan] >= 1);
  const std::size_t first_selectors = scan + 2;  // component id at scan + 1, DC/AC tables at scan + 2

  bytes undefined_ac = original;
  undefined_ac[first_selectors] = static_cast<std::uint8_t>((undefined_ac[first_selectors] & 0xF0U) | 3U);
  const auto checked = check_jpeg_structure(undefined_ac);
  REQUIRE_FALSE(checked.ok());
  CHECK(checked.failure().code == error_code::invalid_media);
  CHECK_THAT(checked.failure().message, Catch::Matchers::Contains("uses AC Huffman table 3, which the file does not define"));
  CHECK(prepare_image(undefined_ac, 100).failure().code == error_code::invalid_media);

  bytes undefined_dc = original;
  undefined_dc[first_selectors] = static_cast<std::uint8_t>((undefined_dc[first_selectors] & 0x0FU) | 0x20U);
  CHECK_THAT(check_jpeg_structure(undefined_dc).failure().message,
             Catch::Matchers::Contains("uses DC Huffman table 2, which the file does not define"));

  bytes out_of_range = original;
  out_of_range[first_selectors] = 0x77;  // tables 7: JPEG has destinations 0-3 only
  CHECK_FALSE(check_jpeg_structure(out_of_range).ok());

  // A scan whose length does not fit its component count is refused as well (it would shift where
  // the selectors are read).
  bytes miscounted = original;
  miscounted[scan] = static_cast<std::uint8_t>(miscounted[scan] + 1);
  CHECK_THAT(check_jpeg_structure(miscounted).failure().message, Catch::Matchers::Contains("does not fit"));
}
