// The shard decoder (shared/index/shard_codec): header and payload of shards/<hash>.bin, which a browser
// fetches from anywhere. The input's checksum is recomputed first so mutations reach the layout and
// payload checks. An accepted shard must read every row and re-encode to exactly the same bytes (the
// v1 layout is canonical: one valid encoding per content).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "index/shard_codec.hpp"

using namespace mosaic::index;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A std::vector's buffer is suitably aligned, as decode_shard requires of its caller.
  std::vector<std::uint8_t> bytes(data, data + size);
  if (bytes.size() >= shard_header_bytes) {
    mosaic::fuzz::write_little_endian(bytes, shard_checksum_offset, compute_shard_checksum(bytes));
  }
  auto decoded = decode_shard(bytes);
  if (!decoded) {
    MOSAIC_FUZZ_CHECK(!decoded.failure().message.empty(), "a refusal must say why");
    return 0;
  }
  const shard_view& view = decoded.value();
  std::vector<float> row(view.dimensions);
  std::vector<std::uint64_t> ids(view.item_count);
  for (std::size_t item = 0; item < view.item_count; ++item) {
    view.row_as_f32(item, row);
    ids[item] = view.item_id(item);
  }
  shard_contents contents;
  contents.dimensions = view.dimensions;
  contents.kind = view.kind;
  contents.vectors_f32 = view.vectors_f32;
  contents.vectors_i8 = view.vectors_i8;
  contents.scales = view.scales;
  contents.item_ids = ids;
  auto encoded = encode_shard(contents);
  MOSAIC_FUZZ_CHECK(encoded.ok(), encoded.ok() ? "" : encoded.failure().message);
  // docs/format.md says padding between blocks is zero, but the reader's checks (its steps 1-12) do not
  // look at it, so a shard with other padding decodes to the same content: compare with the padding
  // zeroed (and the checksum recomputed), which is what one canonical encoding per content means here.
  const auto layout = compute_shard_layout(view.dimensions, view.item_count, view.kind);
  MOSAIC_FUZZ_CHECK(layout.ok(), "an accepted shard has no layout");
  const std::uint64_t vectors_end =
      layout->vectors_offset + std::uint64_t{view.dimensions} * view.item_count * bytes_per_component(view.kind);
  const std::uint64_t next_block = view.kind == quantization::i8 ? layout->scales_offset : layout->ids_offset;
  for (std::uint64_t offset = vectors_end; offset < next_block; ++offset) bytes[offset] = 0;
  if (view.kind == quantization::i8) {
    for (std::uint64_t offset = layout->scales_offset + 4 * std::uint64_t{view.item_count}; offset < layout->ids_offset; ++offset) {
      bytes[offset] = 0;
    }
  }
  mosaic::fuzz::write_little_endian(bytes, shard_checksum_offset, compute_shard_checksum(bytes));
  if (encoded.value() != bytes) {
    std::size_t offset = 0;
    // The checksum (bytes 56-63) differs whenever anything else does: report the first other byte.
    while (offset < bytes.size() && offset < encoded->size() &&
           (bytes[offset] == (*encoded)[offset] || (offset >= shard_checksum_offset && offset < shard_header_bytes))) {
      ++offset;
    }
    MOSAIC_FUZZ_CHECK(false, "an accepted shard re-encodes to other bytes: " + std::to_string(bytes.size()) +
                                 " bytes in, " + std::to_string(encoded->size()) + " out, first difference at byte " +
                                 std::to_string(offset));
  }
  return 0;
}
