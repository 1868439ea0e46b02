#pragma once
// Base64 (RFC 4648, no line breaks) for inline media: Mosaic's own /api/embed and Google's shapes
// carry media as base64 text in JSON, and the provider sends them so. Decoding reads what proto3 JSON
// readers, Google's included, read: the standard or the URL-safe alphabet, '=' padding optional but
// complete when present; invalid_argument names the first bad offset. Encoding writes the standard
// alphabet, padded.
#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mosaic::server {

result<std::string> decode_base64(std::string_view text);
std::string encode_base64(std::string_view bytes);

// 4 * ceil(bytes / 3): the length encode_base64 writes for `bytes` bytes.
constexpr std::size_t base64_encoded_bytes(std::size_t bytes) noexcept { return (bytes + 2) / 3 * 4; }

}  // namespace mosaic::server
