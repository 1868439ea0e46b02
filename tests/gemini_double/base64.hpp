#pragma once
// Strict base64 decoding of proto3 JSON `bytes` fields. proto3 JSON accepts the standard and the
// URL-safe alphabet, with or without '=' padding; anything else (whitespace, stray characters,
// padding in the middle, an impossible length) is invalid, as it is for Google.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace mosaic::gemini_double {

std::optional<std::vector<std::uint8_t>> decode_base64(std::string_view encoded);

}  // namespace mosaic::gemini_double
