// The partition decoders (shared/partition/partition_codec): the whole file, the head alone (bytes
// [0, rows_offset), one Range request) and single rows (each another Range request) of
// partitions/<hash>.bin, which a browser fetches from anywhere. Both checksums are recomputed first
// so mutations reach the layout and value checks. Invariants: an accepted whole file re-encodes to
// the same bytes (up to the padding between blocks and the agreement of the sign codes with the
// rows, which readers do not look at), its head alone is
// accepted with the same view, and each of its rows fetched alone decodes to the same row.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "partition/partition_codec.hpp"

using namespace mosaic::partition;

namespace {

constexpr std::size_t rows_offset_field = 40;
constexpr std::size_t head_checksum_field = 48;
constexpr std::size_t rows_checksum_field = 56;
constexpr std::size_t header_size = 64;

// Recomputes both checksums when the header's rows_offset lies inside the input.
void reseal(std::vector<std::uint8_t>& bytes) {
  if (bytes.size() < header_size) return;
  std::uint64_t rows_offset = 0;
  std::memcpy(&rows_offset, bytes.data() + rows_offset_field, sizeof rows_offset);
  if (rows_offset < header_size || rows_offset > bytes.size()) return;
  const std::uint64_t head = compute_head_checksum(bytes, rows_offset);
  mosaic::fuzz::write_little_endian(bytes, head_checksum_field, head);
  mosaic::fuzz::write_little_endian(bytes, rows_checksum_field, compute_rows_checksum(bytes, rows_offset, head));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A std::vector's buffer is 8-byte aligned, as the decoders require of their caller.
  std::vector<std::uint8_t> bytes(data, data + size);
  reseal(bytes);

  auto whole = decode_partition(bytes);
  if (!whole) MOSAIC_FUZZ_CHECK(!whole.failure().message.empty(), "a refusal must say why");

  // The head alone: the input cut at its rows_offset (when the header names one inside the input).
  std::uint64_t rows_offset = 0;
  if (bytes.size() >= header_size) std::memcpy(&rows_offset, bytes.data() + rows_offset_field, sizeof rows_offset);
  if (rows_offset >= header_size && rows_offset <= bytes.size()) {
    std::vector<std::uint8_t> head_bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(rows_offset));
    auto head = decode_partition_head(head_bytes);
    if (!head) {
      MOSAIC_FUZZ_CHECK(!head.failure().message.empty(), "a refusal must say why");
      MOSAIC_FUZZ_CHECK(!whole, "a whole partition was accepted but its head was refused: " + head.failure().message);
    } else {
      MOSAIC_FUZZ_CHECK(!head->has_rows, "a head has no rows");
      if (whole) {
        MOSAIC_FUZZ_CHECK(head->item_count == whole->item_count && head->dimensions == whole->dimensions &&
                              head->partition == whole->partition && head->rows_offset == whole->rows_offset,
                          "the head and the whole file disagree");
      }
      // Rows fetched alone: the first few the head names, from the input where it holds them.
      for (std::size_t row = 0; row < head->item_count && row < 4; ++row) {
        auto range = partition_row_range(head.value(), row);
        MOSAIC_FUZZ_CHECK(range.ok(), "a row of an accepted head has no range");
        if (range->offset + range->length > bytes.size()) break;
        std::vector<std::uint8_t> row_bytes(bytes.begin() + static_cast<std::ptrdiff_t>(range->offset),
                                            bytes.begin() + static_cast<std::ptrdiff_t>(range->offset + range->length));
        auto alone = decode_partition_row(head.value(), row_bytes);
        if (!alone) {
          MOSAIC_FUZZ_CHECK(!alone.failure().message.empty(), "a refusal must say why");
          MOSAIC_FUZZ_CHECK(!whole, "a row of an accepted partition was refused alone: " + alone.failure().message);
          continue;
        }
        if (whole) {
          const partition_row in_file = whole->row(row);
          MOSAIC_FUZZ_CHECK(std::memcmp(&in_file.scale, &alone->scale, sizeof(float)) == 0 &&
                                std::equal(in_file.codes.begin(), in_file.codes.end(), alone->codes.begin(), alone->codes.end()),
                            "a row alone differs from the same row in the whole file");
        }
        // A row with another length is refused.
        row_bytes.push_back(0);
        MOSAIC_FUZZ_CHECK(!decode_partition_row(head.value(), row_bytes).ok(), "a row with a byte too many was accepted");
      }
    }
  }
  if (!whole) return 0;

  // An accepted file re-encodes to its own bytes, with the padding readers skip zeroed.
  const partition_view& view = whole.value();
  std::vector<std::int8_t> codes;
  std::vector<float> scales;
  std::vector<std::uint64_t> ids;
  for (std::size_t row = 0; row < view.item_count; ++row) {
    const partition_row stored = view.row(row);
    codes.insert(codes.end(), stored.codes.begin(), stored.codes.end());
    scales.push_back(stored.scale);
    ids.push_back(view.item_id(row));
  }
  partition_contents contents;
  contents.dimensions = view.dimensions;
  contents.partition = view.partition;
  contents.centre = view.centre;
  contents.codes = codes;
  contents.scales = scales;
  contents.item_ids = ids;
  auto encoded = encode_partition(contents);
  MOSAIC_FUZZ_CHECK(encoded.ok(), encoded.ok() ? "" : encoded.failure().message);
  const auto layout = compute_partition_layout(view.dimensions, view.item_count);
  MOSAIC_FUZZ_CHECK(layout.ok(), "an accepted partition has no layout");
  for (std::uint64_t offset = header_size + 4ULL * view.dimensions; offset < layout->codes_offset; ++offset) bytes[offset] = 0;
  const std::uint64_t statistics_end = layout->statistics_offset + 8ULL * view.item_count;
  for (std::uint64_t offset = statistics_end; offset < layout->rows_offset; ++offset) bytes[offset] = 0;
  // Nor do readers check that the sign codes and the residual statistics agree with the rows (a head
  // fetched alone has no rows to compare with; the manifest's SHA-256 vouches for a whole file): codes
  // and statistics that disagree only steer the first pass, within the ranges readers do check. So both
  // are compared as the encoder makes them from the rows.
  const auto copy_encoded = [&](std::uint64_t begin, std::uint64_t end) {
    std::copy(encoded->begin() + static_cast<std::ptrdiff_t>(begin), encoded->begin() + static_cast<std::ptrdiff_t>(end),
              bytes.begin() + static_cast<std::ptrdiff_t>(begin));
  };
  copy_encoded(layout->codes_offset, layout->ids_offset);
  copy_encoded(layout->statistics_offset, statistics_end);
  reseal(bytes);
  if (encoded.value() != bytes) {
    std::size_t offset = 0;
    while (offset < bytes.size() && offset < encoded->size() && bytes[offset] == (*encoded)[offset]) ++offset;
    MOSAIC_FUZZ_CHECK(false, "an accepted partition re-encodes to other bytes: " + std::to_string(bytes.size()) +
                                 " bytes in, " + std::to_string(encoded->size()) + " out, first difference at byte " +
                                 std::to_string(offset));
  }
  return 0;
}
