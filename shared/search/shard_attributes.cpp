#include "search/shard_attributes.hpp"

#include <algorithm>

namespace mosaic::search {

std::uint32_t string_dictionary::intern(const std::string& name) {
  if (name.empty()) return 0;
  const auto [position, inserted] = ids_.try_emplace(name, static_cast<std::uint32_t>(names_.size()));
  if (inserted) names_.push_back(name);
  return position->second;
}

std::optional<std::uint32_t> string_dictionary::find(const std::string& name) const {
  if (name.empty()) return 0u;
  const auto found = ids_.find(name);
  if (found == ids_.end()) return std::nullopt;
  return found->second;
}

const std::string& string_dictionary::name(std::uint32_t id) const {
  return id < names_.size() ? names_[id] : names_.front();
}

shard_attributes build_attributes(std::span<const index::item_metadata> items, string_dictionary& labels,
                                  string_dictionary& tags) {
  shard_attributes attributes;
  attributes.modalities.reserve(items.size());
  attributes.labels.reserve(items.size());
  attributes.tag_offsets.reserve(items.size() + 1);
  attributes.tag_offsets.push_back(0);
  for (const index::item_metadata& item : items) {
    attributes.modalities.push_back(item.kind);
    attributes.labels.push_back(labels.intern(item.label));
    const std::size_t row_start = attributes.tags.size();
    for (const std::string& tag : item.tags) attributes.tags.push_back(tags.intern(tag));
    const auto row_first = attributes.tags.begin() + static_cast<std::ptrdiff_t>(row_start);
    std::sort(row_first, attributes.tags.end());
    attributes.tags.erase(std::unique(row_first, attributes.tags.end()), attributes.tags.end());
    attributes.tag_offsets.push_back(static_cast<std::uint32_t>(attributes.tags.size()));
  }
  return attributes;
}

}  // namespace mosaic::search
