#pragma once
// Shard format v1, in code. docs/format.md is the same contract in prose; the static_asserts below pin
// every field to the byte offset the document gives. Little-endian throughout.
//
//  offset size field
//  0      8    magic            89 4D 4F 53 41 49 43 0A  ("\x89MOSAIC\n": a high byte first and a line
//                                                        feed last, so text-mode mangling is caught)
//  8      2    format_version   1
//  10     2    header_bytes     64
//  12     4    dimensions       stored dimensions per vector, 1..65536
//  16     8    item_count       vectors in the shard, at most 2^32 - 1
//  24     1    quantization     0 = float32, 1 = int8 (per-vector scale)
//  25     1    metric           0 = cosine (dot product of unit vectors)
//  26     2    reserved         0
//  28     4    reserved         0
//  32     8    vectors_offset   64
//  40     8    scales_offset    int8: end of vectors rounded up to 4; float32: 0 (no scales)
//  48     8    ids_offset       end of the previous block rounded up to 8
//  56     8    checksum         XXH64(bytes[64, end), seed = XXH64(bytes[0, 56), seed 0))
//
// The file ends exactly at ids_offset + 8 * item_count. Padding bytes are zero.
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace mosaic::index {

static_assert(std::endian::native == std::endian::little,
              "shard files are little-endian and are mapped directly; big-endian targets are not supported");

inline constexpr std::array<std::uint8_t, 8> shard_magic = {0x89, 'M', 'O', 'S', 'A', 'I', 'C', '\n'};
inline constexpr std::uint16_t shard_format_version = 1;
inline constexpr std::size_t shard_header_bytes = 64;
inline constexpr std::size_t shard_vectors_alignment = 64;
inline constexpr std::uint32_t max_shard_dimensions = 65536;
inline constexpr std::uint64_t max_shard_items = 0xFFFFFFFFULL;
inline constexpr std::size_t shard_checksum_offset = 56;

enum class quantization : std::uint8_t { f32 = 0, i8 = 1 };
enum class metric : std::uint8_t { cosine = 0 };

struct shard_header {
  std::array<std::uint8_t, 8> magic;  // bytes 0-7
  std::uint16_t format_version;       // bytes 8-9
  std::uint16_t header_bytes;         // bytes 10-11
  std::uint32_t dimensions;           // bytes 12-15
  std::uint64_t item_count;           // bytes 16-23
  std::uint8_t quantization_kind;     // byte 24
  std::uint8_t metric_kind;           // byte 25
  std::uint16_t reserved16;           // bytes 26-27
  std::uint32_t reserved32;           // bytes 28-31
  std::uint64_t vectors_offset;       // bytes 32-39
  std::uint64_t scales_offset;        // bytes 40-47
  std::uint64_t ids_offset;           // bytes 48-55
  std::uint64_t checksum;             // bytes 56-63
};

static_assert(sizeof(shard_header) == 64);
static_assert(offsetof(shard_header, magic) == 0);
static_assert(offsetof(shard_header, format_version) == 8);
static_assert(offsetof(shard_header, header_bytes) == 10);
static_assert(offsetof(shard_header, dimensions) == 12);
static_assert(offsetof(shard_header, item_count) == 16);
static_assert(offsetof(shard_header, quantization_kind) == 24);
static_assert(offsetof(shard_header, metric_kind) == 25);
static_assert(offsetof(shard_header, reserved16) == 26);
static_assert(offsetof(shard_header, reserved32) == 28);
static_assert(offsetof(shard_header, vectors_offset) == 32);
static_assert(offsetof(shard_header, scales_offset) == 40);
static_assert(offsetof(shard_header, ids_offset) == 48);
static_assert(offsetof(shard_header, checksum) == shard_checksum_offset);

}  // namespace mosaic::index
