#pragma once
// Encoding and validating shards. decode_shard treats its input as hostile: it checks size, magic,
// version, header fields, arithmetic overflow, the canonical v1 layout, buffer alignment, the checksum
// and the payload values, in that order, before it hands out a view. Each failure has its own code.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "index/shard_header.hpp"

namespace mosaic::index {

std::string_view quantization_name(quantization kind) noexcept;  // "f32", "i8"
result<quantization> parse_quantization(std::string_view name);
std::size_t bytes_per_component(quantization kind) noexcept;

// The byte layout a v1 writer produces for given dimensions, count and quantization.
struct shard_layout {
  std::uint64_t vectors_offset;
  std::uint64_t scales_offset;  // 0 for f32
  std::uint64_t ids_offset;
  std::uint64_t total_bytes;
};
// Fails with size_overflow when the shard could not be addressed on this target (size_t is 32 bits
// in wasm), or bad_dimensions / invalid_argument for out-of-range parameters.
result<shard_layout> compute_shard_layout(std::uint32_t dimensions, std::uint64_t item_count, quantization kind);

// What goes into a shard. Exactly one of vectors_f32 (float32 shards) or vectors_i8 + scales (int8
// shards) is filled; vectors are row-major, item_count * dimensions components.
struct shard_contents {
  std::uint32_t dimensions = 0;
  quantization kind = quantization::i8;
  std::span<const float> vectors_f32;
  std::span<const std::int8_t> vectors_i8;
  std::span<const float> scales;
  std::span<const std::uint64_t> item_ids;
};

result<std::vector<std::uint8_t>> encode_shard(const shard_contents& contents);

// Quantizes unit vectors as `kind` asks and encodes them. Vectors must already be L2-normalized.
result<std::vector<std::uint8_t>> encode_shard_from_f32(std::uint32_t dimensions, quantization kind,
                                                       std::span<const float> vectors,
                                                       std::span<const std::uint64_t> item_ids);

// A validated, zero-copy view into shard bytes; valid while those bytes live.
struct shard_view {
  std::uint32_t dimensions = 0;
  std::size_t item_count = 0;
  quantization kind = quantization::f32;
  std::span<const float> vectors_f32;       // f32 shards: item_count * dimensions
  std::span<const std::int8_t> vectors_i8;  // i8 shards: item_count * dimensions
  std::span<const float> scales;            // i8 shards: item_count
  std::span<const std::uint8_t> id_bytes;   // item_count little-endian u64

  [[nodiscard]] std::uint64_t item_id(std::size_t row) const noexcept;
  // Writes the float vector of a row (dequantized for i8). `out` must hold `dimensions` floats.
  void row_as_f32(std::size_t row, std::span<float> out) const noexcept;
};

// `bytes` must start at an 8-byte aligned address (std::vector and malloc guarantee it).
result<shard_view> decode_shard(std::span<const std::uint8_t> bytes);

// The checksum a header must carry for these bytes (bytes.size() >= 64).
std::uint64_t compute_shard_checksum(std::span<const std::uint8_t> bytes) noexcept;

}  // namespace mosaic::index
