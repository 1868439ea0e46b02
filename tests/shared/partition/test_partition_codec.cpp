// Partition files (docs/format.md, "Partition files"): what the writer produces, byte for byte, and
// what each reader refuses. Partitions are hostile input: every check of the document has a test
// here that makes that check, and only that check, fail (checksums re-sealed after an edit so the
// deeper check is reached), under ASan and UBSan as well.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "partition/partition_codec.hpp"
#include "partition/partition_header.hpp"
#include "partition_test_data.hpp"
#include "vector/quantize.hpp"

using mosaic::error_code;
using mosaic::error_code_name;
namespace partition = mosaic::partition;

namespace {

template <typename Value>
void write_little_endian(std::vector<std::uint8_t>& bytes, std::size_t offset, Value value) {
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}

template <typename Value>
Value read_little_endian(std::span<const std::uint8_t> bytes, std::size_t offset) {
  Value value{};
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

// "ok" or the error code's name; a rejection without a message is its own (failing) outcome.
template <typename Value>
std::string outcome(const mosaic::result<Value>& decoded) {
  if (decoded.ok()) return "ok";
  if (decoded.failure().message.empty()) return "empty message";
  return std::string(error_code_name(decoded.failure().code));
}

std::string whole_outcome(std::span<const std::uint8_t> bytes) { return outcome(partition::decode_partition(bytes)); }
std::string head_outcome(std::span<const std::uint8_t> bytes) { return outcome(partition::decode_partition_head(bytes)); }

// Re-computes both checksums over the layout the file had before an edit, so the edit is its only defect.
void reseal(std::vector<std::uint8_t>& bytes, std::uint64_t rows_offset) {
  const std::uint64_t head = partition::compute_head_checksum(bytes, rows_offset);
  write_little_endian(bytes, partition::head_checksum_offset, head);
  if (bytes.size() >= rows_offset) {
    write_little_endian(bytes, partition::rows_checksum_offset, partition::compute_rows_checksum(bytes, rows_offset, head));
  }
}

struct sample_partition {
  std::vector<float> centre;
  std::vector<float> vectors;
  std::vector<std::uint64_t> ids;
  std::vector<std::uint8_t> bytes;
  std::size_t rows_offset = 0;
};

// Five dimensions, so codes have padding bits and rows padding bytes.
sample_partition make_partition(std::uint32_t dimensions = 5, std::size_t rows = 6) {
  sample_partition made;
  made.centre = mosaic::test::random_unit_vectors(1, dimensions, 17);
  made.vectors = mosaic::test::random_unit_vectors(rows, dimensions, 18);
  for (std::size_t row = 0; row < rows; ++row) made.ids.push_back(0xFEDCBA9876543210ULL - 977 * row);
  auto encoded = partition::encode_partition_from_f32(dimensions, 9, made.centre, made.vectors, made.ids);
  REQUIRE(encoded.ok());
  made.bytes = std::move(encoded).value();
  made.rows_offset = static_cast<std::size_t>(read_little_endian<std::uint64_t>(made.bytes, 40));
  return made;
}

std::string hex_dump(std::span<const std::uint8_t> bytes) {
  std::string text;
  char buffer[8];
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::snprintf(buffer, sizeof buffer, "%02x", bytes[i]);
    text += buffer;
    text += (i % 16 == 15) ? "\n" : " ";
  }
  return text;
}

}  // namespace

TEST_CASE("partition layout: code bytes, row stride and offsets as docs/format.md gives them", "[partition][codec]") {
  auto layout = partition::compute_partition_layout(768, 1000);
  REQUIRE(layout.ok());
  REQUIRE(layout->code_bytes == 96);
  REQUIRE(layout->row_stride == 772);
  REQUIRE(layout->codes_offset == 64 + 3072);
  REQUIRE(layout->ids_offset == 3136 + 96000);
  REQUIRE(layout->statistics_offset == 3136 + 96000 + 8000);
  REQUIRE(layout->rows_offset == (3136 + 96000 + 8000 + 8000 + 63) / 64 * 64);
  REQUIRE(layout->total_bytes == layout->rows_offset + 772000);
  auto odd = partition::compute_partition_layout(5, 3);
  REQUIRE(odd->code_bytes == 8);
  REQUIRE(odd->row_stride == 12);
  REQUIRE(odd->codes_offset == 88);  // 64 + 20 rounded up to 8
  REQUIRE(partition::compute_partition_layout(65, 1)->code_bytes == 16);
  REQUIRE(partition::compute_partition_layout(65536, 1)->code_bytes == 8192);
  REQUIRE(partition::compute_partition_layout(0, 1).failure().code == error_code::bad_dimensions);
  REQUIRE(partition::compute_partition_layout(65537, 1).failure().code == error_code::bad_dimensions);
  REQUIRE(partition::compute_partition_layout(4, 1ULL << 32).failure().code == error_code::size_overflow);
}

TEST_CASE("a partition round-trips: header fields, centre, codes, ids and rows", "[partition][codec]") {
  for (const std::uint32_t dimensions : {1U, 5U, 64U, 65U, 768U}) {
    INFO(dimensions << " dimensions");
    const sample_partition made = make_partition(dimensions, 7);
    auto view = partition::decode_partition(made.bytes);
    REQUIRE(view.ok());
    REQUIRE(view->dimensions == dimensions);
    REQUIRE(view->partition == 9);
    REQUIRE(view->item_count == 7);
    REQUIRE(view->has_rows);
    for (std::size_t i = 0; i < dimensions; ++i) REQUIRE(view->centre[i] == made.centre[i]);
    std::vector<std::int8_t> codes(dimensions);
    std::vector<std::uint8_t> expected_code(view->code_bytes);
    for (std::size_t row = 0; row < 7; ++row) {
      REQUIRE(view->item_id(row) == made.ids[row]);
      const std::span<const float> original(made.vectors.data() + row * dimensions, dimensions);
      auto scale = mosaic::vector::quantize_i8(original, codes);
      REQUIRE(scale.ok());
      const partition::partition_row stored = view->row(row);
      REQUIRE(stored.scale == scale.value());
      REQUIRE(std::equal(codes.begin(), codes.end(), stored.codes.begin()));
      // The code is taken from the dequantized row against the centre.
      std::vector<float> dequantized(dimensions);
      for (std::size_t i = 0; i < dimensions; ++i) dequantized[i] = static_cast<float>(codes[i]) * scale.value();
      partition::compute_sign_code(dequantized, made.centre, expected_code);
      REQUIRE(std::equal(expected_code.begin(), expected_code.end(), view->code(row).begin()));
    }
    // The head alone decodes to the same view, without rows.
    auto head = partition::decode_partition_head(std::span<const std::uint8_t>(made.bytes).first(made.rows_offset));
    REQUIRE(head.ok());
    REQUIRE_FALSE(head->has_rows);
    REQUIRE(head->rows.empty());
    REQUIRE(head->codes.data() == view->codes.data());
    // Each row fetched alone by its range decodes to the same scale and codes.
    for (std::size_t row = 0; row < 7; ++row) {
      auto range = partition::partition_row_range(head.value(), row);
      REQUIRE(range.ok());
      REQUIRE(range->length == head->row_stride);
      auto alone = partition::decode_partition_row(
          head.value(), std::span<const std::uint8_t>(made.bytes).subspan(static_cast<std::size_t>(range->offset), static_cast<std::size_t>(range->length)));
      REQUIRE(alone.ok());
      REQUIRE(alone->scale == view->row(row).scale);
      REQUIRE(std::equal(alone->codes.begin(), alone->codes.end(), view->row(row).codes.begin()));
    }
    REQUIRE(partition::partition_row_range(head.value(), 7).failure().code == error_code::invalid_argument);
    REQUIRE(partition::check_partition_against_manifest(view.value(), 9, dimensions, 7).ok());
  }
}

TEST_CASE("an empty partition is valid: header, centre, no rows", "[partition][codec]") {
  const sample_partition made = make_partition(5, 0);
  REQUIRE(made.bytes.size() == 128);
  auto view = partition::decode_partition(made.bytes);
  REQUIRE(view.ok());
  REQUIRE(view->item_count == 0);
  REQUIRE(head_outcome(made.bytes) == "ok");  // rows_offset is the end of the file
}

TEST_CASE("the worked example of docs/format.md is exactly what the encoder writes", "[partition][codec]") {
  // Two rows of four dimensions, the shard example's vectors, around the centre (0.7, 0.1, 0.1, -0.7),
  // as partition 3.
  const std::vector<float> centre = {0.7f, 0.1f, 0.1f, -0.7f};
  const std::vector<float> vectors = {0.6f, 0.8f, 0.0f, 0.0f, 0.5f, -0.5f, 0.5f, -0.5f};
  const std::vector<std::uint64_t> ids = {0x1111111111111111ULL, 0xFFULL};
  auto encoded = partition::encode_partition_from_f32(4, 3, centre, vectors, ids);
  REQUIRE(encoded.ok());
  const std::string expected =
      "89 4d 4f 53 50 52 54 0a 02 00 40 00 04 00 00 00\n"
      "02 00 00 00 03 00 00 00 01 01 08 00 08 00 00 00\n"
      "50 00 00 00 00 00 00 00 80 00 00 00 00 00 00 00\n"
      "54 eb 51 59 7c 88 a4 fd cc 52 85 6a d1 2f 6f 47\n"
      "33 33 33 3f cd cc cc 3d cd cc cc 3d 33 33 33 bf\n"
      "0a 00 00 00 00 00 00 00 0c 00 00 00 00 00 00 00\n"
      "11 11 11 11 11 11 11 11 ff 00 00 00 00 00 00 00\n"
      "33 05 80 3f f8 4b 46 3f 3e 48 00 bf 99 99 99 be\n"
      "a0 69 ce 3b 5f 7f 00 00 04 02 81 3b 7f 81 7f 81\n";
  INFO(hex_dump(encoded.value()));
  REQUIRE(hex_dump(encoded.value()) == expected);
}

TEST_CASE("encode_partition refuses contents it could not write faithfully", "[partition][codec]") {
  const std::vector<float> centre = {0.5f, 0.5f, 0.5f, 0.5f};
  const std::vector<std::int8_t> codes = {1, 2, 3, 4};
  const std::vector<float> scales = {0.005f};
  const std::vector<std::uint64_t> ids = {1};
  partition::partition_contents contents{4, 0, centre, codes, scales, ids};
  REQUIRE(partition::encode_partition(contents).ok());
  const std::vector<float> bad_centre = {0.5f, std::numeric_limits<float>::quiet_NaN(), 0.5f, 0.5f};
  contents.centre = bad_centre;
  REQUIRE(partition::encode_partition(contents).failure().code == error_code::invalid_argument);
  contents.centre = centre;
  const std::vector<std::int8_t> minimum = {-128, 0, 0, 0};
  contents.codes = minimum;
  REQUIRE(partition::encode_partition(contents).failure().code == error_code::invalid_argument);
  contents.codes = codes;
  const std::vector<float> large_scale = {0.5f};
  contents.scales = large_scale;
  REQUIRE(partition::encode_partition(contents).failure().code == error_code::invalid_argument);
  contents.scales = scales;
  contents.centre = std::span<const float>(centre).first(3);
  REQUIRE(partition::encode_partition(contents).failure().code == error_code::dimension_mismatch);
}

// ---- hostile partitions: one check each, in the document's order ----------------------------------------

TEST_CASE("hostile partition: shorter than the header (truncated_header)", "[partition][codec][hostile]") {
  const sample_partition made = make_partition();
  REQUIRE(whole_outcome(std::span<const std::uint8_t>(made.bytes).first(63)) == "truncated_header");
  REQUIRE(head_outcome(std::span<const std::uint8_t>(made.bytes).first(0)) == "truncated_header");
}

TEST_CASE("hostile partition: wrong magic, e.g. a shard (bad_magic)", "[partition][codec][hostile]") {
  sample_partition made = make_partition();
  made.bytes[4] = 'A';  // \x89MOSAIC\n's fifth byte
  reseal(made.bytes, made.rows_offset);
  REQUIRE(whole_outcome(made.bytes) == "bad_magic");
  REQUIRE(head_outcome(std::span<const std::uint8_t>(made.bytes).first(made.rows_offset)) == "bad_magic");
}

TEST_CASE("hostile partition: format version 0 (bad_header), 1 (older, no statistics) and newer (unsupported_version)", "[partition][codec][hostile]") {
  sample_partition made = make_partition();
  write_little_endian<std::uint16_t>(made.bytes, 8, 0);
  reseal(made.bytes, made.rows_offset);
  REQUIRE(whole_outcome(made.bytes) == "bad_header");
  for (const std::uint16_t version : {std::uint16_t{1}, std::uint16_t{3}}) {
    write_little_endian<std::uint16_t>(made.bytes, 8, version);
    reseal(made.bytes, made.rows_offset);
    REQUIRE(whole_outcome(made.bytes) == "unsupported_version");
    REQUIRE(head_outcome(std::span<const std::uint8_t>(made.bytes).first(made.rows_offset)) == "unsupported_version");
  }
}

TEST_CASE("hostile partition: header_bytes other than 64 (bad_header)", "[partition][codec][hostile]") {
  sample_partition made = make_partition();
  write_little_endian<std::uint16_t>(made.bytes, 10, 128);
  reseal(made.bytes, made.rows_offset);
  REQUIRE(whole_outcome(made.bytes) == "bad_header");
}

TEST_CASE("hostile partition: unknown code or row quantization (unsupported_quantization)", "[partition][codec][hostile]") {
  sample_partition made = make_partition();
  made.bytes[24] = 2;
  reseal(made.bytes, made.rows_offset);
  REQUIRE(whole_outcome(made.bytes) == "unsupported_quantization");
  made.bytes[24] = 1;
  made.bytes[25] = 0;  // float32 rows: not a partition kind
  reseal(made.bytes, made.rows_offset);
  REQUIRE(whole_outcome(made.bytes) == "unsupported_quantization");
}

TEST_CASE("hostile partition: dimensions 0 or above 65,536 (bad_dimensions)", "[partition][codec][hostile]") {
  sample_partition made = make_partition();
  for (const std::uint32_t dimensions : {0U, 65537U, 0xFFFFFFFFU}) {
    write_little_endian(made.bytes, 12, dimensions);
    reseal(made.bytes, made.rows_offset);
    REQUIRE(whole_outcome(made.bytes) == "bad_dimensions");
  }
}

TEST_CASE("hostile partition: a size this target cannot address (size_overflow in wasm)", "[partition][codec][hostile]") {
  // 2^32 - 1 rows of 65,536 dimensions, every field canonical: 3.2e14 bytes. A 32-bit reader cannot
  // address that (size_overflow); a 64-bit one sees a file far shorter than its header says.
  sample_partition made = make_partition();
  auto layout = partition::compute_partition_layout(65536, 0xFFFFFFFFULL);
  write_little_endian<std::uint32_t>(made.bytes, 12, 65536);
  write_little_endian<std::uint32_t>(made.bytes, 16, 0xFFFFFFFFU);
  write_little_endian<std::uint16_t>(made.bytes, 26, 8192);
  write_little_endian<std::uint32_t>(made.bytes, 28, 65540);
  write_little_endian<std::uint64_t>(made.bytes, 32, 64 + 4 * 65536);
  if (layout.ok()) write_little_endian<std::uint64_t>(made.bytes, 40, layout->rows_offset);
  reseal(made.bytes, made.rows_offset);
  if (sizeof(std::size_t) < 8) {
    REQUIRE_FALSE(layout.ok());
    REQUIRE(whole_outcome(made.bytes) == "size_overflow");
    REQUIRE(head_outcome(made.bytes) == "size_overflow");
  } else {
    REQUIRE(layout.ok());
    REQUIRE(whole_outcome(made.bytes) == "truncated_payload");
    REQUIRE(head_outcome(made.bytes) == "truncated_payload");
  }
}

TEST_CASE("hostile partition: code_bytes, row_stride or an offset off the layout (offset_out_of_range)", "[partition][codec][hostile]") {
  const sample_partition original = make_partition();
  struct edit {
    std::size_t offset;
    std::uint64_t value;
    std::size_t size;
  };
  for (const edit change : {edit{26, 16, 2}, edit{28, 8, 4}, edit{32, 96, 8}, edit{40, original.rows_offset + 64, 8},
                            edit{40, 0, 8}}) {
    INFO("field at " << change.offset);
    sample_partition made = original;
    std::memcpy(made.bytes.data() + change.offset, &change.value, change.size);
    reseal(made.bytes, made.rows_offset);
    REQUIRE(whole_outcome(made.bytes) == "offset_out_of_range");
    REQUIRE(head_outcome(std::span<const std::uint8_t>(made.bytes).first(made.rows_offset)) == "offset_out_of_range");
  }
}

TEST_CASE("hostile partition: shorter or longer than its layout (truncated_payload, trailing_bytes)", "[partition][codec][hostile]") {
  sample_partition made = make_partition();
  const std::span<const std::uint8_t> bytes(made.bytes);
  REQUIRE(whole_outcome(bytes.first(bytes.size() - 1)) == "truncated_payload");
  REQUIRE(whole_outcome(bytes.first(made.rows_offset)) == "truncated_payload");
  REQUIRE(head_outcome(bytes.first(made.rows_offset - 1)) == "truncated_payload");
  // The head decoder takes exactly [0, rows_offset): a whole file is a head with trailing bytes.
  REQUIRE(head_outcome(bytes) == "trailing_bytes");
  made.bytes.push_back(0);
  REQUIRE(whole_outcome(made.bytes) == "trailing_bytes");
}

TEST_CASE("hostile partition: bytes not 8-byte aligned (misaligned_buffer)", "[partition][codec][hostile]") {
  const sample_partition made = make_partition();
  std::vector<std::uint8_t> shifted(made.bytes.size() + 8);
  std::memcpy(shifted.data() + 4, made.bytes.data(), made.bytes.size());
  const std::span<const std::uint8_t> misaligned(shifted.data() + 4, made.bytes.size());
  REQUIRE(whole_outcome(misaligned) == "misaligned_buffer");
  REQUIRE(head_outcome(misaligned.first(made.rows_offset)) == "misaligned_buffer");
}

TEST_CASE("hostile partition: a changed head or row byte (checksum_mismatch)", "[partition][codec][hostile]") {
  const sample_partition original = make_partition();
  sample_partition head_edited = original;
  head_edited.bytes[original.rows_offset - 70] ^= 0x01;  // an id byte
  REQUIRE(whole_outcome(head_edited.bytes) == "checksum_mismatch");
  REQUIRE(head_outcome(std::span<const std::uint8_t>(head_edited.bytes).first(original.rows_offset)) == "checksum_mismatch");
  head_edited.bytes[20] ^= 0x01;  // the partition number: the header's first 48 bytes are covered too
  head_edited.bytes[original.rows_offset - 70] ^= 0x01;
  REQUIRE(whole_outcome(head_edited.bytes) == "checksum_mismatch");

  sample_partition row_edited = original;
  row_edited.bytes[original.rows_offset + 5] ^= 0x01;
  REQUIRE(whole_outcome(row_edited.bytes) == "checksum_mismatch");
  // The head does not cover the rows: its own checksum still holds.
  REQUIRE(head_outcome(std::span<const std::uint8_t>(row_edited.bytes).first(original.rows_offset)) == "ok");
}

TEST_CASE("hostile partition: a centre that is not finite or beyond 2 (bad_payload_value)", "[partition][codec][hostile]") {
  for (const float value : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(), -2.5f}) {
    sample_partition made = make_partition();
    write_little_endian(made.bytes, 64 + 4 * 2, value);
    reseal(made.bytes, made.rows_offset);
    REQUIRE(whole_outcome(made.bytes) == "bad_payload_value");
    REQUIRE(head_outcome(std::span<const std::uint8_t>(made.bytes).first(made.rows_offset)) == "bad_payload_value");
  }
}

TEST_CASE("hostile partition: residual statistics not finite or out of range (bad_payload_value)", "[partition][codec][hostile]") {
  const sample_partition original = make_partition();  // 6 rows: norms at statistics_offset, centre dots 24 bytes on
  auto layout = partition::compute_partition_layout(5, 6);
  REQUIRE(layout.ok());
  const auto statistics = static_cast<std::size_t>(layout->statistics_offset);
  for (const std::size_t offset : {statistics + 4, statistics + 24 + 8}) {
    for (const float value : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(), 9.0f}) {
      INFO("offset " << offset << ", value " << value);
      sample_partition made = original;
      write_little_endian(made.bytes, offset, value);
      reseal(made.bytes, made.rows_offset);
      REQUIRE(whole_outcome(made.bytes) == "bad_payload_value");
      REQUIRE(head_outcome(std::span<const std::uint8_t>(made.bytes).first(made.rows_offset)) == "bad_payload_value");
    }
  }
  sample_partition negative_norm = original;
  write_little_endian(negative_norm.bytes, statistics, -0.5f);
  reseal(negative_norm.bytes, negative_norm.rows_offset);
  REQUIRE(whole_outcome(negative_norm.bytes) == "bad_payload_value");
}

TEST_CASE("hostile partition: code bits set past the dimensions (bad_payload_value)", "[partition][codec][hostile]") {
  sample_partition made = make_partition();  // 5 dimensions: bits 5..63 of every code are padding
  const auto codes_offset = static_cast<std::size_t>(read_little_endian<std::uint64_t>(made.bytes, 32));
  made.bytes[codes_offset + 8 + 0] |= 0x20;  // bit 5 of row 1
  reseal(made.bytes, made.rows_offset);
  REQUIRE(whole_outcome(made.bytes) == "bad_payload_value");
  REQUIRE(head_outcome(std::span<const std::uint8_t>(made.bytes).first(made.rows_offset)) == "bad_payload_value");
  made.bytes[codes_offset + 8] &= 0x1F;
  made.bytes[codes_offset + 8 + 7] = 0x80;  // bit 63
  reseal(made.bytes, made.rows_offset);
  REQUIRE(whole_outcome(made.bytes) == "bad_payload_value");
}

TEST_CASE("hostile partition: a row's scale, a -128 code or row padding (bad_payload_value)", "[partition][codec][hostile]") {
  const sample_partition original = make_partition();  // row_stride 12: scale, 5 codes, 3 padding bytes
  const std::size_t row_two = original.rows_offset + 2 * 12;
  auto head = partition::decode_partition_head(std::span<const std::uint8_t>(original.bytes).first(original.rows_offset));
  REQUIRE(head.ok());
  struct edit {
    std::size_t offset;
    std::vector<std::uint8_t> bytes;
  };
  std::vector<std::uint8_t> negative(4), too_large(4), not_a_number(4);
  write_little_endian(negative, 0, -0.001f);
  write_little_endian(too_large, 0, 0.01f);
  write_little_endian(not_a_number, 0, std::numeric_limits<float>::quiet_NaN());
  for (const edit& change : {edit{row_two, negative}, edit{row_two, too_large}, edit{row_two, not_a_number},
                             edit{row_two + 4 + 3, {0x80}}, edit{row_two + 11, {0x01}}}) {
    INFO("row byte " << change.offset - row_two);
    sample_partition made = original;
    std::memcpy(made.bytes.data() + change.offset, change.bytes.data(), change.bytes.size());
    reseal(made.bytes, made.rows_offset);
    REQUIRE(whole_outcome(made.bytes) == "bad_payload_value");
    // The same row fetched alone is refused for the same reason; the head is unaffected.
    REQUIRE(head_outcome(std::span<const std::uint8_t>(made.bytes).first(made.rows_offset)) == "ok");
    REQUIRE(outcome(partition::decode_partition_row(head.value(),
                                                    std::span<const std::uint8_t>(made.bytes).subspan(row_two, 12))) ==
            "bad_payload_value");
  }
}

TEST_CASE("hostile partition row fetched alone: wrong length (truncated_payload, trailing_bytes)", "[partition][codec][hostile]") {
  const sample_partition made = make_partition();
  auto head = partition::decode_partition_head(std::span<const std::uint8_t>(made.bytes).first(made.rows_offset));
  REQUIRE(head.ok());
  const std::span<const std::uint8_t> rows = std::span<const std::uint8_t>(made.bytes).subspan(made.rows_offset);
  REQUIRE(outcome(partition::decode_partition_row(head.value(), rows.first(11))) == "truncated_payload");
  REQUIRE(outcome(partition::decode_partition_row(head.value(), rows.first(0))) == "truncated_payload");
  REQUIRE(outcome(partition::decode_partition_row(head.value(), rows.first(13))) == "trailing_bytes");
  REQUIRE(outcome(partition::decode_partition_row(head.value(), rows.first(12))) == "ok");
}

TEST_CASE("hostile partition against its manifest entry (invalid_manifest)", "[partition][codec][hostile]") {
  const sample_partition made = make_partition();
  auto view = partition::decode_partition(made.bytes);
  REQUIRE(view.ok());
  REQUIRE(outcome(partition::check_partition_against_manifest(view.value(), 8, 5, 6)) == "invalid_manifest");
  REQUIRE(outcome(partition::check_partition_against_manifest(view.value(), 9, 6, 6)) == "invalid_manifest");
  REQUIRE(outcome(partition::check_partition_against_manifest(view.value(), 9, 5, 7)) == "invalid_manifest");
  REQUIRE(outcome(partition::check_partition_against_manifest(view.value(), 9, 5, 6)) == "ok");
}
