#pragma once
// The caption a PNG carries: a `tEXt` (or uncompressed `iTXt`) chunk with keyword "Description".
// The indexer uses it as an image's text when the provider cannot embed images, and the Gemini test
// double embeds it in place of the image, so both read it with this one function.
// The bytes are hostile: every length is checked against the bytes that remain before it is used,
// and a malformed file simply has no caption (CRCs are not checked: a caption is not a decoder).
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace mosaic::media {

// The text of the first "Description" text chunk before IEND, as UTF-8 (tEXt is Latin-1); nullopt
// when there is none, when it is empty, or when the chunk layout is broken before one is found.
std::optional<std::string> read_png_description(std::span<const std::uint8_t> bytes);

}  // namespace mosaic::media
