#pragma once
// Filters are applied inside the scan: a row that fails is never scored, so k filtered results are
// always the k best matching rows (filtering after a top-k would return fewer, or the wrong ones).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "index/modality.hpp"
#include "search/shard_attributes.hpp"

namespace mosaic::search {

struct filter {
  std::uint32_t modality_mask = index::all_modalities_mask;
  std::vector<std::uint32_t> any_of_labels;        // empty: any label, including none
  std::vector<std::uint32_t> all_of_tags;          // every one must be on the row
  std::vector<std::uint64_t> excluded_item_ids;    // e.g. the item itself for "more like this"

  [[nodiscard]] bool needs_attributes() const noexcept {
    return modality_mask != index::all_modalities_mask || !any_of_labels.empty() || !all_of_tags.empty();
  }
  [[nodiscard]] bool is_unrestricted() const noexcept { return !needs_attributes() && excluded_item_ids.empty(); }
};

// True when row `row` of a shard with these attributes passes the attribute part of the filter.
inline bool row_passes(const filter& conditions, const shard_attributes& attributes, std::size_t row) noexcept {
  if ((conditions.modality_mask & index::modality_bit(attributes.modalities[row])) == 0) return false;
  if (!conditions.any_of_labels.empty() &&
      std::find(conditions.any_of_labels.begin(), conditions.any_of_labels.end(), attributes.labels[row]) ==
          conditions.any_of_labels.end()) {
    return false;
  }
  if (!conditions.all_of_tags.empty()) {
    const std::uint32_t* const first = attributes.tags.data() + attributes.tag_offsets[row];
    const std::uint32_t* const last = attributes.tags.data() + attributes.tag_offsets[row + 1];
    for (std::uint32_t tag : conditions.all_of_tags) {
      if (!std::binary_search(first, last, tag)) return false;
    }
  }
  return true;
}

}  // namespace mosaic::search
