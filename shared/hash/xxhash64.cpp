#include "hash/xxhash64.hpp"

#include <bit>
#include <cstring>

namespace mosaic::hash {
namespace {

constexpr std::uint64_t prime1 = 0x9E3779B185EBCA87ULL;
constexpr std::uint64_t prime2 = 0xC2B2AE3D27D4EB4FULL;
constexpr std::uint64_t prime3 = 0x165667B19E3779F9ULL;
constexpr std::uint64_t prime4 = 0x85EBCA77C2B2AE63ULL;
constexpr std::uint64_t prime5 = 0x27D4EB2F165667C5ULL;

static_assert(std::endian::native == std::endian::little, "xxhash64 reads little-endian words directly");

inline std::uint64_t read64(const std::uint8_t* source) noexcept {
  std::uint64_t value;
  std::memcpy(&value, source, sizeof value);
  return value;
}

inline std::uint32_t read32(const std::uint8_t* source) noexcept {
  std::uint32_t value;
  std::memcpy(&value, source, sizeof value);
  return value;
}

inline std::uint64_t round(std::uint64_t accumulator, std::uint64_t input) noexcept {
  accumulator += input * prime2;
  accumulator = std::rotl(accumulator, 31);
  return accumulator * prime1;
}

inline std::uint64_t merge_round(std::uint64_t accumulator, std::uint64_t value) noexcept {
  accumulator ^= round(0, value);
  return accumulator * prime1 + prime4;
}

}  // namespace

std::uint64_t xxhash64(std::span<const std::uint8_t> bytes, std::uint64_t seed) noexcept {
  const std::uint8_t* cursor = bytes.data();
  const std::uint8_t* const end = cursor + bytes.size();
  std::uint64_t hash;

  if (bytes.size() >= 32) {
    std::uint64_t lane1 = seed + prime1 + prime2;
    std::uint64_t lane2 = seed + prime2;
    std::uint64_t lane3 = seed;
    std::uint64_t lane4 = seed - prime1;
    const std::uint8_t* const last_stripe = end - 32;
    do {
      lane1 = round(lane1, read64(cursor));
      lane2 = round(lane2, read64(cursor + 8));
      lane3 = round(lane3, read64(cursor + 16));
      lane4 = round(lane4, read64(cursor + 24));
      cursor += 32;
    } while (cursor <= last_stripe);
    hash = std::rotl(lane1, 1) + std::rotl(lane2, 7) + std::rotl(lane3, 12) + std::rotl(lane4, 18);
    hash = merge_round(hash, lane1);
    hash = merge_round(hash, lane2);
    hash = merge_round(hash, lane3);
    hash = merge_round(hash, lane4);
  } else {
    hash = seed + prime5;
  }

  hash += static_cast<std::uint64_t>(bytes.size());

  while (end - cursor >= 8) {
    hash ^= round(0, read64(cursor));
    hash = std::rotl(hash, 27) * prime1 + prime4;
    cursor += 8;
  }
  if (end - cursor >= 4) {
    hash ^= static_cast<std::uint64_t>(read32(cursor)) * prime1;
    hash = std::rotl(hash, 23) * prime2 + prime3;
    cursor += 4;
  }
  while (cursor < end) {
    hash ^= static_cast<std::uint64_t>(*cursor) * prime5;
    hash = std::rotl(hash, 11) * prime1;
    ++cursor;
  }

  hash ^= hash >> 33;
  hash *= prime2;
  hash ^= hash >> 29;
  hash *= prime3;
  hash ^= hash >> 32;
  return hash;
}

}  // namespace mosaic::hash
