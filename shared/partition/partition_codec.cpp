#include "partition/partition_codec.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "core/checked_arithmetic.hpp"
#include "hash/xxhash64.hpp"
#include "index/shard_header.hpp"
#include "partition/quantized_rows.hpp"

namespace mosaic::partition {
namespace {

// The centre is a centroid (unit length) in the writer; 2 leaves other writers room while keeping the
// code computation away from infinities. Scales are bounded as in shards (unit vectors).
constexpr float max_centre_component = 2.0f;
constexpr float max_i8_scale = (1.0f + 1.0f / 1024.0f) / 127.0f;

bool is_valid_centre_component(float value) {
  return std::isfinite(value) && std::fabs(value) <= max_centre_component;
}
bool is_valid_scale(float scale) { return std::isfinite(scale) && scale >= 0.0f && scale <= max_i8_scale; }

template <typename Value>
void write_le(std::vector<std::uint8_t>& bytes, std::size_t offset, Value value) {
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}

std::string describe(std::uint64_t value) { return std::to_string(value); }

// Bits past `dimensions` in a code of code_bytes bytes are zero.
bool code_padding_is_zero(std::span<const std::uint8_t> code, std::size_t dimensions) {
  std::size_t byte = dimensions / 8;
  if (dimensions % 8 != 0) {
    const auto used_bits_mask = static_cast<std::uint8_t>((1U << (dimensions % 8)) - 1U);
    if ((code[byte] & static_cast<std::uint8_t>(~used_bits_mask)) != 0) return false;
    ++byte;
  }
  for (; byte < code.size(); ++byte) {
    if (code[byte] != 0) return false;
  }
  return true;
}

// A row of the rows block (row_stride bytes): scale, codes, padding. Returns an empty message when valid.
std::string row_defect(std::span<const std::uint8_t> row_bytes, std::size_t dimensions, float& scale) {
  std::memcpy(&scale, row_bytes.data(), sizeof scale);
  if (!is_valid_scale(scale)) return "an int8 scale is negative, non-finite or above 1/127";
  for (std::size_t i = 0; i < dimensions; ++i) {
    if (static_cast<std::int8_t>(row_bytes[4 + i]) == -128) return "an int8 code is -128 (codes lie in -127 ... 127)";
  }
  for (std::size_t i = 4 + dimensions; i < row_bytes.size(); ++i) {
    if (row_bytes[i] != 0) return "a row's padding bytes are not zero";
  }
  return {};
}

enum class decoded_part : std::uint8_t { whole, head };

result<partition_view> decode(std::span<const std::uint8_t> bytes, decoded_part part) {
  if (bytes.size() < partition_header_bytes) {
    return make_error(error_code::truncated_header, "partition is " + describe(bytes.size()) +
                                                        " bytes, shorter than its 64-byte header");
  }
  partition_header header;
  std::memcpy(&header, bytes.data(), sizeof header);
  if (header.magic != partition_magic) {
    return make_error(error_code::bad_magic, "not a Mosaic partition: the first 8 bytes are not \\x89MOSPRT\\n");
  }
  if (header.format_version == 0) return make_error(error_code::bad_header, "partition format version 0 is invalid");
  if (header.format_version > partition_format_version) {
    return make_error(error_code::unsupported_version, "partition format version " + describe(header.format_version) +
                                                           " is newer than this reader (1); update Mosaic");
  }
  if (header.header_bytes != partition_header_bytes) {
    return make_error(error_code::bad_header,
                      "partition header size field is " + describe(header.header_bytes) + ", expected 64");
  }
  if (header.code_kind != sign_code_kind) {
    return make_error(error_code::unsupported_quantization, "unknown partition code kind " + describe(header.code_kind));
  }
  if (header.quantization_kind != i8_rows_kind) {
    return make_error(error_code::unsupported_quantization,
                      "unknown partition row quantization " + describe(header.quantization_kind));
  }
  auto layout = compute_partition_layout(header.dimensions, header.item_count);
  if (!layout) return std::move(layout).failure();

  auto check_field = [&](const char* name, std::uint64_t found, std::uint64_t expected) -> status {
    if (found == expected) return success{};
    return make_error(error_code::offset_out_of_range, std::string(name) + " is " + describe(found) +
                                                           " but the partition layout gives " + describe(expected));
  };
  for (auto checked : {check_field("code_bytes", header.code_bytes, layout->code_bytes),
                       check_field("row_stride", header.row_stride, layout->row_stride),
                       check_field("codes_offset", header.codes_offset, layout->codes_offset),
                       check_field("rows_offset", header.rows_offset, layout->rows_offset)}) {
    if (!checked) return std::move(checked).failure();
  }
  const std::uint64_t expected_size = part == decoded_part::whole ? layout->total_bytes : layout->rows_offset;
  const char* what = part == decoded_part::whole ? "partition" : "partition head";
  if (expected_size > bytes.size()) {
    return make_error(error_code::truncated_payload, std::string(what) + " should be " + describe(expected_size) +
                                                         " bytes but only " + describe(bytes.size()) + " are present");
  }
  if (expected_size < bytes.size()) {
    return make_error(error_code::trailing_bytes, std::string(what) + " has " +
                                                      describe(bytes.size() - expected_size) +
                                                      " bytes after its end at " + describe(expected_size));
  }
  if (reinterpret_cast<std::uintptr_t>(bytes.data()) % 8 != 0) {
    return make_error(error_code::misaligned_buffer, "partition bytes must start at an 8-byte aligned address");
  }
  const std::uint64_t head_checksum = compute_head_checksum(bytes, layout->rows_offset);
  if (head_checksum != header.head_checksum) {
    return make_error(error_code::checksum_mismatch, "partition head checksum mismatch: the file is corrupt or was modified");
  }
  if (part == decoded_part::whole && compute_rows_checksum(bytes, layout->rows_offset, head_checksum) != header.rows_checksum) {
    return make_error(error_code::checksum_mismatch, "partition rows checksum mismatch: the file is corrupt or was modified");
  }

  partition_view view;
  view.dimensions = header.dimensions;
  view.partition = header.partition;
  view.item_count = header.item_count;
  view.code_bytes = static_cast<std::size_t>(layout->code_bytes);
  view.row_stride = static_cast<std::size_t>(layout->row_stride);
  view.rows_offset = layout->rows_offset;
  view.centre = {reinterpret_cast<const float*>(bytes.data() + partition_header_bytes), view.dimensions};
  view.codes = bytes.subspan(static_cast<std::size_t>(layout->codes_offset), view.item_count * view.code_bytes);
  view.id_bytes = bytes.subspan(static_cast<std::size_t>(layout->ids_offset), view.item_count * 8);
  for (float value : view.centre) {
    if (!is_valid_centre_component(value)) {
      return make_error(error_code::bad_payload_value, "partition centre has a component that is not finite or exceeds 2");
    }
  }
  for (std::size_t row = 0; row < view.item_count; ++row) {
    if (!code_padding_is_zero(view.code(row), view.dimensions)) {
      return make_error(error_code::bad_payload_value,
                        "the code of row " + describe(row) + " has bits set past dimension " + describe(view.dimensions));
    }
  }
  if (part == decoded_part::whole) {
    view.rows = bytes.subspan(static_cast<std::size_t>(layout->rows_offset), view.item_count * view.row_stride);
    view.has_rows = true;
    for (std::size_t row = 0; row < view.item_count; ++row) {
      float scale = 0.0f;
      const std::string defect = row_defect(view.rows.subspan(row * view.row_stride, view.row_stride), view.dimensions, scale);
      if (!defect.empty()) return make_error(error_code::bad_payload_value, "row " + describe(row) + ": " + defect);
    }
  }
  return view;
}

}  // namespace

result<partition_layout> compute_partition_layout(std::uint32_t dimensions, std::uint64_t item_count) {
  if (dimensions == 0 || dimensions > index::max_shard_dimensions) {
    return make_error(error_code::bad_dimensions,
                      "partition dimensions must be between 1 and 65536, got " + describe(dimensions));
  }
  if (item_count > max_partition_items) {
    return make_error(error_code::size_overflow, "a partition holds at most 2^32 - 1 rows, not " + describe(item_count));
  }
  partition_layout layout{};
  layout.code_bytes = (std::uint64_t{dimensions} + 63) / 64 * 8;
  layout.row_stride = 4 + align_up(dimensions, 4);
  layout.codes_offset = align_up(partition_header_bytes + 4 * std::uint64_t{dimensions}, 8);
  // Products of a count below 2^32 and a stride below 2^17 cannot overflow 64 bits; the checks keep
  // that true should the limits ever move.
  std::uint64_t code_block = 0, id_block = 0, row_block = 0, ids_end = 0;
  if (!checked_multiply(item_count, layout.code_bytes, code_block) ||
      !checked_add(layout.codes_offset, code_block, layout.ids_offset) || !checked_multiply(item_count, 8, id_block) ||
      !checked_add(layout.ids_offset, id_block, ids_end) ||
      !checked_multiply(item_count, layout.row_stride, row_block)) {
    return make_error(error_code::size_overflow, "partition size overflows 64 bits");
  }
  layout.rows_offset = align_up(ids_end, partition_rows_alignment);
  if (!checked_add(layout.rows_offset, row_block, layout.total_bytes) ||
      layout.total_bytes > std::numeric_limits<std::size_t>::max()) {
    return make_error(error_code::size_overflow, "a partition of " + describe(item_count) + " x " + describe(dimensions) +
                                                     " rows does not fit in this target's address space");
  }
  return layout;
}

void compute_sign_code(std::span<const float> values, std::span<const float> centre, std::span<std::uint8_t> code) {
  std::fill(code.begin(), code.end(), std::uint8_t{0});
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] > centre[i]) code[i / 8] = static_cast<std::uint8_t>(code[i / 8] | (1U << (i % 8)));
  }
}

std::uint64_t compute_head_checksum(std::span<const std::uint8_t> bytes, std::uint64_t rows_offset) noexcept {
  const std::uint64_t header_hash = hash::xxhash64(bytes.first(head_checksum_offset), 0);
  return hash::xxhash64(bytes.subspan(partition_header_bytes, static_cast<std::size_t>(rows_offset) - partition_header_bytes),
                        header_hash);
}

std::uint64_t compute_rows_checksum(std::span<const std::uint8_t> bytes, std::uint64_t rows_offset,
                                    std::uint64_t head_checksum) noexcept {
  return hash::xxhash64(bytes.subspan(static_cast<std::size_t>(rows_offset)), head_checksum);
}

result<std::vector<std::uint8_t>> encode_partition(const partition_contents& contents) {
  const std::uint64_t item_count = contents.item_ids.size();
  auto layout = compute_partition_layout(contents.dimensions, item_count);
  if (!layout) return std::move(layout).failure();
  const std::size_t dimensions = contents.dimensions;
  const std::size_t rows = contents.item_ids.size();
  if (contents.centre.size() != dimensions || contents.codes.size() != rows * dimensions ||
      contents.scales.size() != rows) {
    return make_error(error_code::dimension_mismatch,
                      "a partition of " + describe(rows) + " rows of " + describe(dimensions) + " needs a centre of " +
                          describe(dimensions) + " floats, " + describe(rows * dimensions) + " codes and " +
                          describe(rows) + " scales (got " + describe(contents.centre.size()) + ", " +
                          describe(contents.codes.size()) + ", " + describe(contents.scales.size()) + ")");
  }
  for (float value : contents.centre) {
    if (!is_valid_centre_component(value)) {
      return make_error(error_code::invalid_argument, "a partition centre must be finite with components of at most 2");
    }
  }
  for (float scale : contents.scales) {
    if (!is_valid_scale(scale)) {
      return make_error(error_code::invalid_argument, "an int8 scale must be finite, non-negative and at most 1/127");
    }
  }
  for (std::int8_t code : contents.codes) {
    if (code == -128) return make_error(error_code::invalid_argument, "int8 codes lie in -127 ... 127");
  }

  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(layout->total_bytes), 0);
  std::memcpy(bytes.data(), partition_magic.data(), partition_magic.size());
  write_le(bytes, 8, partition_format_version);
  write_le(bytes, 10, static_cast<std::uint16_t>(partition_header_bytes));
  write_le(bytes, 12, contents.dimensions);
  write_le(bytes, 16, static_cast<std::uint32_t>(item_count));
  write_le(bytes, 20, contents.partition);
  bytes[24] = sign_code_kind;
  bytes[25] = i8_rows_kind;
  write_le(bytes, 26, static_cast<std::uint16_t>(layout->code_bytes));
  write_le(bytes, 28, static_cast<std::uint32_t>(layout->row_stride));
  write_le(bytes, 32, layout->codes_offset);
  write_le(bytes, 40, layout->rows_offset);
  std::memcpy(bytes.data() + partition_header_bytes, contents.centre.data(), contents.centre.size_bytes());

  const auto code_bytes = static_cast<std::size_t>(layout->code_bytes);
  const auto row_stride = static_cast<std::size_t>(layout->row_stride);
  std::vector<float> values(dimensions);
  for (std::size_t row = 0; row < rows; ++row) {
    const std::int8_t* codes = contents.codes.data() + row * dimensions;
    for (std::size_t i = 0; i < dimensions; ++i) values[i] = static_cast<float>(codes[i]) * contents.scales[row];
    compute_sign_code(values, contents.centre,
                      std::span<std::uint8_t>(bytes).subspan(static_cast<std::size_t>(layout->codes_offset) +
                                                                 row * code_bytes,
                                                             code_bytes));
    std::uint8_t* row_at = bytes.data() + static_cast<std::size_t>(layout->rows_offset) + row * row_stride;
    std::memcpy(row_at, &contents.scales[row], sizeof(float));
    std::memcpy(row_at + 4, codes, dimensions);
  }
  if (rows > 0) {
    std::memcpy(bytes.data() + layout->ids_offset, contents.item_ids.data(), contents.item_ids.size_bytes());
  }
  const std::uint64_t head_checksum = compute_head_checksum(bytes, layout->rows_offset);
  write_le(bytes, head_checksum_offset, head_checksum);
  write_le(bytes, rows_checksum_offset, compute_rows_checksum(bytes, layout->rows_offset, head_checksum));
  return bytes;
}

result<std::vector<std::uint8_t>> encode_partition_from_f32(std::uint32_t dimensions, std::uint32_t partition,
                                                           std::span<const float> centre,
                                                           std::span<const float> vectors,
                                                           std::span<const std::uint64_t> item_ids) {
  auto rows = quantize_rows(vectors, dimensions);
  if (!rows) return std::move(rows).failure();
  if (rows->row_count() != item_ids.size()) {
    return make_error(error_code::dimension_mismatch, describe(rows->row_count()) + " vectors but " +
                                                          describe(item_ids.size()) + " item ids");
  }
  partition_contents contents;
  contents.dimensions = dimensions;
  contents.partition = partition;
  contents.centre = centre;
  contents.codes = rows->codes;
  contents.scales = rows->scales;
  contents.item_ids = item_ids;
  return encode_partition(contents);
}

result<partition_view> decode_partition(std::span<const std::uint8_t> bytes) { return decode(bytes, decoded_part::whole); }

result<partition_view> decode_partition_head(std::span<const std::uint8_t> bytes) {
  return decode(bytes, decoded_part::head);
}

result<byte_range> partition_row_range(const partition_view& head, std::size_t row) {
  if (row >= head.item_count) {
    return make_error(error_code::invalid_argument, "row " + describe(row) + " of a partition of " +
                                                        describe(head.item_count) + " rows");
  }
  return byte_range{head.rows_offset + std::uint64_t{row} * head.row_stride, head.row_stride};
}

result<partition_row> decode_partition_row(const partition_view& head, std::span<const std::uint8_t> row_bytes) {
  if (row_bytes.size() < head.row_stride) {
    return make_error(error_code::truncated_payload, "a partition row is " + describe(head.row_stride) +
                                                         " bytes, got " + describe(row_bytes.size()));
  }
  if (row_bytes.size() > head.row_stride) {
    return make_error(error_code::trailing_bytes, "a partition row is " + describe(head.row_stride) + " bytes, got " +
                                                      describe(row_bytes.size()));
  }
  partition_row row;
  const std::string defect = row_defect(row_bytes, head.dimensions, row.scale);
  if (!defect.empty()) return make_error(error_code::bad_payload_value, "partition row: " + defect);
  row.codes = {reinterpret_cast<const std::int8_t*>(row_bytes.data() + 4), head.dimensions};
  return row;
}

status check_partition_against_manifest(const partition_view& view, std::uint32_t position, std::uint32_t dimensions,
                                        std::uint64_t items) {
  if (view.partition != position) {
    return make_error(error_code::invalid_manifest, "partitions[" + describe(position) + "] holds partition " +
                                                        describe(view.partition));
  }
  if (view.dimensions != dimensions) {
    return make_error(error_code::invalid_manifest, "partition " + describe(position) + " has " +
                                                        describe(view.dimensions) + " dimensions, the manifest " +
                                                        describe(dimensions));
  }
  if (view.item_count != items) {
    return make_error(error_code::invalid_manifest, "partition " + describe(position) + " has " +
                                                        describe(view.item_count) + " rows, the manifest says " +
                                                        describe(items));
  }
  return success{};
}

std::uint64_t partition_view::item_id(std::size_t row) const noexcept {
  std::uint64_t id;
  std::memcpy(&id, id_bytes.data() + row * 8, sizeof id);
  return id;
}

partition_row partition_view::row(std::size_t index) const noexcept {
  partition_row result_row;
  const std::uint8_t* at = rows.data() + index * row_stride;
  std::memcpy(&result_row.scale, at, sizeof(float));
  result_row.codes = {reinterpret_cast<const std::int8_t*>(at + 4), dimensions};
  return result_row;
}

}  // namespace mosaic::partition
