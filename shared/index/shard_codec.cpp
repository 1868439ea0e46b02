#include "index/shard_codec.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "core/checked_arithmetic.hpp"
#include "hash/xxhash64.hpp"
#include "vector/quantize.hpp"

namespace mosaic::index {
namespace {

// Stored vectors are unit length, so no float32 component and no int8 scale can exceed these bounds
// (slack for other writers' rounding). Enforcing them keeps every dot product far from overflow: a
// shard that passes the checksum still cannot make a kernel sum inf - inf into NaN.
constexpr float max_unit_component = 1.0f + 1.0f / 1024.0f;
constexpr float max_i8_scale = max_unit_component / 127.0f;

bool is_unit_component(float value) { return std::isfinite(value) && std::fabs(value) <= max_unit_component; }
bool is_valid_scale(float scale) { return std::isfinite(scale) && scale >= 0.0f && scale <= max_i8_scale; }

template <typename Value>
void write_le(std::vector<std::uint8_t>& bytes, std::size_t offset, Value value) {
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}

std::string describe(std::uint64_t value) { return std::to_string(value); }

}  // namespace

std::string_view quantization_name(quantization kind) noexcept {
  return kind == quantization::f32 ? "f32" : "i8";
}

result<quantization> parse_quantization(std::string_view name) {
  if (name == "f32") return quantization::f32;
  if (name == "i8") return quantization::i8;
  return make_error(error_code::unsupported_quantization,
                    "unknown quantization '" + std::string(name) + "' (expected \"f32\" or \"i8\")");
}

std::size_t bytes_per_component(quantization kind) noexcept { return kind == quantization::f32 ? 4 : 1; }

result<shard_layout> compute_shard_layout(std::uint32_t dimensions, std::uint64_t item_count, quantization kind) {
  if (dimensions == 0 || dimensions > max_shard_dimensions) {
    return make_error(error_code::bad_dimensions, "dimensions must be between 1 and " +
                                                      describe(max_shard_dimensions) + ", got " +
                                                      describe(dimensions));
  }
  if (item_count > max_shard_items) {
    return make_error(error_code::size_overflow,
                      "item count " + describe(item_count) + " exceeds the per-shard limit " + describe(max_shard_items));
  }
  const std::uint64_t overflow_error_count = item_count;
  auto overflow = [&] {
    return make_error(error_code::size_overflow, "a shard of " + describe(overflow_error_count) + " x " +
                                                     describe(dimensions) + " " +
                                                     std::string(quantization_name(kind)) +
                                                     " vectors does not fit in this target's address space");
  };
  shard_layout layout{};
  layout.vectors_offset = shard_header_bytes;
  std::uint64_t vector_bytes = 0, end = 0;
  if (!checked_multiply(item_count, std::uint64_t{dimensions} * bytes_per_component(kind), vector_bytes) ||
      !checked_add(layout.vectors_offset, vector_bytes, end)) {
    return overflow();
  }
  if (kind == quantization::i8) {
    layout.scales_offset = align_up(end, 4);
    std::uint64_t scale_bytes = 0;
    if (!checked_multiply(item_count, 4, scale_bytes) || !checked_add(layout.scales_offset, scale_bytes, end)) {
      return overflow();
    }
  } else {
    layout.scales_offset = 0;
  }
  layout.ids_offset = align_up(end, 8);
  std::uint64_t id_bytes = 0;
  if (!checked_multiply(item_count, 8, id_bytes) || !checked_add(layout.ids_offset, id_bytes, layout.total_bytes)) {
    return overflow();
  }
  if (layout.total_bytes > std::numeric_limits<std::size_t>::max()) return overflow();
  return layout;
}

std::uint64_t compute_shard_checksum(std::span<const std::uint8_t> bytes) noexcept {
  const std::uint64_t header_hash = hash::xxhash64(bytes.first(shard_checksum_offset), 0);
  return hash::xxhash64(bytes.subspan(shard_header_bytes), header_hash);
}

result<std::vector<std::uint8_t>> encode_shard(const shard_contents& contents) {
  const std::uint64_t item_count = contents.item_ids.size();
  auto layout = compute_shard_layout(contents.dimensions, item_count, contents.kind);
  if (!layout) return std::move(layout).failure();
  const std::size_t component_count = static_cast<std::size_t>(item_count) * contents.dimensions;
  if (contents.kind == quantization::f32) {
    if (contents.vectors_f32.size() != component_count || !contents.vectors_i8.empty() || !contents.scales.empty()) {
      return make_error(error_code::dimension_mismatch,
                        "f32 shard needs exactly " + describe(component_count) + " float components (got " +
                            describe(contents.vectors_f32.size()) + ") and no int8 data");
    }
  } else if (contents.vectors_i8.size() != component_count || contents.scales.size() != item_count ||
             !contents.vectors_f32.empty()) {
    return make_error(error_code::dimension_mismatch,
                      "i8 shard needs " + describe(component_count) + " codes and " + describe(item_count) +
                          " scales (got " + describe(contents.vectors_i8.size()) + " and " +
                          describe(contents.scales.size()) + ")");
  }
  for (float value : contents.vectors_f32) {
    if (!is_unit_component(value)) {
      return make_error(std::isfinite(value) ? error_code::invalid_argument : error_code::non_finite_value,
                        "f32 shard vectors must be finite unit vectors (a component is " + std::to_string(value) + ")");
    }
  }
  for (float scale : contents.scales) {
    if (!is_valid_scale(scale)) {
      return make_error(std::isfinite(scale) ? error_code::invalid_argument : error_code::non_finite_value,
                        "an i8 scale must be finite, non-negative and at most 1/127 (unit vectors)");
    }
  }

  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(layout->total_bytes), 0);
  std::memcpy(bytes.data(), shard_magic.data(), shard_magic.size());
  write_le(bytes, 8, shard_format_version);
  write_le(bytes, 10, static_cast<std::uint16_t>(shard_header_bytes));
  write_le(bytes, 12, contents.dimensions);
  write_le(bytes, 16, item_count);
  bytes[24] = static_cast<std::uint8_t>(contents.kind);
  bytes[25] = static_cast<std::uint8_t>(metric::cosine);
  write_le(bytes, 32, layout->vectors_offset);
  write_le(bytes, 40, layout->scales_offset);
  write_le(bytes, 48, layout->ids_offset);

  const auto vectors_at = static_cast<std::size_t>(layout->vectors_offset);
  if (contents.kind == quantization::f32) {
    if (!contents.vectors_f32.empty()) {
      std::memcpy(bytes.data() + vectors_at, contents.vectors_f32.data(), contents.vectors_f32.size_bytes());
    }
  } else if (!contents.vectors_i8.empty()) {
    std::memcpy(bytes.data() + vectors_at, contents.vectors_i8.data(), contents.vectors_i8.size_bytes());
    std::memcpy(bytes.data() + layout->scales_offset, contents.scales.data(), contents.scales.size_bytes());
  }
  if (!contents.item_ids.empty()) {
    std::memcpy(bytes.data() + layout->ids_offset, contents.item_ids.data(), contents.item_ids.size_bytes());
  }
  write_le(bytes, shard_checksum_offset, compute_shard_checksum(bytes));
  return bytes;
}

result<std::vector<std::uint8_t>> encode_shard_from_f32(std::uint32_t dimensions, quantization kind,
                                                       std::span<const float> vectors,
                                                       std::span<const std::uint64_t> item_ids) {
  // Same code as encode_shard for the same mistake: 0 dimensions is out of range, not a size mismatch.
  if (dimensions == 0 || dimensions > max_shard_dimensions) {
    return make_error(error_code::bad_dimensions, "dimensions must be between 1 and " +
                                                      describe(max_shard_dimensions) + ", got " +
                                                      describe(dimensions));
  }
  if (vectors.size() != item_ids.size() * dimensions) {
    return make_error(error_code::dimension_mismatch, describe(vectors.size()) + " components is not " +
                                                          describe(item_ids.size()) + " vectors of " +
                                                          describe(dimensions) + " dimensions");
  }
  shard_contents contents;
  contents.dimensions = dimensions;
  contents.kind = kind;
  contents.item_ids = item_ids;
  if (kind == quantization::f32) {
    contents.vectors_f32 = vectors;
    return encode_shard(contents);
  }
  std::vector<std::int8_t> codes(vectors.size());
  std::vector<float> scales(item_ids.size());
  for (std::size_t row = 0; row < item_ids.size(); ++row) {
    auto scale = vector::quantize_i8(vectors.subspan(row * dimensions, dimensions),
                                     std::span<std::int8_t>(codes).subspan(row * dimensions, dimensions));
    if (!scale) return std::move(scale).failure();
    scales[row] = scale.value();
  }
  contents.vectors_i8 = codes;
  contents.scales = scales;
  return encode_shard(contents);
}

result<shard_view> decode_shard(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < shard_header_bytes) {
    return make_error(error_code::truncated_header, "shard is " + describe(bytes.size()) +
                                                        " bytes, shorter than its 64-byte header");
  }
  shard_header header;
  std::memcpy(&header, bytes.data(), sizeof header);
  if (header.magic != shard_magic) {
    return make_error(error_code::bad_magic, "not a Mosaic shard: the first 8 bytes are not \\x89MOSAIC\\n");
  }
  if (header.format_version == 0) return make_error(error_code::bad_header, "shard format version 0 is invalid");
  if (header.format_version > shard_format_version) {
    return make_error(error_code::unsupported_version,
                      "shard format version " + describe(header.format_version) + " is newer than this reader (" +
                          describe(shard_format_version) + "); update Mosaic");
  }
  if (header.header_bytes != shard_header_bytes) {
    return make_error(error_code::bad_header, "header size field is " + describe(header.header_bytes) + ", expected 64");
  }
  if (header.quantization_kind > static_cast<std::uint8_t>(quantization::i8)) {
    return make_error(error_code::unsupported_quantization,
                      "unknown quantization kind " + describe(header.quantization_kind));
  }
  if (header.metric_kind != static_cast<std::uint8_t>(metric::cosine)) {
    return make_error(error_code::bad_header, "unknown metric kind " + describe(header.metric_kind));
  }
  if (header.reserved16 != 0 || header.reserved32 != 0) {
    return make_error(error_code::bad_header, "reserved header bytes 26-31 must be zero");
  }
  const auto kind = static_cast<quantization>(header.quantization_kind);
  auto layout = compute_shard_layout(header.dimensions, header.item_count, kind);
  if (!layout) return std::move(layout).failure();

  auto check_offset = [&](const char* name, std::uint64_t found, std::uint64_t expected) -> status {
    if (found == expected) return success{};
    return make_error(error_code::offset_out_of_range, std::string(name) + " is " + describe(found) +
                                                           " but the v1 layout puts it at " + describe(expected) +
                                                           " (shard is " + describe(bytes.size()) + " bytes)");
  };
  for (auto checked : {check_offset("vectors_offset", header.vectors_offset, layout->vectors_offset),
                       check_offset("scales_offset", header.scales_offset, layout->scales_offset),
                       check_offset("ids_offset", header.ids_offset, layout->ids_offset)}) {
    if (!checked) return std::move(checked).failure();
  }
  if (layout->total_bytes > bytes.size()) {
    return make_error(error_code::truncated_payload, "shard header describes " + describe(layout->total_bytes) +
                                                         " bytes but only " + describe(bytes.size()) + " are present");
  }
  if (layout->total_bytes < bytes.size()) {
    return make_error(error_code::trailing_bytes, "shard has " + describe(bytes.size() - layout->total_bytes) +
                                                      " bytes after its last block");
  }
  if (reinterpret_cast<std::uintptr_t>(bytes.data()) % 8 != 0) {
    return make_error(error_code::misaligned_buffer, "shard bytes must start at an 8-byte aligned address");
  }
  const std::uint64_t checksum = compute_shard_checksum(bytes);
  if (checksum != header.checksum) {
    return make_error(error_code::checksum_mismatch, "shard checksum mismatch: the file is corrupt or was modified");
  }

  shard_view view;
  view.dimensions = header.dimensions;
  view.item_count = static_cast<std::size_t>(header.item_count);
  view.kind = kind;
  const std::size_t component_count = view.item_count * view.dimensions;
  const std::uint8_t* vectors_at = bytes.data() + layout->vectors_offset;
  if (kind == quantization::f32) {
    view.vectors_f32 = {reinterpret_cast<const float*>(vectors_at), component_count};
    for (float value : view.vectors_f32) {
      if (!is_unit_component(value)) {
        return make_error(error_code::bad_payload_value,
                          "shard holds a vector component that is not finite or exceeds unit length");
      }
    }
  } else {
    view.vectors_i8 = {reinterpret_cast<const std::int8_t*>(vectors_at), component_count};
    view.scales = {reinterpret_cast<const float*>(bytes.data() + layout->scales_offset), view.item_count};
    for (float scale : view.scales) {
      if (!is_valid_scale(scale)) {
        return make_error(error_code::bad_payload_value,
                          "shard holds an int8 scale that is negative, non-finite or above 1/127");
      }
    }
  }
  view.id_bytes = bytes.subspan(static_cast<std::size_t>(layout->ids_offset), view.item_count * 8);
  return view;
}

std::uint64_t shard_view::item_id(std::size_t row) const noexcept {
  std::uint64_t id;
  std::memcpy(&id, id_bytes.data() + row * 8, sizeof id);
  return id;
}

void shard_view::row_as_f32(std::size_t row, std::span<float> out) const noexcept {
  const std::size_t start = row * dimensions;
  if (kind == quantization::f32) {
    std::memcpy(out.data(), vectors_f32.data() + start, dimensions * sizeof(float));
    return;
  }
  for (std::size_t i = 0; i < dimensions; ++i) out[i] = static_cast<float>(vectors_i8[start + i]) * scales[row];
}

}  // namespace mosaic::index
