#pragma once
// What a file is, decided by its bytes (magic numbers and header checks), never by its name: a PNG
// named notes.txt is an image. No I/O: the caller hands over the bytes (the whole file, or at least
// its first few kilobytes; text is judged on every byte it is given).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace mosaic::media {

enum class media_kind : std::uint8_t { unknown, text, image, audio, video, pdf };

std::string_view media_kind_name(media_kind kind) noexcept;  // "unknown", "text", "image", ...

struct media_detection {
  media_kind kind = media_kind::unknown;
  std::string_view mime_type;  // "image/png", "text/plain", ...; empty when unknown
  std::string_view format;     // short format name: "png", "jpeg", "wav", "mp3", "utf-8 text", ...
  // True when Gemini Embedding 2 takes the bytes as they are: text, or a type in gemini_media_rules
  // (media/gemini_media_rules.hpp: PNG, JPEG, WAV, MP3, MP4, MOV, PDF). Other images (GIF, BMP, TGA, PNM) must go through prepare_image first; WebP, HEIC and AVIF
  // are recognised but stb cannot decode them, so they cannot be re-encoded here.
  bool accepted_by_gemini = false;
  std::string reason;  // why the kind is unknown ("empty input", "... invalid UTF-8 at byte 12 (...)"); empty otherwise
};

media_detection detect_media_kind(std::span<const std::uint8_t> bytes);

// Text is valid UTF-8 (a leading byte order mark is allowed) with no NUL byte in its first 8 KiB:
// NUL is valid UTF-8 but almost never occurs in text and almost always occurs early in binary files.
inline constexpr std::size_t text_nul_scan_bytes = 8192;

}  // namespace mosaic::media
