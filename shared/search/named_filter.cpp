#include "search/named_filter.hpp"

#include <array>
#include <nlohmann/json.hpp>

#include "index/item_metadata.hpp"
#include "index/modality.hpp"

namespace mosaic::search {
namespace {

constexpr std::array<std::string_view, 4> filter_keys{"modality", "label", "tag", "exclude"};

}  // namespace

status add_condition(named_filter& conditions, std::string_view key, std::string_view value) {
  if (key == "modality") {
    auto kind = index::parse_modality(value);
    if (!kind) return std::move(kind).failure();
    conditions.modalities.emplace_back(value);
    return success{};
  }
  if (key == "label") {
    conditions.labels.emplace_back(value);
    return success{};
  }
  if (key == "tag") {
    conditions.tags.emplace_back(value);
    return success{};
  }
  if (key == "exclude") {
    auto id = index::parse_item_id(value);
    if (!id) {
      return make_error(error_code::invalid_argument,
                        "filter.exclude: '" + std::string(value) + "' is not an item id (16 hexadecimal digits)");
    }
    conditions.excluded_item_ids.push_back(id.value());
    return success{};
  }
  return make_error(error_code::invalid_argument,
                    "unknown filter key '" + std::string(key) + "' (use modality, label, tag or exclude)");
}

result<named_filter> named_filter_from_json(const nlohmann::json& filter) {
  named_filter conditions;
  if (filter.is_null()) return conditions;
  if (!filter.is_object()) return make_error(error_code::invalid_argument, "\"filter\" must be an object");
  for (const auto& [key, values] : filter.items()) {
    bool known = false;
    for (std::string_view name : filter_keys) known = known || key == name;
    if (!known) return make_error(error_code::invalid_argument, "unknown filter key '" + key + "' (use modality, label, tag or exclude)");
    if (values.is_null()) continue;
    const std::string problem = "filter." + key + " must be a string or an array of strings";
    if (values.is_string()) {
      if (auto added = add_condition(conditions, key, values.get_ref<const std::string&>()); !added) return std::move(added).failure();
      continue;
    }
    if (!values.is_array()) return make_error(error_code::invalid_argument, problem);
    for (const nlohmann::json& value : values) {
      if (!value.is_string()) return make_error(error_code::invalid_argument, problem);
      if (auto added = add_condition(conditions, key, value.get_ref<const std::string&>()); !added) return std::move(added).failure();
    }
  }
  return conditions;
}

}  // namespace mosaic::search
