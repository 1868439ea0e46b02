#pragma once
// Partition file format v2, in code. docs/format.md ("Partition files") is the same contract in
// prose; the static_asserts pin every field to the byte offset the document gives. Little-endian.
//
//  offset size field
//  0      8    magic           89 4D 4F 53 50 52 54 0A ("\x89MOSPRT\n")
//  8      2    format_version  2 (1: no residual statistics; refused)
//  10     2    header_bytes    64
//  12     4    dimensions      1..65536
//  16     4    item_count      rows, 0..2^32-1
//  20     4    partition       its centroid row (= its position in the manifest's partitions[])
//  24     1    code            1 = one sign bit per dimension of the row minus the centre
//  25     1    quantization    1 = int8 rows with a float32 scale
//  26     2    code_bytes      ceil(dimensions / 64) * 8
//  28     4    row_stride      4 + dimensions rounded up to 4
//  32     8    codes_offset    64 + 4 * dimensions rounded up to 8 (the centre sits at 64)
//  40     8    rows_offset     end of the statistics block rounded up to 64 (= the manifest's head_bytes)
//  48     8    head_checksum   XXH64(bytes[64, rows_offset), seed = XXH64(bytes[0, 48), seed 0))
//  56     8    rows_checksum   XXH64(bytes[rows_offset, end), seed = head_checksum)
//
// Blocks: centre (float32 x dimensions) at 64, codes (item_count x code_bytes) at codes_offset, ids
// (item_count x u64) right after the codes, residual statistics (item_count float32 norms, then
// item_count float32 centre dots) right after the ids, rows (item_count x row_stride: float32 scale, int8 codes,
// zero padding) at rows_offset. The file ends exactly at rows_offset + item_count * row_stride.
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace mosaic::partition {

static_assert(std::endian::native == std::endian::little, "partition files are little-endian and mapped directly");

inline constexpr std::array<std::uint8_t, 8> partition_magic = {0x89, 'M', 'O', 'S', 'P', 'R', 'T', '\n'};
inline constexpr std::uint16_t partition_format_version = 2;
inline constexpr std::size_t partition_header_bytes = 64;
inline constexpr std::uint8_t sign_code_kind = 1;
inline constexpr std::uint8_t i8_rows_kind = 1;
inline constexpr std::uint64_t max_partition_items = 0xFFFFFFFFULL;
inline constexpr std::size_t partition_rows_alignment = 64;
inline constexpr std::size_t head_checksum_offset = 48;
inline constexpr std::size_t rows_checksum_offset = 56;

struct partition_header {
  std::array<std::uint8_t, 8> magic;  // bytes 0-7
  std::uint16_t format_version;       // bytes 8-9
  std::uint16_t header_bytes;         // bytes 10-11
  std::uint32_t dimensions;           // bytes 12-15
  std::uint32_t item_count;           // bytes 16-19
  std::uint32_t partition;            // bytes 20-23
  std::uint8_t code_kind;             // byte 24
  std::uint8_t quantization_kind;     // byte 25
  std::uint16_t code_bytes;           // bytes 26-27
  std::uint32_t row_stride;           // bytes 28-31
  std::uint64_t codes_offset;         // bytes 32-39
  std::uint64_t rows_offset;          // bytes 40-47
  std::uint64_t head_checksum;        // bytes 48-55
  std::uint64_t rows_checksum;        // bytes 56-63
};

static_assert(sizeof(partition_header) == 64);
static_assert(offsetof(partition_header, magic) == 0);
static_assert(offsetof(partition_header, format_version) == 8);
static_assert(offsetof(partition_header, header_bytes) == 10);
static_assert(offsetof(partition_header, dimensions) == 12);
static_assert(offsetof(partition_header, item_count) == 16);
static_assert(offsetof(partition_header, partition) == 20);
static_assert(offsetof(partition_header, code_kind) == 24);
static_assert(offsetof(partition_header, quantization_kind) == 25);
static_assert(offsetof(partition_header, code_bytes) == 26);
static_assert(offsetof(partition_header, row_stride) == 28);
static_assert(offsetof(partition_header, codes_offset) == 32);
static_assert(offsetof(partition_header, rows_offset) == 40);
static_assert(offsetof(partition_header, head_checksum) == head_checksum_offset);
static_assert(offsetof(partition_header, rows_checksum) == rows_checksum_offset);

}  // namespace mosaic::partition
