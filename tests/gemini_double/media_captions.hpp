#pragma once
// Reads the captions the test double embeds in place of media: a PNG `tEXt` (or uncompressed `iTXt`)
// chunk with keyword "Description", and a WAV RIFF `LIST`/`INFO` chunk's `ICMT` comment. A test can
// then build an image "of a red bicycle" that embeds exactly like the text "a red bicycle".
//
// The bytes come from HTTP clients and are hostile: every length is checked against the bytes that
// remain before it is used, sizes are never added in a way that can wrap, and a malformed file simply
// has no caption (CRCs are not checked: a caption is a test convenience, not a decoder).
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace mosaic::gemini_double {

// Magic numbers the double checks, as Google refuses an image it cannot decode.
bool has_png_signature(std::span<const std::uint8_t> bytes) noexcept;
bool has_jpeg_signature(std::span<const std::uint8_t> bytes) noexcept;
bool has_wav_header(std::span<const std::uint8_t> bytes) noexcept;

// The text of the first "Description" text chunk before IEND, as UTF-8; nullopt when there is none,
// when it is empty, or when the chunk layout is broken before one is found.
std::optional<std::string> png_description(std::span<const std::uint8_t> bytes);

// The first non-empty ICMT comment of a LIST/INFO chunk, as UTF-8 (Latin-1 when not valid UTF-8),
// trailing NULs removed; nullopt when there is none.
std::optional<std::string> wav_comment(std::span<const std::uint8_t> bytes);

}  // namespace mosaic::gemini_double
