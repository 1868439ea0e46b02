#pragma once
// SHA-256 (FIPS 180-4): names content-addressed files (shards, metadata, thumbnails). Written in the
// core, not taken from OpenSSL, because the browser build computes the same names.
#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace mosaic::hash {

using sha256_digest = std::array<std::uint8_t, 32>;

sha256_digest sha256(std::span<const std::uint8_t> bytes) noexcept;
// Lower-case hexadecimal, 64 characters.
std::string sha256_hex(std::span<const std::uint8_t> bytes);
std::string to_hex(std::span<const std::uint8_t> bytes);

}  // namespace mosaic::hash
