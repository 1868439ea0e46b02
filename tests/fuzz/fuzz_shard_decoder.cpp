// The shard decoder (shared/index/shard_codec): header and payload of shards/<hash>.bin, which a browser
// fetches from anywhere. The input's checksum is recomputed first so mutations reach the layout and
// payload checks. An accepted shard must read every row and re-encode to exactly the same bytes (the
// v1 layout is canonical: one valid encoding per content).
#include <cstddef>
#include <cstdint>
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
  MOSAIC_FUZZ_CHECK(encoded.value() == bytes, "an accepted shard re-encodes to other bytes");
  return 0;
}
