// Media kinds decided by content alone: every supported format by its magic number or header, text
// against binary (the UTF-8 decoder itself is tested in test_utf8.cpp), and accepted_by_gemini as
// the table of Gemini's media rules says.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "image_fixtures.hpp"
#include "media/media_kind.hpp"

using namespace mosaic::media;

namespace {

using bytes = std::vector<std::uint8_t>;
using mosaic::testing::append_to_vector;
using mosaic::testing::solid_pixels;

bytes bytes_of(std::string_view text) { return bytes(text.begin(), text.end()); }

bytes encode_png(int width, int height, int channels) {
  return mosaic::testing::encode_png(width, height, channels, mosaic::testing::solid_pixels(width, height, channels));
}

bytes encode_jpeg(int width, int height) {
  return mosaic::testing::encode_jpeg(width, height, mosaic::testing::solid_pixels(width, height, 3));
}

bytes encode_bmp(int width, int height) {
  bytes output;
  const bytes pixels = solid_pixels(width, height, 3);
  REQUIRE(stbi_write_bmp_to_func(append_to_vector, &output, width, height, 3, pixels.data()) != 0);
  return output;
}

bytes encode_tga(int width, int height, bool run_length_encoded) {
  bytes output;
  const bytes pixels = solid_pixels(width, height, 3);
  stbi_write_tga_with_rle = run_length_encoded ? 1 : 0;
  REQUIRE(stbi_write_tga_to_func(append_to_vector, &output, width, height, 3, pixels.data()) != 0);
  stbi_write_tga_with_rle = 1;
  return output;
}

// The classic 43-byte 1x1 transparent GIF.
const bytes tiny_gif = {0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xFF, 0xFF,
                        0xFF, 0x00, 0x00, 0x00, 0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00,
                        0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B};

// Two MPEG-1 Layer III frames at 128 kbit/s, 44.1 kHz: 417 bytes each.
bytes two_mp3_frames() {
  bytes frame(417, 0x55);
  frame[0] = 0xFF;
  frame[1] = 0xFB;
  frame[2] = 0x90;
  frame[3] = 0x00;
  bytes output = frame;
  output.insert(output.end(), frame.begin(), frame.end());
  return output;
}

bytes iso_media(std::string_view brand) {
  bytes output = {0x00, 0x00, 0x00, 0x18};
  for (const char letter : std::string("ftyp") + std::string(brand) + std::string("\0\0\0\0isomiso2", 12)) {
    output.push_back(static_cast<std::uint8_t>(letter));
  }
  return output;
}

void check_detected(const bytes& input, media_kind kind, std::string_view mime_type, bool accepted) {
  const media_detection detection = detect_media_kind(input);
  INFO("format " << detection.format << ", reason " << detection.reason);
  CHECK(detection.kind == kind);
  CHECK(detection.mime_type == mime_type);
  CHECK(detection.accepted_by_gemini == accepted);
  CHECK(detection.reason.empty());
}

void check_unknown(const bytes& input, std::string_view reason_part) {
  const media_detection detection = detect_media_kind(input);
  INFO("format " << detection.format << ", reason " << detection.reason);
  CHECK(detection.kind == media_kind::unknown);
  CHECK(detection.mime_type.empty());
  CHECK(detection.reason.find(reason_part) != std::string::npos);
}

}  // namespace

TEST_CASE("images are detected by their bytes", "[media][kind]") {
  check_detected(encode_png(3, 2, 3), media_kind::image, "image/png", true);
  check_detected(encode_png(3, 2, 4), media_kind::image, "image/png", true);
  check_detected(encode_jpeg(5, 4), media_kind::image, "image/jpeg", true);
  check_detected(tiny_gif, media_kind::image, "image/gif", false);
  check_detected(encode_bmp(3, 3), media_kind::image, "image/bmp", false);
  check_detected(encode_tga(4, 3, false), media_kind::image, "image/x-tga", false);
  check_detected(encode_tga(4, 3, true), media_kind::image, "image/x-tga", false);
  bytes ppm = bytes_of("P6\n# made by hand\n2 1\n255\n");
  ppm.insert(ppm.end(), {255, 0, 0, 0, 255, 0});
  check_detected(ppm, media_kind::image, "image/x-portable-pixmap", false);
  check_detected(bytes_of("P5 1 1 255 \x7f"), media_kind::image, "image/x-portable-graymap", false);
  check_detected(bytes_of("P1\n2 2\n0 1\n1 0\n"), media_kind::image, "image/x-portable-bitmap", false);
  CHECK(detect_media_kind(bytes_of("P1\n2 2\n0 1\n1 0\n")).format == "pbm (ascii)");
  check_detected(bytes_of(std::string("RIFF\x1a\0\0\0WEBPVP8 ", 16)), media_kind::image, "image/webp", false);
}

TEST_CASE("audio, video and PDF are detected by their bytes", "[media][kind]") {
  check_detected(bytes_of(std::string("RIFF\x24\0\0\0WAVEfmt ", 16)), media_kind::audio, "audio/wav", true);
  check_detected(bytes_of(std::string("ID3\x04\0\0\0\0\x01\x00", 10)), media_kind::audio, "audio/mpeg", true);
  check_detected(two_mp3_frames(), media_kind::audio, "audio/mpeg", true);
  check_detected(iso_media("isom"), media_kind::video, "video/mp4", true);
  check_detected(iso_media("mp42"), media_kind::video, "video/mp4", true);
  check_detected(iso_media("qt  "), media_kind::video, "video/quicktime", true);
  CHECK(detect_media_kind(iso_media("qt  ")).format == "mov");
  check_detected(iso_media("M4A "), media_kind::audio, "audio/mp4", false);
  check_detected(iso_media("heic"), media_kind::image, "image/heic", false);
  check_detected(iso_media("avif"), media_kind::image, "image/avif", false);
  check_detected(bytes_of("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), media_kind::pdf, "application/pdf", true);
  check_detected(bytes_of(std::string("RIFF\x24\0\0\0AVI LIST", 16)), media_kind::video, "video/x-msvideo", false);
}

TEST_CASE("MPEG audio needs two consistent frames, not just a frame sync", "[media][kind]") {
  bytes one_frame = two_mp3_frames();
  one_frame.resize(417);
  CHECK(detect_media_kind(one_frame).kind != media_kind::audio);
  bytes broken_second = two_mp3_frames();
  broken_second[418] = 0x00;  // the second header loses its sync
  CHECK(detect_media_kind(broken_second).kind != media_kind::audio);
  bytes reserved_version = two_mp3_frames();
  reserved_version[1] = reserved_version[418] = 0xEB;  // version bits 01: reserved
  CHECK(detect_media_kind(reserved_version).kind != media_kind::audio);
  // AAC in ADTS frames starts with 0xFFF1: layer bits 00 are not MPEG audio layer III.
  bytes adts = two_mp3_frames();
  adts[1] = adts[418] = 0xF1;
  CHECK(detect_media_kind(adts).kind != media_kind::audio);
  // An ID3 tag whose size bytes are not syncsafe is not an ID3 tag.
  CHECK(detect_media_kind(bytes_of(std::string("ID3\x04\0\0\0\0\x81\x00", 10))).kind != media_kind::audio);
}

TEST_CASE("content wins over anything a name or a first word could suggest", "[media][kind]") {
  // A PNG is an image whatever it is called; text that starts like a format is still text.
  check_detected(encode_png(1, 1, 1), media_kind::image, "image/png", true);
  check_detected(bytes_of("BMW is a car maker.\nBM is also a pair of letters.\n"), media_kind::text, "text/plain", true);
  check_detected(bytes_of("P1 is a paper size\n"), media_kind::text, "text/plain", true);
  check_detected(bytes_of("GIF is pronounced both ways\n"), media_kind::text, "text/plain", true);
  check_detected(bytes_of("RIFF is a container format\n"), media_kind::text, "text/plain", true);
  check_detected(bytes_of("ID3 tags hold titles\n"), media_kind::text, "text/plain", true);
}

TEST_CASE("text is valid UTF-8 without NUL bytes in its first 8 KiB", "[media][kind]") {
  check_detected(bytes_of("hello, world\n"), media_kind::text, "text/plain", true);
  check_detected(bytes_of("{\"json\": [1, 2, 3]}\n"), media_kind::text, "text/plain", true);
  check_detected(bytes_of("na\xc3\xafve caf\xc3\xa9, \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e, \xf0\x9f\x8e\x89\n"),
                 media_kind::text, "text/plain", true);
  check_detected(bytes_of("\xef\xbb\xbfwith a byte order mark\n"), media_kind::text, "text/plain", true);
  check_detected(bytes_of("x"), media_kind::text, "text/plain", true);
  CHECK(detect_media_kind(bytes_of("x")).format == "utf-8 text");

  check_unknown(bytes_of(std::string("text with a \0!", 14)), "NUL byte at offset 12");

  // A NUL after the first 8 KiB is not looked for: such a file is text by this rule.
  bytes late_nul(text_nul_scan_bytes + 10, 'a');
  late_nul.back() = 0;
  CHECK(detect_media_kind(late_nul).kind == media_kind::text);
}

TEST_CASE("zero bytes, binary data and UTF-16 are unknown, with a reason", "[media][kind]") {
  check_unknown({}, "empty input");
  bytes random(4096);
  std::uint32_t state = 12345;
  for (auto& byte : random) {
    state = state * 1664525u + 1013904223u;
    byte = static_cast<std::uint8_t>(state >> 24);
  }
  random[0] = 0x01;  // not a known first byte
  CHECK(detect_media_kind(random).kind == media_kind::unknown);
  CHECK_FALSE(detect_media_kind(random).reason.empty());
  check_unknown(bytes_of(std::string("\xff\xfeh\0i\0", 6)), "UTF-16");
  check_unknown(bytes_of(std::string("PK\x03\x04\x14\0\0\0", 8)), "NUL byte");
  CHECK(media_kind_name(media_kind::unknown) == "unknown");
  CHECK(media_kind_name(media_kind::pdf) == "pdf");
  CHECK(media_kind_name(media_kind::image) == "image");
}

TEST_CASE("bytes that are not UTF-8 are not text, and the reason says where and why", "[media][kind][utf8]") {
  // The decoder's own cases are in test_utf8.cpp; here, that detection words them with their offset.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"ab\xe0\x80\xaf", "invalid UTF-8 at byte 3 (byte 0x80 cannot continue the sequence that starts with 0xE0 (an overlong form))"},
      {"a\xed\xa0\x80z", "invalid UTF-8 at byte 2 (byte 0xA0 cannot continue the sequence that starts with 0xED (a UTF-16 surrogate))"},
      {"\xf4\x90\x80\x80", "invalid UTF-8 at byte 1 (byte 0x90 cannot continue the sequence that starts with 0xF4 (beyond U+10FFFF))"},
      {"abc\xe6\x97", "invalid UTF-8 at byte 3 (the 3-byte sequence is cut off by the end of the text)"},
      {"x\x80", "invalid UTF-8 at byte 1 (unexpected continuation byte 0x80)"},
      {"\xff", "invalid UTF-8 at byte 0 (byte 0xFF never starts a character (overlong or beyond U+10FFFF))"},
  };
  for (const auto& [text, reason] : cases) {
    const media_detection detection = detect_media_kind(bytes_of(text));
    CHECK(detection.kind == media_kind::unknown);
    CHECK(detection.reason == "not a known media format, and not text: " + reason);
  }
}

TEST_CASE("TGA is accepted only with a plausible header and enough bytes", "[media][kind]") {
  bytes tga = encode_tga(4, 3, false);
  CHECK(detect_media_kind(tga).format == "tga");
  bytes truncated(tga.begin(), tga.begin() + 30);  // header fine, pixels missing
  CHECK(detect_media_kind(truncated).kind == media_kind::unknown);
  bytes bad_type = tga;
  bad_type[2] = 7;  // no such image type
  CHECK(detect_media_kind(bad_type).kind == media_kind::unknown);
  bytes bad_depth = tga;
  bad_depth[16] = 23;
  CHECK(detect_media_kind(bad_depth).kind == media_kind::unknown);
}
