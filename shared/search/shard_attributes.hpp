#pragma once
// What the scan's filters read of each row: its modality, its label id and its tag ids, in compact
// per-shard arrays built from the item metadata. Labels and tags become ids of collection-wide
// dictionaries, so one filter compares ids across every shard of an index.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "index/item_metadata.hpp"
#include "index/modality.hpp"

namespace mosaic::search {

// Per-row attributes of one shard. Label 0 means "no label".
struct shard_attributes {
  std::vector<index::modality> modalities;  // one per row
  std::vector<std::uint32_t> labels;        // one per row
  std::vector<std::uint32_t> tag_offsets;   // row r's tags are tags[tag_offsets[r] .. tag_offsets[r+1])
  std::vector<std::uint32_t> tags;          // sorted ascending within each row
};

// Collection-wide string -> id dictionary for labels and tags. Id 0 is reserved for "none".
class string_dictionary {
 public:
  string_dictionary() { names_.emplace_back(); }
  std::uint32_t intern(const std::string& name);
  [[nodiscard]] std::optional<std::uint32_t> find(const std::string& name) const;
  [[nodiscard]] const std::string& name(std::uint32_t id) const;  // "" for unknown ids
  [[nodiscard]] std::size_t size() const noexcept { return names_.size(); }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::uint32_t> ids_;
};

shard_attributes build_attributes(std::span<const index::item_metadata> items, string_dictionary& labels,
                                  string_dictionary& tags);

}  // namespace mosaic::search
