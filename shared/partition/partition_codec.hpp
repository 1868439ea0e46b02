#pragma once
// Encoding and validating partition files (docs/format.md, "Partition files"). A partition is hostile
// input, and a client may hold it three ways, each with its own decoder: the whole file, the head
// alone (bytes [0, rows_offset), fetched by one Range request) or single rows fetched by Range after
// the head. Every check the document lists has its own error code, in the document's order.
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "partition/partition_header.hpp"

namespace mosaic::partition {

// The canonical byte layout of a partition of `item_count` rows of `dimensions`.
struct partition_layout {
  std::uint64_t code_bytes;
  std::uint64_t row_stride;
  std::uint64_t codes_offset;
  std::uint64_t ids_offset;
  std::uint64_t statistics_offset;  // residual norms (item_count float32), then centre dots (item_count float32)
  std::uint64_t rows_offset;        // = the head's size
  std::uint64_t total_bytes;
};
// bad_dimensions for dimensions outside 1..65536; size_overflow when the file would not be
// addressable by this target's size_t (32 bits in wasm).
result<partition_layout> compute_partition_layout(std::uint32_t dimensions, std::uint64_t item_count);

// The sign code of `values` around `centre`: bit i (bit i % 8 of byte i / 8) is 1 when values[i] >
// centre[i]; bits past values.size() are 0. `code` holds code_bytes = ceil(size / 64) * 8 bytes.
void compute_sign_code(std::span<const float> values, std::span<const float> centre, std::span<std::uint8_t> code);

// A row's residual statistics around the centre, stored in the head so that a client holding heads
// alone ranks rows as one holding whole partitions does (partitioned_search.hpp, residual_statistics):
// |x - c| and <c, x - c>, summed in double over the row's dequantized values in dimension order.
struct partition_residual {
  float norm = 0.0f;
  float centre_dot = 0.0f;
};
partition_residual compute_row_residual(std::span<const float> values, std::span<const float> centre);

struct partition_contents {
  std::uint32_t dimensions = 0;
  std::uint32_t partition = 0;
  std::span<const float> centre;          // dimensions floats, finite, |x| <= 2
  std::span<const std::int8_t> codes;     // item_count * dimensions int8 codes in -127..127, row-major
  std::span<const float> scales;          // item_count, as shards: finite, 0 <= scale <= (1 + 1/1024) / 127
  std::span<const std::uint64_t> item_ids;
};

// Computes each row's sign code from its dequantized values and the centre, and lays the file out.
result<std::vector<std::uint8_t>> encode_partition(const partition_contents& contents);

// Quantizes unit vectors (vector/quantize.hpp, as shards do) and encodes them around `centre`.
result<std::vector<std::uint8_t>> encode_partition_from_f32(std::uint32_t dimensions, std::uint32_t partition,
                                                           std::span<const float> centre,
                                                           std::span<const float> vectors,
                                                           std::span<const std::uint64_t> item_ids);

// One row of the rows block: its scale and its int8 codes (a view into the file's or the row's bytes).
struct partition_row {
  float scale = 0.0f;
  std::span<const std::int8_t> codes;
};

// A validated, zero-copy view into a partition's bytes; valid while those bytes live.
struct partition_view {
  std::uint32_t dimensions = 0;
  std::uint32_t partition = 0;
  std::size_t item_count = 0;
  std::size_t code_bytes = 0;
  std::size_t row_stride = 0;
  std::uint64_t rows_offset = 0;           // where row r starts: rows_offset + r * row_stride
  std::span<const float> centre;           // dimensions
  std::span<const std::uint8_t> codes;     // item_count * code_bytes
  std::span<const std::uint8_t> id_bytes;  // item_count little-endian u64
  std::span<const float> residual_norms;   // item_count: |x - c| per row (finite, 0 ... 4)
  std::span<const float> centre_dots;      // item_count: <c, x - c> per row (finite, |.| <= 8)
  std::span<const std::uint8_t> rows;      // item_count * row_stride; empty for a head
  bool has_rows = false;                   // decoded from the whole file

  [[nodiscard]] std::uint64_t item_id(std::size_t row) const noexcept;
  [[nodiscard]] std::span<const std::uint8_t> code(std::size_t row) const noexcept {
    return codes.subspan(row * code_bytes, code_bytes);
  }
  // Precondition: has_rows and row < item_count.
  [[nodiscard]] partition_row row(std::size_t index) const noexcept;
};

// The whole file. `bytes` must start at an 8-byte aligned address (std::vector and malloc do).
result<partition_view> decode_partition(std::span<const std::uint8_t> bytes);
// Exactly the head, bytes [0, rows_offset): every check but the rows' checksum and values.
result<partition_view> decode_partition_head(std::span<const std::uint8_t> bytes);

// Where row `row` lies in the file, for a Range request: [offset, offset + length).
struct byte_range {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};
result<byte_range> partition_row_range(const partition_view& head, std::size_t row);
// A row fetched alone (its row_stride bytes): its scale, its codes (-127..127) and zero padding.
result<partition_row> decode_partition_row(const partition_view& head, std::span<const std::uint8_t> row_bytes);

// The manifest's entry against the file: partition = position, dimensions, items (invalid_manifest).
status check_partition_against_manifest(const partition_view& view, std::uint32_t position, std::uint32_t dimensions,
                                        std::uint64_t items);

// The checksums a header must carry for these bytes: the head's (bytes.size() >= rows_offset >= 64)
// and the rows' (bytes of a whole file). Tests re-seal edited files with them.
std::uint64_t compute_head_checksum(std::span<const std::uint8_t> bytes, std::uint64_t rows_offset) noexcept;
std::uint64_t compute_rows_checksum(std::span<const std::uint8_t> bytes, std::uint64_t rows_offset,
                                    std::uint64_t head_checksum) noexcept;

}  // namespace mosaic::partition
