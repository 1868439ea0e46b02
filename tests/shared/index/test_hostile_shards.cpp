// Shards are hostile input: they come over the network into a browser tab. Every malformed shard must
// be rejected with the specific error that names its defect, never read out of bounds (these tests
// also run under AddressSanitizer and UBSan) and never decoded as if it were valid.
#include <catch2/catch.hpp>

#include <array>
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

using mosaic::error_code;
using mosaic::error_code_name;
using mosaic::index::quantization;

namespace {

// "ok" or the error code's name, so a failed comparison prints which code came back.
std::string decode_outcome(std::span<const std::uint8_t> bytes) {
  auto decoded = mosaic::index::decode_shard(bytes);
  if (decoded.ok()) return "ok";
  // A rejection without a message would lose the cause; report it as its own outcome so it fails.
  if (decoded.failure().message.empty()) return "empty message for " + std::string(error_code_name(decoded.failure().code));
  return std::string(error_code_name(decoded.failure().code));
}

template <typename Value>
void write_little_endian(std::vector<std::uint8_t>& bytes, std::size_t offset, Value value) {
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}

template <typename Value>
Value read_little_endian(const std::vector<std::uint8_t>& bytes, std::size_t offset) {
  Value value{};
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

// Recomputes the checksum after a header edit, so the edit is the shard's only defect and the reader
// must name it rather than stop at checksum_mismatch.
void reseal(std::vector<std::uint8_t>& bytes) {
  write_little_endian(bytes, mosaic::index::shard_checksum_offset, mosaic::index::compute_shard_checksum(bytes));
}

// A small, valid shard: item_count x dimensions with arbitrary (finite) values. Both kinds are built
// through encode_shard so the codes and scales are exactly what is stored.
std::vector<std::uint8_t> make_shard(quantization kind, std::uint32_t dimensions, std::size_t item_count,
                                     std::uint32_t seed) {
  std::mt19937 generator(seed);
  std::uniform_real_distribution<float> component(-1.0f, 1.0f);
  std::uniform_int_distribution<int> code(-127, 127);
  std::vector<float> vectors(item_count * dimensions);
  std::vector<std::int8_t> codes(item_count * dimensions);
  std::vector<float> scales(item_count);
  std::vector<std::uint64_t> ids(item_count);
  for (float& value : vectors) value = component(generator);
  for (std::int8_t& value : codes) value = static_cast<std::int8_t>(code(generator));
  for (float& value : scales) value = 0.001f + 0.006f * std::fabs(component(generator));  // <= 1/127, as for unit vectors
  for (std::size_t row = 0; row < item_count; ++row) ids[row] = 0x0102030405060708ULL * (row + 1);

  mosaic::index::shard_contents contents;
  contents.dimensions = dimensions;
  contents.kind = kind;
  contents.item_ids = ids;
  if (kind == quantization::f32) {
    contents.vectors_f32 = vectors;
  } else {
    contents.vectors_i8 = codes;
    contents.scales = scales;
  }
  auto encoded = mosaic::index::encode_shard(contents);
  REQUIRE(encoded.ok());
  REQUIRE(decode_outcome(encoded.value()) == "ok");
  return std::move(encoded).value();
}

// The first `length` bytes in a buffer of exactly that size, so reading one byte further is caught by
// AddressSanitizer instead of landing in the rest of the original file.
std::vector<std::uint8_t> prefix(const std::vector<std::uint8_t>& bytes, std::size_t length) {
  return std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length));
}

std::uint64_t align_up(std::uint64_t value, std::uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

// A bare 64-byte header claiming `item_count` vectors with the canonical offsets for them, computed in
// u64 arithmetic here so the test does not depend on the code under test to describe the file.
std::vector<std::uint8_t> header_claiming(quantization kind, std::uint32_t dimensions, std::uint64_t item_count) {
  std::vector<std::uint8_t> bytes = make_shard(kind, 4, 0, 99);
  const std::uint64_t component_bytes = kind == quantization::f32 ? 4 : 1;
  const std::uint64_t vectors_end = 64 + item_count * dimensions * component_bytes;
  std::uint64_t scales_offset = 0, block_end = vectors_end;
  if (kind == quantization::i8) {
    scales_offset = align_up(vectors_end, 4);
    block_end = scales_offset + 4 * item_count;
  }
  write_little_endian(bytes, 12, dimensions);
  write_little_endian(bytes, 16, item_count);
  write_little_endian(bytes, 32, std::uint64_t{64});
  write_little_endian(bytes, 40, scales_offset);
  write_little_endian(bytes, 48, align_up(block_end, 8));
  reseal(bytes);
  return bytes;
}

}  // namespace

TEST_CASE("the small shards used below are what the tests assume", "[hostile_shards]") {
  // f32 3 x 8: vectors 64..160, ids 160..184. i8 3 x 8: codes 64..88, scales 88..100, 4 bytes of
  // padding, ids 104..128. i8 3 x 5: codes 64..79, scales 80..92, ids 96..120.
  CHECK(make_shard(quantization::f32, 8, 3, 1).size() == 184);
  CHECK(make_shard(quantization::i8, 8, 3, 1).size() == 128);
  CHECK(make_shard(quantization::i8, 5, 3, 1).size() == 120);
}

TEST_CASE("a shard cut anywhere inside its header is truncated_header", "[hostile_shards]") {
  for (quantization kind : {quantization::f32, quantization::i8}) {
    const std::vector<std::uint8_t> shard = make_shard(kind, 8, 3, 2);
    for (std::size_t length = 0; length < mosaic::index::shard_header_bytes; ++length) {
      INFO(mosaic::index::quantization_name(kind) << " shard cut to " << length << " bytes");
      CHECK(decode_outcome(prefix(shard, length)) == "truncated_header");
    }
  }
}

TEST_CASE("a shard cut anywhere inside its payload is truncated_payload", "[hostile_shards]") {
  for (quantization kind : {quantization::f32, quantization::i8}) {
    for (std::uint32_t dimensions : {1u, 5u, 8u}) {
      const std::vector<std::uint8_t> shard = make_shard(kind, dimensions, 3, 3);
      for (std::size_t length = mosaic::index::shard_header_bytes; length < shard.size(); ++length) {
        INFO(mosaic::index::quantization_name(kind) << " 3 x " << dimensions << " shard of " << shard.size()
                                                    << " bytes cut to " << length);
        CHECK(decode_outcome(prefix(shard, length)) == "truncated_payload");
      }
      CHECK(decode_outcome(prefix(shard, shard.size())) == "ok");
    }
  }
}

TEST_CASE("any wrong magic byte is bad_magic", "[hostile_shards]") {
  const std::vector<std::uint8_t> shard = make_shard(quantization::i8, 8, 3, 4);
  for (std::size_t position = 0; position < 8; ++position) {
    for (std::uint8_t replacement : {std::uint8_t{0x00}, std::uint8_t{0xFF}, std::uint8_t{'m'}, std::uint8_t{0x0D}}) {
      if (shard[position] == replacement) continue;
      std::vector<std::uint8_t> bytes = shard;
      bytes[position] = replacement;
      reseal(bytes);
      INFO("magic byte " << position << " set to " << static_cast<int>(replacement));
      CHECK(decode_outcome(bytes) == "bad_magic");
    }
  }
  // A text-mode transfer that turns "\n" into "\r\n" shifts the whole file: still bad_magic.
  std::vector<std::uint8_t> mangled(shard.begin(), shard.begin() + 7);
  mangled.push_back('\r');
  mangled.insert(mangled.end(), shard.begin() + 7, shard.end());
  CHECK(decode_outcome(mangled) == "bad_magic");
}

TEST_CASE("header fields outside v1 are rejected with their own codes", "[hostile_shards]") {
  const std::vector<std::uint8_t> shard = make_shard(quantization::i8, 5, 3, 5);
  auto with_u16 = [&](std::size_t offset, std::uint16_t value) {
    std::vector<std::uint8_t> bytes = shard;
    write_little_endian(bytes, offset, value);
    reseal(bytes);
    return bytes;
  };

  SECTION("format version") {
    CHECK(decode_outcome(with_u16(8, 0)) == "bad_header");
    CHECK(decode_outcome(with_u16(8, 2)) == "unsupported_version");
    CHECK(decode_outcome(with_u16(8, 65535)) == "unsupported_version");
    CHECK(decode_outcome(with_u16(8, 1)) == "ok");
  }
  SECTION("header size") {
    for (std::uint16_t header_bytes : std::array<std::uint16_t, 10>{0, 1, 32, 56, 63, 65, 72, 128, 256, 65535}) {
      INFO("header_bytes " << header_bytes);
      CHECK(decode_outcome(with_u16(10, header_bytes)) == "bad_header");
    }
  }
  SECTION("quantization") {
    for (std::uint8_t kind : std::array<std::uint8_t, 5>{2, 3, 127, 128, 255}) {
      std::vector<std::uint8_t> bytes = shard;
      bytes[24] = kind;
      reseal(bytes);
      INFO("quantization byte " << static_cast<int>(kind));
      CHECK(decode_outcome(bytes) == "unsupported_quantization");
    }
  }
  SECTION("metric") {
    for (std::uint8_t metric : std::array<std::uint8_t, 3>{1, 2, 255}) {
      std::vector<std::uint8_t> bytes = shard;
      bytes[25] = metric;
      reseal(bytes);
      INFO("metric byte " << static_cast<int>(metric));
      CHECK(decode_outcome(bytes) == "bad_header");
    }
  }
  SECTION("reserved bytes") {
    for (std::size_t position = 26; position < 32; ++position) {
      for (std::uint8_t value : std::array<std::uint8_t, 3>{1, 0x80, 0xFF}) {
        std::vector<std::uint8_t> bytes = shard;
        bytes[position] = value;
        reseal(bytes);
        INFO("reserved byte " << position << " set to " << static_cast<int>(value));
        CHECK(decode_outcome(bytes) == "bad_header");
      }
    }
  }
  SECTION("dimensions") {
    for (std::uint32_t dimensions : {0u, 65537u, 0x80000000u, 0xFFFFFFFFu}) {
      for (quantization kind : {quantization::f32, quantization::i8}) {
        std::vector<std::uint8_t> bytes = make_shard(kind, 5, 3, 6);
        write_little_endian(bytes, 12, dimensions);
        reseal(bytes);
        INFO(mosaic::index::quantization_name(kind) << " shard claiming " << dimensions << " dimensions");
        CHECK(decode_outcome(bytes) == "bad_dimensions");
      }
    }
  }
}

TEST_CASE("sizes that cannot be addressed are size_overflow, never a crash", "[hostile_shards]") {
  const bool is_32_bit = sizeof(std::size_t) < 8;

  SECTION("more than 2^32 - 1 items") {
    for (std::uint64_t count : {std::uint64_t{0x100000000ULL}, std::uint64_t{0x8000000000000000ULL}, std::numeric_limits<std::uint64_t>::max()}) {
      for (quantization kind : {quantization::f32, quantization::i8}) {
        std::vector<std::uint8_t> bytes = make_shard(kind, 8, 0, 7);
        write_little_endian(bytes, 16, count);
        reseal(bytes);
        INFO(mosaic::index::quantization_name(kind) << " shard claiming " << count << " items");
        CHECK(decode_outcome(bytes) == "size_overflow");
      }
    }
  }

  SECTION("the largest legal count and dimensions") {
    // (2^32 - 1) x 65536 float32 is about 2^50 bytes. The u64 arithmetic holds it, so a 64-bit reader
    // gets a consistent header for a file that is only 64 bytes long: truncated_payload. A 32-bit
    // reader (wasm) cannot address it at all: size_overflow. Neither may allocate or read past byte 63.
    for (quantization kind : {quantization::f32, quantization::i8}) {
      const std::vector<std::uint8_t> bytes = header_claiming(kind, 65536, 0xFFFFFFFFULL);
      INFO(mosaic::index::quantization_name(kind) << " shard claiming (2^32 - 1) x 65536 in 64 bytes");
      CHECK(decode_outcome(bytes) == (is_32_bit ? "size_overflow" : "truncated_payload"));
    }
  }

  SECTION("a count that overflows only a 32-bit address space") {
    // 2^30 float32 vectors of one dimension: 4 GiB of vectors plus 8 GiB of ids.
    const std::vector<std::uint8_t> bytes = header_claiming(quantization::f32, 1, 0x40000000ULL);
    CHECK(decode_outcome(bytes) == (is_32_bit ? "size_overflow" : "truncated_payload"));
  }

  SECTION("a header that is consistent but claims more rows than the file holds") {
    const std::vector<std::uint8_t> bytes = header_claiming(quantization::i8, 8, 1000);
    CHECK(decode_outcome(bytes) == "truncated_payload");
  }
}

TEST_CASE("offsets off the canonical layout are offset_out_of_range", "[hostile_shards]") {
  // i8 3 x 5: vectors 64, scales 80, ids 96, file 120 bytes.
  const std::vector<std::uint8_t> shard = make_shard(quantization::i8, 5, 3, 8);
  REQUIRE(read_little_endian<std::uint64_t>(shard, 32) == 64);
  REQUIRE(read_little_endian<std::uint64_t>(shard, 40) == 80);
  REQUIRE(read_little_endian<std::uint64_t>(shard, 48) == 96);
  const std::uint64_t file_size = shard.size();

  struct offset_field {
    const char* name;
    std::size_t position;
  };
  for (const offset_field field : {offset_field{"vectors_offset", 32}, offset_field{"scales_offset", 40},
                                   offset_field{"ids_offset", 48}}) {
    const std::uint64_t canonical = read_little_endian<std::uint64_t>(shard, field.position);
    const std::uint64_t hostile_values[] = {0,
                                            1,
                                            canonical - 1,
                                            canonical + 1,
                                            canonical + 4,
                                            canonical + 8,
                                            file_size,        // at the end
                                            file_size + 8,    // past the end
                                            0xFFFFFFFFULL,    // past the end of a 32-bit address space
                                            0x100000040ULL,   // aliases 64 when truncated to 32 bits
                                            0x8000000000000000ULL,
                                            std::numeric_limits<std::uint64_t>::max()};
    for (std::uint64_t value : hostile_values) {
      if (value == canonical) continue;
      std::vector<std::uint8_t> bytes = shard;
      write_little_endian(bytes, field.position, value);
      reseal(bytes);
      INFO(field.name << " set to " << value);
      CHECK(decode_outcome(bytes) == "offset_out_of_range");
    }
  }

  SECTION("an f32 shard has no scales block, so any scales offset is wrong") {
    const std::vector<std::uint8_t> f32_shard = make_shard(quantization::f32, 8, 3, 9);
    REQUIRE(read_little_endian<std::uint64_t>(f32_shard, 40) == 0);
    for (std::uint64_t value : {std::uint64_t{64}, std::uint64_t{160}, std::uint64_t{184}, std::uint64_t{1}}) {
      std::vector<std::uint8_t> bytes = f32_shard;
      write_little_endian(bytes, 40, value);
      reseal(bytes);
      INFO("f32 scales_offset set to " << value);
      CHECK(decode_outcome(bytes) == "offset_out_of_range");
    }
  }
}

TEST_CASE("bytes after the last block are trailing_bytes", "[hostile_shards]") {
  for (quantization kind : {quantization::f32, quantization::i8}) {
    for (std::size_t item_count : {std::size_t{0}, std::size_t{3}}) {
      const std::vector<std::uint8_t> shard = make_shard(kind, 8, item_count, 10);
      for (std::size_t extra : std::array<std::size_t, 5>{1, 7, 8, 64, 1000}) {
        std::vector<std::uint8_t> bytes = shard;
        bytes.resize(shard.size() + extra, 0);
        reseal(bytes);
        INFO(mosaic::index::quantization_name(kind) << " shard of " << item_count << " items with " << extra
                                                    << " extra bytes");
        CHECK(decode_outcome(bytes) == "trailing_bytes");
      }
    }
  }
}

TEST_CASE("a shard that does not start on an 8-byte boundary is misaligned_buffer", "[hostile_shards]") {
  for (quantization kind : {quantization::f32, quantization::i8}) {
    const std::vector<std::uint8_t> shard = make_shard(kind, 8, 3, 11);
    // std::vector storage is aligned for any fundamental type, so storage.data() + shift is aligned
    // to 8 exactly when shift is a multiple of 8.
    for (std::size_t shift = 1; shift <= 8; ++shift) {
      std::vector<std::uint8_t> storage(shard.size() + shift, 0);
      std::memcpy(storage.data() + shift, shard.data(), shard.size());
      INFO(mosaic::index::quantization_name(kind) << " shard copied to offset " << shift);
      const std::string outcome = decode_outcome(std::span<const std::uint8_t>(storage.data() + shift, shard.size()));
      CHECK(outcome == (shift == 8 ? "ok" : "misaligned_buffer"));
    }
  }
}

// 3 items x 8 dimensions keeps these exhaustive loops to a few thousand decodes.
TEST_CASE("every flipped payload bit is checksum_mismatch", "[hostile_shards]") {
  // The payload is vectors, scales, the zero padding between blocks and ids: all covered by the checksum.
  for (quantization kind : {quantization::f32, quantization::i8}) {
    const std::vector<std::uint8_t> shard = make_shard(kind, 8, 3, 12);
    std::vector<std::uint8_t> bytes = shard;
    INFO(mosaic::index::quantization_name(kind) << " shard of " << shard.size() << " bytes");
    for (std::size_t position = mosaic::index::shard_header_bytes; position < bytes.size(); ++position) {
      for (unsigned bit = 0; bit < 8; ++bit) {
        bytes[position] = static_cast<std::uint8_t>(bytes[position] ^ (1u << bit));
        INFO("byte " << position << " bit " << bit);
        CHECK(decode_outcome(bytes) == "checksum_mismatch");
        bytes[position] = shard[position];
      }
    }
    CHECK(decode_outcome(bytes) == "ok");
  }
}

TEST_CASE("every flipped checksum bit is checksum_mismatch", "[hostile_shards]") {
  for (quantization kind : {quantization::f32, quantization::i8}) {
    const std::vector<std::uint8_t> shard = make_shard(kind, 8, 3, 13);
    std::vector<std::uint8_t> bytes = shard;
    INFO(mosaic::index::quantization_name(kind) << " shard");
    for (std::size_t position = mosaic::index::shard_checksum_offset; position < 64; ++position) {
      for (unsigned bit = 0; bit < 8; ++bit) {
        bytes[position] = static_cast<std::uint8_t>(bytes[position] ^ (1u << bit));
        INFO("byte " << position << " bit " << bit);
        CHECK(decode_outcome(bytes) == "checksum_mismatch");
        bytes[position] = shard[position];
      }
    }
  }
}

TEST_CASE("every flipped header bit is rejected, never accepted", "[hostile_shards]") {
  // Which check fires first depends on the field (a flipped dimension bit changes the layout, a
  // flipped offset bit breaks it, a flipped reserved bit is bad_header), but the checksum covers the
  // header too, so no single flip may decode.
  for (quantization kind : {quantization::f32, quantization::i8}) {
    const std::vector<std::uint8_t> shard = make_shard(kind, 8, 3, 14);
    std::vector<std::uint8_t> bytes = shard;
    INFO(mosaic::index::quantization_name(kind) << " shard");
    for (std::size_t position = 0; position < mosaic::index::shard_checksum_offset; ++position) {
      for (unsigned bit = 0; bit < 8; ++bit) {
        bytes[position] = static_cast<std::uint8_t>(bytes[position] ^ (1u << bit));
        INFO("byte " << position << " bit " << bit);
        auto decoded = mosaic::index::decode_shard(bytes);
        REQUIRE_FALSE(decoded.ok());
        const error_code code = decoded.failure().code;
        INFO("error " << error_code_name(code) << ": " << decoded.failure().message);
        CHECK(code >= error_code::truncated_header);
        CHECK(code <= error_code::bad_payload_value);
        CHECK_FALSE(decoded.failure().message.empty());
        if (position < 8) CHECK(code == error_code::bad_magic);
        bytes[position] = shard[position];
      }
    }
    CHECK(decode_outcome(bytes) == "ok");
  }
}

TEST_CASE("a correctly checksummed shard with impossible values is bad_payload_value", "[hostile_shards]") {
  const float quiet_nan = std::numeric_limits<float>::quiet_NaN();
  const float signaling_nan = std::numeric_limits<float>::signaling_NaN();
  const float infinity = std::numeric_limits<float>::infinity();

  SECTION("non-finite f32 components") {
    const std::vector<std::uint8_t> shard = make_shard(quantization::f32, 8, 3, 15);
    // First, last and a middle component of the vectors block (64..160).
    for (std::size_t position : {std::size_t{64}, std::size_t{64 + 4 * 13}, std::size_t{156}}) {
      for (float bad : {quiet_nan, -quiet_nan, signaling_nan, infinity, -infinity}) {
        std::vector<std::uint8_t> bytes = shard;
        write_little_endian(bytes, position, bad);
        INFO("component at byte " << position << " set to " << bad);
        CHECK(decode_outcome(bytes) == "checksum_mismatch");  // without a new checksum it is corruption
        reseal(bytes);
        CHECK(decode_outcome(bytes) == "bad_payload_value");
      }
    }
  }
  SECTION("finite f32 components beyond unit length, which could overflow a SIMD sum") {
    const std::vector<std::uint8_t> shard = make_shard(quantization::f32, 8, 3, 17);
    for (float bad : {1.01f, -2.0f, 3.4e38f, -std::numeric_limits<float>::max()}) {
      std::vector<std::uint8_t> bytes = shard;
      write_little_endian(bytes, std::size_t{64 + 4 * 5}, bad);
      reseal(bytes);
      INFO("component set to " << bad);
      CHECK(decode_outcome(bytes) == "bad_payload_value");
    }
  }
  SECTION("i8 scales above 1/127, which no unit vector has") {
    const std::vector<std::uint8_t> shard = make_shard(quantization::i8, 8, 3, 18);
    for (float bad : {0.01f, 1.0f, 3.4e38f}) {
      std::vector<std::uint8_t> bytes = shard;
      write_little_endian(bytes, std::size_t{88}, bad);
      reseal(bytes);
      INFO("scale set to " << bad);
      CHECK(decode_outcome(bytes) == "bad_payload_value");
    }
  }
  SECTION("negative or non-finite i8 scales") {
    const std::vector<std::uint8_t> shard = make_shard(quantization::i8, 8, 3, 16);
    for (std::size_t row = 0; row < 3; ++row) {
      const std::size_t position = 88 + 4 * row;  // scales block 88..100
      for (float bad : {-1.0f, -0.001f, -std::numeric_limits<float>::denorm_min(), quiet_nan, signaling_nan,
                        infinity, -infinity}) {
        std::vector<std::uint8_t> bytes = shard;
        write_little_endian(bytes, position, bad);
        reseal(bytes);
        INFO("scale of row " << row << " set to " << bad);
        CHECK(decode_outcome(bytes) == "bad_payload_value");
      }
    }
  }
}
