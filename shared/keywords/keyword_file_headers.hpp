#pragma once
// The 64-byte headers of the keyword directory and of term files, in code. docs/format.md ("Keyword
// directory", "Term files") is the same contract in prose; the static_asserts pin every field to the
// offset the document gives. Little-endian throughout. Both files use the shards' checksum: XXH64 of
// bytes [64, end) seeded with XXH64 of bytes [0, 56).
//
//  keyword directory                               term file
//  0   8  magic "\x89MOSKEY\n"                     0   8  magic "\x89MOSTRM\n"
//  8   2  format_version 1                         8   2  format_version 1
//  10  2  header_bytes 64                          10  2  header_bytes 64
//  12  2  analysis (1)                             12  2  field_count (the directory's)
//  14  2  field_count 1..8                         14  2  reserved 0
//  16  4  term_file_count 0..2^20                  16  4  term_count >= 1 (the directory's entry)
//  20  4  reserved 0                               20  4  reserved 0
//  24  8  item_count                               24  8  terms_bytes
//  32  8  payload_bytes                            32  8  postings_bytes
//  40  16 reserved 0                               40  8  positions_bytes
//                                                  48  8  reserved 0
//  56  8  checksum                                 56  8  checksum
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>

#include "hash/xxhash64.hpp"

namespace mosaic::keywords {

static_assert(std::endian::native == std::endian::little, "keyword files are little-endian");

inline constexpr std::array<std::uint8_t, 8> keyword_directory_magic = {0x89, 'M', 'O', 'S', 'K', 'E', 'Y', '\n'};
inline constexpr std::array<std::uint8_t, 8> term_file_magic = {0x89, 'M', 'O', 'S', 'T', 'R', 'M', '\n'};
inline constexpr std::uint16_t keyword_format_version = 1;
inline constexpr std::size_t keyword_header_bytes = 64;
inline constexpr std::size_t keyword_checksum_offset = 56;

inline constexpr std::size_t max_keyword_fields = 8;
inline constexpr std::size_t max_field_name_bytes = 32;
inline constexpr std::uint32_t max_term_files = std::uint32_t{1} << 20U;
inline constexpr std::size_t max_term_bytes = 128;  // the tokenizer's max_token_bytes

struct keyword_directory_header {
  std::array<std::uint8_t, 8> magic;   // bytes 0-7
  std::uint16_t format_version;        // bytes 8-9
  std::uint16_t header_bytes;          // bytes 10-11
  std::uint16_t analysis;              // bytes 12-13
  std::uint16_t field_count;           // bytes 14-15
  std::uint32_t term_file_count;       // bytes 16-19
  std::uint32_t reserved32;            // bytes 20-23
  std::uint64_t item_count;            // bytes 24-31
  std::uint64_t payload_bytes;         // bytes 32-39
  std::array<std::uint8_t, 16> reserved;  // bytes 40-55
  std::uint64_t checksum;              // bytes 56-63
};
static_assert(sizeof(keyword_directory_header) == 64);
static_assert(offsetof(keyword_directory_header, analysis) == 12);
static_assert(offsetof(keyword_directory_header, field_count) == 14);
static_assert(offsetof(keyword_directory_header, term_file_count) == 16);
static_assert(offsetof(keyword_directory_header, reserved32) == 20);
static_assert(offsetof(keyword_directory_header, item_count) == 24);
static_assert(offsetof(keyword_directory_header, payload_bytes) == 32);
static_assert(offsetof(keyword_directory_header, reserved) == 40);
static_assert(offsetof(keyword_directory_header, checksum) == keyword_checksum_offset);

struct term_file_header {
  std::array<std::uint8_t, 8> magic;  // bytes 0-7
  std::uint16_t format_version;       // bytes 8-9
  std::uint16_t header_bytes;         // bytes 10-11
  std::uint16_t field_count;          // bytes 12-13
  std::uint16_t reserved16;           // bytes 14-15
  std::uint32_t term_count;           // bytes 16-19
  std::uint32_t reserved32;           // bytes 20-23
  std::uint64_t terms_bytes;          // bytes 24-31
  std::uint64_t postings_bytes;       // bytes 32-39
  std::uint64_t positions_bytes;      // bytes 40-47
  std::uint64_t reserved64;           // bytes 48-55
  std::uint64_t checksum;             // bytes 56-63
};
static_assert(sizeof(term_file_header) == 64);
static_assert(offsetof(term_file_header, field_count) == 12);
static_assert(offsetof(term_file_header, reserved16) == 14);
static_assert(offsetof(term_file_header, term_count) == 16);
static_assert(offsetof(term_file_header, reserved32) == 20);
static_assert(offsetof(term_file_header, terms_bytes) == 24);
static_assert(offsetof(term_file_header, postings_bytes) == 32);
static_assert(offsetof(term_file_header, positions_bytes) == 40);
static_assert(offsetof(term_file_header, reserved64) == 48);
static_assert(offsetof(term_file_header, checksum) == keyword_checksum_offset);

// XXH64 of bytes [64, end) seeded with XXH64 of bytes [0, 56). Needs bytes.size() >= 64.
inline std::uint64_t keyword_file_checksum(std::span<const std::uint8_t> bytes) noexcept {
  const std::uint64_t header_hash = hash::xxhash64(bytes.first(keyword_checksum_offset), 0);
  return hash::xxhash64(bytes.subspan(keyword_header_bytes), header_hash);
}

}  // namespace mosaic::keywords
