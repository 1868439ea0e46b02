#include "media/media_kind.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "core/byte_reader.hpp"
#include "media/gemini_media_rules.hpp"
#include "media/pnm_header.hpp"
#include "text/utf8.hpp"

namespace mosaic::media {
namespace {

media_detection detected(media_kind kind, std::string_view mime_type, std::string_view format) {
  media_detection detection;
  detection.kind = kind;
  detection.mime_type = mime_type;
  detection.format = format;
  detection.accepted_by_gemini = kind == media_kind::text || find_gemini_media_rule(mime_type) != nullptr;
  return detection;
}

media_detection not_detected(std::string reason) {
  media_detection detection;
  detection.reason = std::move(reason);
  return detection;
}

// BMP's "BM" alone matches ordinary text ("BMW ..."): also require a known DIB header size.
bool looks_like_bmp(byte_span bytes) noexcept {
  if (bytes.size() < 26 || !has_tag(bytes, 0, "BM")) return false;
  const std::uint32_t dib_header_size = read_little_endian_32(bytes, 14);
  constexpr std::array<std::uint32_t, 7> known_sizes = {12, 40, 52, 56, 64, 108, 124};
  return std::find(known_sizes.begin(), known_sizes.end(), dib_header_size) != known_sizes.end();
}

// "P1".."P6", whitespace, optional "#" comment lines, then the width's first digit.
std::optional<std::uint8_t> pnm_variant(byte_span bytes) noexcept {
  if (bytes.size() < 4 || bytes[0] != 'P' || bytes[1] < '1' || bytes[1] > '6' || !is_pnm_space(bytes[2])) {
    return std::nullopt;
  }
  const std::size_t index = skip_pnm_spaces(bytes, 2);
  if (index >= bytes.size() || bytes[index] < '0' || bytes[index] > '9') return std::nullopt;
  return static_cast<std::uint8_t>(bytes[1] - '0');
}

// MPEG-1/2/2.5 Layer III frame header; returns the frame's length in bytes when every field is valid.
// Free-format bitrate (index 0) is refused: it cannot be checked and is almost never used.
std::optional<std::size_t> mp3_frame_length(byte_span bytes, std::size_t offset) noexcept {
  if (offset > bytes.size() || bytes.size() - offset < 4) return std::nullopt;
  const std::uint32_t header = read_big_endian_32(bytes, offset);
  if ((header & 0xFFE00000u) != 0xFFE00000u) return std::nullopt;  // 11-bit frame sync
  const std::uint32_t version_bits = (header >> 19) & 3u;           // 0: MPEG 2.5, 1: reserved, 2: MPEG 2, 3: MPEG 1
  const std::uint32_t layer_bits = (header >> 17) & 3u;             // 1: Layer III
  const std::uint32_t bitrate_index = (header >> 12) & 15u;
  const std::uint32_t sample_rate_index = (header >> 10) & 3u;
  const std::uint32_t padding = (header >> 9) & 1u;
  const std::uint32_t emphasis = header & 3u;
  if (version_bits == 1 || layer_bits != 1 || bitrate_index == 0 || bitrate_index == 15 || sample_rate_index == 3 ||
      emphasis == 2) {
    return std::nullopt;
  }
  constexpr std::array<std::uint32_t, 15> mpeg1_kilobits = {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320};
  constexpr std::array<std::uint32_t, 15> mpeg2_kilobits = {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160};
  constexpr std::array<std::uint32_t, 3> mpeg1_sample_rates = {44100, 48000, 32000};
  const bool is_mpeg1 = version_bits == 3;
  const std::uint32_t bits_per_second = (is_mpeg1 ? mpeg1_kilobits : mpeg2_kilobits)[bitrate_index] * 1000;
  std::uint32_t sample_rate = mpeg1_sample_rates[sample_rate_index];
  if (version_bits == 2) sample_rate /= 2;
  if (version_bits == 0) sample_rate /= 4;
  // Layer III frames hold 1152 samples (MPEG 1) or 576 (MPEG 2/2.5): 144 or 72 bytes per bit/s per Hz.
  const std::uint32_t bytes_per_rate = is_mpeg1 ? 144 : 72;
  return std::size_t{bytes_per_rate * bits_per_second / sample_rate + padding};
}

// An ID3v2 tag: "ID3", version 2..4, revision, flags, and a size of four 7-bit ("syncsafe") bytes.
bool has_id3v2_tag(byte_span bytes) noexcept {
  if (bytes.size() < 10 || !has_tag(bytes, 0, "ID3")) return false;
  if (bytes[3] < 2 || bytes[3] > 4 || bytes[4] == 0xFF) return false;
  return (bytes[6] | bytes[7] | bytes[8] | bytes[9]) < 0x80;
}

// A bare frame sync is two bytes that random data matches often: demand two consecutive valid frames.
bool starts_with_mp3_frames(byte_span bytes) noexcept {
  const auto first = mp3_frame_length(bytes, 0);
  return first && mp3_frame_length(bytes, *first).has_value();
}

media_detection iso_media_detection(byte_span bytes) {
  // Box size (big-endian) then "ftyp", then the major brand.
  const std::uint32_t box_size = read_big_endian_32(bytes, 0);
  if (box_size < 16 && box_size != 1) return not_detected("an ISO media file whose ftyp box is too small");
  const std::string_view brand(reinterpret_cast<const char*>(bytes.data() + 8), 4);
  if (brand == "qt  ") return detected(media_kind::video, "video/quicktime", "mov");
  if (brand == "M4A " || brand == "M4B " || brand == "M4P " || brand == "F4A ") {
    return detected(media_kind::audio, "audio/mp4", "m4a");
  }
  if (brand == "heic" || brand == "heix" || brand == "hevc" || brand == "mif1" || brand == "msf1" || brand == "heim" ||
      brand == "heis") {
    return detected(media_kind::image, "image/heic", "heic");
  }
  if (brand == "avif" || brand == "avis") return detected(media_kind::image, "image/avif", "avif");
  if (brand.starts_with("3gp") || brand.starts_with("3g2")) return detected(media_kind::video, "video/3gpp", "3gp");
  // isom, iso2..iso9, mp41, mp42, avc1, dash, M4V, MSNV and other video brands.
  return detected(media_kind::video, "video/mp4", "mp4");
}

// TGA has no magic number: accept it only when every header field holds a legal value and the file
// is long enough for what the header describes (for uncompressed images, every pixel). Checked last.
bool looks_like_tga(byte_span bytes) noexcept {
  constexpr std::size_t header_size = 18;
  if (bytes.size() < header_size) return false;
  const std::uint8_t id_length = bytes[0];
  const std::uint8_t color_map_type = bytes[1];
  const std::uint8_t image_type = bytes[2];
  const std::uint32_t color_map_length = read_little_endian_16(bytes, 5);
  const std::uint8_t color_map_entry_bits = bytes[7];
  const std::uint32_t width = read_little_endian_16(bytes, 12);
  const std::uint32_t height = read_little_endian_16(bytes, 14);
  const std::uint8_t pixel_bits = bytes[16];
  const std::uint8_t descriptor = bytes[17];
  if (width == 0 || height == 0 || (descriptor & 0xC0) != 0) return false;  // interleaving bits are obsolete
  const bool color_mapped = image_type == 1 || image_type == 9;
  const bool true_color = image_type == 2 || image_type == 10;
  const bool grey = image_type == 3 || image_type == 11;
  if (!color_mapped && !true_color && !grey) return false;
  if (color_mapped) {
    if (color_map_type != 1 || color_map_length == 0 || pixel_bits != 8) return false;
    if (color_map_entry_bits != 15 && color_map_entry_bits != 16 && color_map_entry_bits != 24 &&
        color_map_entry_bits != 32) {
      return false;
    }
  } else {
    if (color_map_type != 0) return false;
    // Without a color map its specification must be empty.
    for (std::size_t index = 3; index < 8; ++index) {
      if (bytes[index] != 0) return false;
    }
    if (true_color && pixel_bits != 15 && pixel_bits != 16 && pixel_bits != 24 && pixel_bits != 32) return false;
    if (grey && pixel_bits != 8 && pixel_bits != 16) return false;
  }
  const std::uint64_t color_map_bytes = color_mapped ? color_map_length * ((color_map_entry_bits + 7u) / 8u) : 0;
  std::uint64_t minimum_size = header_size + id_length + color_map_bytes;
  const bool run_length_encoded = image_type >= 9;
  // An RLE image can be smaller than its pixels, but never smaller than one byte per packet of 128.
  const std::uint64_t pixel_count = std::uint64_t{width} * height;
  minimum_size += run_length_encoded ? (pixel_count + 127) / 128 : pixel_count * ((pixel_bits + 7u) / 8u);
  return bytes.size() >= minimum_size;
}

}  // namespace

std::string_view media_kind_name(media_kind kind) noexcept {
  switch (kind) {
    case media_kind::unknown: return "unknown";
    case media_kind::text: return "text";
    case media_kind::image: return "image";
    case media_kind::audio: return "audio";
    case media_kind::video: return "video";
    case media_kind::pdf: return "pdf";
  }
  return "unknown";
}

media_detection detect_media_kind(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return not_detected("empty input (zero bytes)");

  constexpr std::array<std::uint8_t, 8> png_signature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (bytes.size() >= png_signature.size() && std::equal(png_signature.begin(), png_signature.end(), bytes.begin())) {
    return detected(media_kind::image, "image/png", "png");
  }
  // Start-of-image marker, then the 0xFF of the next marker.
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) {
    return detected(media_kind::image, "image/jpeg", "jpeg");
  }
  if (has_tag(bytes, 0, "GIF87a") || has_tag(bytes, 0, "GIF89a")) return detected(media_kind::image, "image/gif", "gif");
  if (looks_like_bmp(bytes)) return detected(media_kind::image, "image/bmp", "bmp");
  if (bytes.size() >= 12 && has_tag(bytes, 0, "RIFF")) {
    if (has_tag(bytes, 8, "WAVE")) return detected(media_kind::audio, "audio/wav", "wav");
    if (has_tag(bytes, 8, "WEBP")) return detected(media_kind::image, "image/webp", "webp");
    if (has_tag(bytes, 8, "AVI ")) return detected(media_kind::video, "video/x-msvideo", "avi");
  }
  if (has_tag(bytes, 0, "%PDF-")) return detected(media_kind::pdf, "application/pdf", "pdf");
  if (bytes.size() >= 12 && has_tag(bytes, 4, "ftyp")) return iso_media_detection(bytes);
  if (has_id3v2_tag(bytes) || starts_with_mp3_frames(bytes)) return detected(media_kind::audio, "audio/mpeg", "mp3");
  if (const auto variant = pnm_variant(bytes)) {
    // Only the binary variants P5 (greymap) and P6 (pixmap) are decodable by stb_image.
    constexpr std::array<std::string_view, 6> mime_types = {"image/x-portable-bitmap", "image/x-portable-graymap",
                                                            "image/x-portable-pixmap", "image/x-portable-bitmap",
                                                            "image/x-portable-graymap", "image/x-portable-pixmap"};
    constexpr std::array<std::string_view, 6> formats = {"pbm (ascii)", "pgm (ascii)", "ppm (ascii)",
                                                         "pbm",         "pgm",         "ppm"};
    const std::size_t index = std::size_t{*variant} - 1;
    return detected(media_kind::image, mime_types[index], formats[index]);
  }

  if (bytes.size() >= 2 && ((bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF))) {
    return not_detected("UTF-16 text (only UTF-8 text is supported: convert it)");
  }
  const byte_span scanned = bytes.first(std::min(bytes.size(), text_nul_scan_bytes));
  const auto nul = std::find(scanned.begin(), scanned.end(), std::uint8_t{0});
  if (nul == scanned.end()) {
    const auto error = text::find_utf8_error(bytes);
    if (!error) return detected(media_kind::text, "text/plain", "utf-8 text");
    if (!looks_like_tga(bytes)) {
      return not_detected("not a known media format, and not text: invalid UTF-8 at byte " +
                          std::to_string(error->offset) + " (" + error->description() + ")");
    }
  }
  if (looks_like_tga(bytes)) return detected(media_kind::image, "image/x-tga", "tga");
  return not_detected("not a known media format, and not text: NUL byte at offset " +
                      std::to_string(nul - scanned.begin()));
}

}  // namespace mosaic::media
