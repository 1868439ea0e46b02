#pragma once
// XXH64 (Yann Collet's xxHash, 64-bit variant): the shard checksum. Fast (several GB/s even serial),
// well specified, and available in every language, so a shard can be verified outside Mosaic.
#include <cstdint>
#include <span>

namespace mosaic::hash {

std::uint64_t xxhash64(std::span<const std::uint8_t> bytes, std::uint64_t seed = 0) noexcept;

}  // namespace mosaic::hash
