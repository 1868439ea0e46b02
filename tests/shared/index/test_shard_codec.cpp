// Shard codec: what the writer produces and what the reader gives back. Every byte of the v1 header is
// checked at the offset shard_header.hpp documents, because browsers, the server and other tools read
// these files independently of this code.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "index/shard_codec.hpp"
#include "index/shard_header.hpp"
#include "vector/normalize.hpp"
#include "vector/quantize.hpp"
#include "outcome_name.hpp"

using mosaic::test::outcome_name;
using mosaic::error_code;
using mosaic::error_code_name;
using mosaic::index::quantization;

namespace {

template <typename Value>
Value read_little_endian(const std::vector<std::uint8_t>& bytes, std::size_t offset) {
  Value value{};
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

// Row-major unit vectors: the writer's contract is that stored vectors are already normalized.
std::vector<float> random_unit_vectors(std::size_t count, std::uint32_t dimensions, std::mt19937& generator) {
  std::uniform_real_distribution<float> component(-1.0f, 1.0f);
  std::vector<float> values(count * dimensions);
  for (std::size_t row = 0; row < count; ++row) {
    std::span<float> vector_of_row(values.data() + row * dimensions, dimensions);
    for (float& value : vector_of_row) value = component(generator);
    vector_of_row[0] += 2.0f;  // keeps every row away from the zero vector
    REQUIRE(mosaic::vector::l2_normalize(vector_of_row).ok());
  }
  return values;
}

// Ids far above 2^32 and with distinct bytes, so a truncated or byte-swapped id cannot look right.
std::vector<std::uint64_t> distinct_item_ids(std::size_t count) {
  std::vector<std::uint64_t> ids(count);
  for (std::size_t row = 0; row < count; ++row) ids[row] = 0xFEDCBA9876543210ULL - 977 * static_cast<std::uint64_t>(row);
  return ids;
}

std::vector<std::int8_t> random_codes(std::size_t count, std::mt19937& generator) {
  std::uniform_int_distribution<int> code(-127, 127);
  std::vector<std::int8_t> codes(count);
  for (std::int8_t& value : codes) value = static_cast<std::int8_t>(code(generator));
  return codes;
}

std::vector<float> random_scales(std::size_t count, std::mt19937& generator) {
  // Unit vectors have scale = max|x| / 127 <= 1/127; the reader refuses larger scales.
  std::uniform_real_distribution<float> scale(0.0001f, 1.0f / 127.0f);
  std::vector<float> scales(count);
  for (float& value : scales) value = scale(generator);
  return scales;
}

bool same_bits(float left, float right) { return std::memcmp(&left, &right, sizeof left) == 0; }

// memcmp with a null pointer is undefined even for zero bytes, and an empty std::vector may hold one.
bool same_bytes(const std::uint8_t* stored, const void* expected, std::size_t length) {
  return length == 0 || std::memcmp(stored, expected, length) == 0;
}

void check_f32_round_trip(std::uint32_t dimensions, std::size_t count, std::uint32_t seed) {
  std::mt19937 generator(seed);
  const std::vector<float> vectors = random_unit_vectors(count, dimensions, generator);
  const std::vector<std::uint64_t> ids = distinct_item_ids(count);

  mosaic::index::shard_contents contents;
  contents.dimensions = dimensions;
  contents.kind = quantization::f32;
  contents.vectors_f32 = vectors;
  contents.item_ids = ids;
  auto encoded = mosaic::index::encode_shard(contents);
  REQUIRE(outcome_name(encoded) == "ok");

  // encode_shard_from_f32 with f32 stores the vectors untouched, so both writers agree byte for byte.
  auto from_f32 = mosaic::index::encode_shard_from_f32(dimensions, quantization::f32, vectors, ids);
  REQUIRE(outcome_name(from_f32) == "ok");
  CHECK(from_f32.value() == encoded.value());

  const std::vector<std::uint8_t>& bytes = encoded.value();
  auto decoded = mosaic::index::decode_shard(bytes);
  REQUIRE(outcome_name(decoded) == "ok");
  const mosaic::index::shard_view& view = decoded.value();
  CHECK(view.dimensions == dimensions);
  CHECK(view.item_count == count);
  CHECK(view.kind == quantization::f32);
  REQUIRE(view.vectors_f32.size() == vectors.size());
  CHECK(view.vectors_i8.empty());
  CHECK(view.scales.empty());
  CHECK(view.id_bytes.size() == 8 * count);

  std::size_t differing_components = 0;
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    if (!same_bits(view.vectors_f32[i], vectors[i])) ++differing_components;
  }
  CHECK(differing_components == 0);

  std::vector<float> row_values(dimensions);
  for (std::size_t row = 0; row < count; ++row) {
    INFO("row " << row);
    CHECK(view.item_id(row) == ids[row]);
    view.row_as_f32(row, row_values);
    CHECK(std::memcmp(row_values.data(), vectors.data() + row * dimensions, dimensions * sizeof(float)) == 0);
  }
}

void check_i8_round_trip(std::uint32_t dimensions, std::size_t count, std::uint32_t seed) {
  std::mt19937 generator(seed);
  const std::vector<std::int8_t> codes = random_codes(count * dimensions, generator);
  const std::vector<float> scales = random_scales(count, generator);
  const std::vector<std::uint64_t> ids = distinct_item_ids(count);

  mosaic::index::shard_contents contents;
  contents.dimensions = dimensions;
  contents.kind = quantization::i8;
  contents.vectors_i8 = codes;
  contents.scales = scales;
  contents.item_ids = ids;
  auto encoded = mosaic::index::encode_shard(contents);
  REQUIRE(outcome_name(encoded) == "ok");
  auto decoded = mosaic::index::decode_shard(encoded.value());
  REQUIRE(outcome_name(decoded) == "ok");
  const mosaic::index::shard_view& view = decoded.value();
  CHECK(view.dimensions == dimensions);
  CHECK(view.item_count == count);
  CHECK(view.kind == quantization::i8);
  CHECK(view.vectors_f32.empty());
  REQUIRE(view.vectors_i8.size() == codes.size());
  REQUIRE(view.scales.size() == count);
  CHECK(std::equal(codes.begin(), codes.end(), view.vectors_i8.begin()));

  std::vector<float> row_values(dimensions);
  for (std::size_t row = 0; row < count; ++row) {
    INFO("row " << row);
    CHECK(same_bits(view.scales[row], scales[row]));
    CHECK(view.item_id(row) == ids[row]);
    view.row_as_f32(row, row_values);
    std::size_t wrong_components = 0;
    for (std::size_t i = 0; i < dimensions; ++i) {
      const float expected = static_cast<float>(codes[row * dimensions + i]) * scales[row];
      if (!same_bits(row_values[i], expected)) ++wrong_components;
    }
    CHECK(wrong_components == 0);
  }
}

// encode_shard_from_f32 with i8 must store exactly what quantize_i8 produces for each row.
void check_i8_from_f32_round_trip(std::uint32_t dimensions, std::size_t count, std::uint32_t seed) {
  std::mt19937 generator(seed);
  const std::vector<float> vectors = random_unit_vectors(count, dimensions, generator);
  const std::vector<std::uint64_t> ids = distinct_item_ids(count);
  auto encoded = mosaic::index::encode_shard_from_f32(dimensions, quantization::i8, vectors, ids);
  REQUIRE(outcome_name(encoded) == "ok");
  auto decoded = mosaic::index::decode_shard(encoded.value());
  REQUIRE(outcome_name(decoded) == "ok");
  const mosaic::index::shard_view& view = decoded.value();
  REQUIRE(view.kind == quantization::i8);
  REQUIRE(view.item_count == count);

  std::vector<std::int8_t> expected_codes(dimensions);
  std::vector<float> row_values(dimensions);
  for (std::size_t row = 0; row < count; ++row) {
    INFO("row " << row);
    const std::span<const float> original(vectors.data() + row * dimensions, dimensions);
    auto expected_scale = mosaic::vector::quantize_i8(original, expected_codes);
    REQUIRE(expected_scale.ok());
    CHECK(same_bits(view.scales[row], expected_scale.value()));
    CHECK(std::equal(expected_codes.begin(), expected_codes.end(), view.vectors_i8.begin() +
                                                                      static_cast<std::ptrdiff_t>(row * dimensions)));
    CHECK(view.item_id(row) == ids[row]);
    // Rounding to the nearest code keeps each dequantized component within half a step of the input.
    view.row_as_f32(row, row_values);
    float largest_error = 0.0f;
    for (std::size_t i = 0; i < dimensions; ++i) {
      largest_error = std::max(largest_error, std::fabs(row_values[i] - original[i]));
    }
    CHECK(largest_error <= view.scales[row] * 0.5001f);
  }
}

// The layout a v1 writer must produce, worked out by hand from the table in shard_header.hpp.
struct expected_layout {
  quantization kind;
  std::uint32_t dimensions;
  std::uint64_t item_count;
  std::uint64_t vectors_offset;
  std::uint64_t scales_offset;
  std::uint64_t ids_offset;
  std::uint64_t total_bytes;
};

constexpr expected_layout hand_computed_layouts[] = {
    // f32: vectors from 64, ids at the next multiple of 8.
    {quantization::f32, 1, 0, 64, 0, 64, 64},
    {quantization::f32, 3, 2, 64, 0, 88, 104},      // 64 + 24 = 88, already aligned
    {quantization::f32, 1, 1, 64, 0, 72, 80},       // 64 + 4 = 68, padded to 72
    {quantization::f32, 3, 3, 64, 0, 104, 128},     // 64 + 36 = 100, padded to 104
    {quantization::f32, 3072, 2, 64, 0, 24640, 24656},
    // i8: codes from 64, scales at the next multiple of 4, ids at the next multiple of 8.
    {quantization::i8, 1, 0, 64, 64, 64, 64},
    {quantization::i8, 3, 3, 64, 76, 88, 112},      // codes end 73 -> scales 76; scales end 88
    {quantization::i8, 5, 1, 64, 72, 80, 88},       // codes end 69 -> 72; scales end 76 -> ids 80
    {quantization::i8, 8, 3, 64, 88, 104, 128},     // codes end 88; scales end 100 -> ids 104
    {quantization::i8, 3072, 2, 64, 6208, 6216, 6232},
};

}  // namespace

TEST_CASE("f32 shards round trip to identical vectors and ids", "[shard_codec]") {
  SECTION("small") { check_f32_round_trip(8, 5, 11); }
  SECTION("one dimension") { check_f32_round_trip(1, 7, 12); }
  SECTION("3072 dimensions") { check_f32_round_trip(3072, 4, 13); }
  SECTION("odd dimensions") { check_f32_round_trip(3, 9, 14); }
}

TEST_CASE("i8 shards round trip to identical codes, scales and ids", "[shard_codec]") {
  SECTION("small") { check_i8_round_trip(8, 5, 21); }
  SECTION("one dimension") { check_i8_round_trip(1, 7, 22); }
  SECTION("3072 dimensions") { check_i8_round_trip(3072, 4, 23); }
  SECTION("odd dimensions") { check_i8_round_trip(5, 9, 24); }
}

TEST_CASE("encode_shard_from_f32 quantizes each row with quantize_i8", "[shard_codec]") {
  SECTION("small") { check_i8_from_f32_round_trip(8, 5, 31); }
  SECTION("one dimension") { check_i8_from_f32_round_trip(1, 6, 32); }
  SECTION("3072 dimensions") { check_i8_from_f32_round_trip(3072, 3, 33); }
}

TEST_CASE("a shard with no items is a bare header and decodes to an empty view", "[shard_codec]") {
  for (quantization kind : {quantization::f32, quantization::i8}) {
    INFO("quantization " << mosaic::index::quantization_name(kind));
    auto encoded = mosaic::index::encode_shard_from_f32(16, kind, {}, {});
    REQUIRE(outcome_name(encoded) == "ok");
    const std::vector<std::uint8_t>& bytes = encoded.value();
    CHECK(bytes.size() == mosaic::index::shard_header_bytes);
    CHECK(read_little_endian<std::uint64_t>(bytes, 16) == 0);
    auto decoded = mosaic::index::decode_shard(bytes);
    REQUIRE(outcome_name(decoded) == "ok");
    CHECK(decoded->dimensions == 16);
    CHECK(decoded->item_count == 0);
    CHECK(decoded->kind == kind);
    CHECK(decoded->vectors_f32.empty());
    CHECK(decoded->vectors_i8.empty());
    CHECK(decoded->scales.empty());
    CHECK(decoded->id_bytes.empty());
  }
}

TEST_CASE("the header holds every field at the documented offset", "[shard_codec]") {
  std::mt19937 generator(41);
  for (const expected_layout& expected : hand_computed_layouts) {
    INFO(mosaic::index::quantization_name(expected.kind) << " shard of " << expected.item_count << " x "
                                                         << expected.dimensions);
    const std::size_t count = static_cast<std::size_t>(expected.item_count);
    const std::size_t components = count * expected.dimensions;
    const std::vector<std::uint64_t> ids = distinct_item_ids(count);
    const std::vector<float> vectors = random_unit_vectors(count, expected.dimensions, generator);
    const std::vector<std::int8_t> codes = random_codes(components, generator);
    const std::vector<float> scales = random_scales(count, generator);

    mosaic::index::shard_contents contents;
    contents.dimensions = expected.dimensions;
    contents.kind = expected.kind;
    contents.item_ids = ids;
    if (expected.kind == quantization::f32) {
      contents.vectors_f32 = vectors;
    } else {
      contents.vectors_i8 = codes;
      contents.scales = scales;
    }
    auto encoded = mosaic::index::encode_shard(contents);
    REQUIRE(outcome_name(encoded) == "ok");
    const std::vector<std::uint8_t>& bytes = encoded.value();

    // The file ends exactly at ids_offset + 8 * item_count.
    REQUIRE(bytes.size() == expected.total_bytes);
    REQUIRE(bytes.size() == expected.ids_offset + 8 * expected.item_count);

    // magic, bytes 0-7
    const std::uint8_t magic[8] = {0x89, 0x4D, 0x4F, 0x53, 0x41, 0x49, 0x43, 0x0A};
    for (std::size_t i = 0; i < 8; ++i) {
      INFO("magic byte " << i);
      CHECK(bytes[i] == magic[i]);
    }
    // format_version = 1 and header_bytes = 64, little-endian u16s at 8 and 10
    CHECK(bytes[8] == 1);
    CHECK(bytes[9] == 0);
    CHECK(bytes[10] == 64);
    CHECK(bytes[11] == 0);
    // dimensions, u32 at 12, spelled out byte by byte so the byte order is pinned too
    CHECK(bytes[12] == (expected.dimensions & 0xFF));
    CHECK(bytes[13] == ((expected.dimensions >> 8) & 0xFF));
    CHECK(bytes[14] == ((expected.dimensions >> 16) & 0xFF));
    CHECK(bytes[15] == ((expected.dimensions >> 24) & 0xFF));
    CHECK(read_little_endian<std::uint32_t>(bytes, 12) == expected.dimensions);
    // item_count, u64 at 16
    for (std::size_t i = 0; i < 8; ++i) CHECK(bytes[16 + i] == ((expected.item_count >> (8 * i)) & 0xFF));
    // quantization at 24, metric (cosine = 0) at 25, reserved 26-31 zero
    CHECK(bytes[24] == (expected.kind == quantization::f32 ? 0 : 1));
    CHECK(bytes[25] == 0);
    for (std::size_t i = 26; i < 32; ++i) {
      INFO("reserved byte " << i);
      CHECK(bytes[i] == 0);
    }
    // the three offsets, u64 at 32, 40 and 48
    CHECK(read_little_endian<std::uint64_t>(bytes, 32) == expected.vectors_offset);
    CHECK(read_little_endian<std::uint64_t>(bytes, 40) == expected.scales_offset);
    CHECK(read_little_endian<std::uint64_t>(bytes, 48) == expected.ids_offset);
    // checksum, u64 at 56
    CHECK(read_little_endian<std::uint64_t>(bytes, 56) == mosaic::index::compute_shard_checksum(bytes));

    // The blocks hold the payload where the offsets say, and every other byte is zero padding.
    std::vector<bool> is_payload(bytes.size(), false);
    const auto vectors_at = static_cast<std::size_t>(expected.vectors_offset);
    const auto ids_at = static_cast<std::size_t>(expected.ids_offset);
    if (expected.kind == quantization::f32) {
      CHECK(same_bytes(bytes.data() + vectors_at, vectors.data(), components * sizeof(float)));
      for (std::size_t i = 0; i < components * sizeof(float); ++i) is_payload[vectors_at + i] = true;
    } else {
      const auto scales_at = static_cast<std::size_t>(expected.scales_offset);
      CHECK(same_bytes(bytes.data() + vectors_at, codes.data(), components));
      CHECK(same_bytes(bytes.data() + scales_at, scales.data(), count * sizeof(float)));
      for (std::size_t i = 0; i < components; ++i) is_payload[vectors_at + i] = true;
      for (std::size_t i = 0; i < count * sizeof(float); ++i) is_payload[scales_at + i] = true;
    }
    for (std::size_t row = 0; row < count; ++row) {
      for (std::size_t i = 0; i < 8; ++i) {
        CHECK(bytes[ids_at + 8 * row + i] == ((ids[row] >> (8 * i)) & 0xFF));
        is_payload[ids_at + 8 * row + i] = true;
      }
    }
    std::size_t nonzero_padding = 0;
    for (std::size_t i = mosaic::index::shard_header_bytes; i < bytes.size(); ++i) {
      if (!is_payload[i] && bytes[i] != 0) ++nonzero_padding;
    }
    CHECK(nonzero_padding == 0);

    auto decoded = mosaic::index::decode_shard(bytes);
    CHECK(outcome_name(decoded) == "ok");
  }
}

TEST_CASE("compute_shard_layout matches the hand-computed v1 layout", "[shard_codec]") {
  for (const expected_layout& expected : hand_computed_layouts) {
    INFO(mosaic::index::quantization_name(expected.kind) << " shard of " << expected.item_count << " x "
                                                         << expected.dimensions);
    auto layout = mosaic::index::compute_shard_layout(expected.dimensions, expected.item_count, expected.kind);
    REQUIRE(outcome_name(layout) == "ok");
    CHECK(layout->vectors_offset == expected.vectors_offset);
    CHECK(layout->scales_offset == expected.scales_offset);
    CHECK(layout->ids_offset == expected.ids_offset);
    CHECK(layout->total_bytes == expected.total_bytes);
  }

  SECTION("the largest dimensions are accepted") {
    auto layout = mosaic::index::compute_shard_layout(65536, 1, quantization::f32);
    REQUIRE(outcome_name(layout) == "ok");
    CHECK(layout->ids_offset == 64 + 65536 * 4);
    CHECK(layout->total_bytes == 64 + 65536 * 4 + 8);
  }
  SECTION("dimensions outside 1..65536 are bad_dimensions") {
    for (std::uint32_t dimensions : {0u, 65537u, 0xFFFFFFFFu}) {
      for (quantization kind : {quantization::f32, quantization::i8}) {
        auto layout = mosaic::index::compute_shard_layout(dimensions, 1, kind);
        CHECK(outcome_name(layout) == "bad_dimensions");
        if (!layout.ok()) CHECK_FALSE(layout.failure().message.empty());
      }
    }
  }
  SECTION("more than 2^32 - 1 items is size_overflow") {
    for (std::uint64_t count : {std::uint64_t{0x100000000ULL}, std::numeric_limits<std::uint64_t>::max()}) {
      auto layout = mosaic::index::compute_shard_layout(1, count, quantization::i8);
      CHECK(outcome_name(layout) == "size_overflow");
      if (!layout.ok()) CHECK_FALSE(layout.failure().message.empty());
    }
  }
  SECTION("the largest shard fits 64-bit arithmetic but not a 32-bit address space") {
    // (2^32 - 1) * 65536 * 4 bytes is about 2^50: representable in u64, far beyond a 32-bit size_t.
    const std::uint64_t count = 0xFFFFFFFFULL;
    auto layout = mosaic::index::compute_shard_layout(65536, count, quantization::f32);
    if (sizeof(std::size_t) >= 8) {
      REQUIRE(outcome_name(layout) == "ok");
      CHECK(layout->ids_offset == 64 + count * 65536 * 4);
      CHECK(layout->total_bytes == 64 + count * 65536 * 4 + count * 8);
    } else {
      CHECK(outcome_name(layout) == "size_overflow");
    }
  }
  SECTION("bytes per component") {
    CHECK(mosaic::index::bytes_per_component(quantization::f32) == 4);
    CHECK(mosaic::index::bytes_per_component(quantization::i8) == 1);
  }
}

TEST_CASE("quantization names parse and print", "[shard_codec]") {
  CHECK(mosaic::index::quantization_name(quantization::f32) == "f32");
  CHECK(mosaic::index::quantization_name(quantization::i8) == "i8");
  for (quantization kind : {quantization::f32, quantization::i8}) {
    auto parsed = mosaic::index::parse_quantization(mosaic::index::quantization_name(kind));
    REQUIRE(outcome_name(parsed) == "ok");
    CHECK(parsed.value() == kind);
  }
  for (const char* name : {"", "F32", "I8", "float32", "int8", "i8 ", " f32", "f16", "binary"}) {
    INFO("name '" << name << "'");
    auto parsed = mosaic::index::parse_quantization(name);
    CHECK(outcome_name(parsed) == "unsupported_quantization");
    if (!parsed.ok()) CHECK_FALSE(parsed.failure().message.empty());
  }
}

TEST_CASE("encode_shard rejects inconsistent or invalid contents", "[shard_codec]") {
  std::mt19937 generator(51);
  const std::uint32_t dimensions = 4;
  const std::vector<float> vectors = random_unit_vectors(3, dimensions, generator);
  const std::vector<std::int8_t> codes = random_codes(12, generator);
  const std::vector<float> scales = random_scales(3, generator);
  const std::vector<std::uint64_t> ids = distinct_item_ids(3);

  auto expect_error = [](const mosaic::index::shard_contents& contents, const std::string& expected) {
    auto encoded = mosaic::index::encode_shard(contents);
    CHECK(outcome_name(encoded) == expected);
    if (!encoded.ok()) CHECK_FALSE(encoded.failure().message.empty());
  };

  mosaic::index::shard_contents f32_contents;
  f32_contents.dimensions = dimensions;
  f32_contents.kind = quantization::f32;
  f32_contents.vectors_f32 = vectors;
  f32_contents.item_ids = ids;
  mosaic::index::shard_contents i8_contents;
  i8_contents.dimensions = dimensions;
  i8_contents.kind = quantization::i8;
  i8_contents.vectors_i8 = codes;
  i8_contents.scales = scales;
  i8_contents.item_ids = ids;
  REQUIRE(mosaic::index::encode_shard(f32_contents).ok());
  REQUIRE(mosaic::index::encode_shard(i8_contents).ok());

  SECTION("mismatched sizes are dimension_mismatch") {
    auto contents = f32_contents;
    contents.vectors_f32 = std::span<const float>(vectors).first(11);
    expect_error(contents, "dimension_mismatch");
    contents.item_ids = std::span<const std::uint64_t>(ids).first(2);
    expect_error(contents, "dimension_mismatch");
    contents = f32_contents;
    contents.vectors_i8 = codes;  // an f32 shard carries no int8 data
    expect_error(contents, "dimension_mismatch");
    contents = f32_contents;
    contents.scales = scales;
    expect_error(contents, "dimension_mismatch");

    contents = i8_contents;
    contents.vectors_i8 = std::span<const std::int8_t>(codes).first(11);
    expect_error(contents, "dimension_mismatch");
    contents = i8_contents;
    contents.scales = std::span<const float>(scales).first(2);
    expect_error(contents, "dimension_mismatch");
    contents = i8_contents;
    contents.vectors_f32 = vectors;  // an i8 shard carries no float vectors
    expect_error(contents, "dimension_mismatch");

    auto from_f32 = mosaic::index::encode_shard_from_f32(dimensions, quantization::f32,
                                                         std::span<const float>(vectors).first(11), ids);
    CHECK(outcome_name(from_f32) == "dimension_mismatch");
    from_f32 = mosaic::index::encode_shard_from_f32(dimensions, quantization::i8, vectors,
                                                    std::span<const std::uint64_t>(ids).first(2));
    CHECK(outcome_name(from_f32) == "dimension_mismatch");
    from_f32 = mosaic::index::encode_shard_from_f32(dimensions + 1, quantization::i8, vectors, ids);
    CHECK(outcome_name(from_f32) == "dimension_mismatch");
  }

  SECTION("non-finite values are non_finite_value") {
    for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                      -std::numeric_limits<float>::infinity()}) {
      INFO("value " << bad);
      std::vector<float> bad_vectors = vectors;
      bad_vectors[6] = bad;
      auto contents = f32_contents;
      contents.vectors_f32 = bad_vectors;
      expect_error(contents, "non_finite_value");
      for (quantization kind : {quantization::f32, quantization::i8}) {
        auto from_f32 = mosaic::index::encode_shard_from_f32(dimensions, kind, bad_vectors, ids);
        CHECK(outcome_name(from_f32) == "non_finite_value");
      }
      std::vector<float> bad_scales = scales;
      bad_scales[1] = bad;
      contents = i8_contents;
      contents.scales = bad_scales;
      expect_error(contents, "non_finite_value");
    }
    std::vector<float> negative_scales = scales;
    negative_scales[2] = -0.01f;
    auto contents = i8_contents;
    contents.scales = negative_scales;
    expect_error(contents, "invalid_argument");
  }

  SECTION("finite values no unit vector can have are invalid_argument") {
    std::vector<float> long_vectors = vectors;
    long_vectors[3] = 1.5f;
    auto contents = f32_contents;
    contents.vectors_f32 = long_vectors;
    expect_error(contents, "invalid_argument");
    std::vector<float> large_scales = scales;
    large_scales[0] = 0.5f;  // a unit vector's scale is at most 1/127
    contents = i8_contents;
    contents.scales = large_scales;
    expect_error(contents, "invalid_argument");
  }

  SECTION("dimensions outside 1..65536 are bad_dimensions") {
    for (quantization kind : {quantization::f32, quantization::i8}) {
      INFO("quantization " << mosaic::index::quantization_name(kind));
      mosaic::index::shard_contents contents;
      contents.kind = kind;
      contents.dimensions = 0;
      expect_error(contents, "bad_dimensions");
      contents.dimensions = 65537;
      expect_error(contents, "bad_dimensions");
      auto from_f32 = mosaic::index::encode_shard_from_f32(0, kind, {}, {});
      CHECK(outcome_name(from_f32) == "bad_dimensions");
      from_f32 = mosaic::index::encode_shard_from_f32(65537, kind, {}, {});
      CHECK(outcome_name(from_f32) == "bad_dimensions");
    }
  }
}
