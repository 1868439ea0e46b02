#include "search/document_grouping.hpp"

#include <string>
#include <unordered_map>

namespace mosaic::search {

std::vector<grouped_hit> best_hit_per_document(std::size_t hit_count,
                                               const std::function<std::string_view(std::size_t)>& document_of,
                                               std::size_t k) {
  std::vector<grouped_hit> groups;
  if (k == 0) return groups;
  // Document -> its group; hits after the k-th document only add to the counts of documents kept.
  std::unordered_map<std::string_view, std::size_t> group_of;
  for (std::size_t position = 0; position < hit_count; ++position) {
    const std::string_view document = document_of(position);
    if (document.empty()) {
      if (groups.size() < k) groups.push_back({position, 1});
      continue;
    }
    const auto [found, inserted] = group_of.try_emplace(document, groups.size());
    if (!inserted) {
      if (found->second < groups.size()) ++groups[found->second].matched_items;
      continue;
    }
    if (groups.size() < k) groups.push_back({position, 1});
    else found->second = static_cast<std::size_t>(-1);  // seen, not kept
  }
  return groups;
}

}  // namespace mosaic::search
