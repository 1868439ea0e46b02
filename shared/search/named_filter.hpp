#pragma once
// A filter as a client states it: by names ("label": "alice"), not by the ids the scan compares.
// The one reader of filters: POST /api/search and the browser's query options (both JSON) and the
// CLI's `--filter KEY=VALUE` all go through add_condition. The loaded index resolves names to ids
// (loaded_index::resolve_filter); a name the index has never seen matches nothing.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/result.hpp"

namespace mosaic::search {

struct named_filter {
  std::vector<std::string> modalities;  // any of these ("text", "image", ...); empty: every modality
  std::vector<std::string> labels;      // any of these; empty: any label, including none
  std::vector<std::string> tags;        // all of these
  std::vector<std::uint64_t> excluded_item_ids;
};

// One condition: `modality` (a known modality name), `label`, `tag`, or `exclude` (an item id, 16
// hexadecimal digits). Conditions of one key are alternatives for modality and label, all required
// for tags. invalid_argument for an unknown key, modality name or item id; nothing is added then.
status add_condition(named_filter& conditions, std::string_view key, std::string_view value);

// {"modality": "image" | [...], "label": ..., "tag": ..., "exclude": ...}; null or absent means no
// filter. Unknown keys are refused, so a misspelt key cannot silently widen a search.
result<named_filter> named_filter_from_json(const nlohmann::json& filter);

}  // namespace mosaic::search
