#include "search/result_json.hpp"

#include <cmath>
#include <string>

#include "index/item_metadata.hpp"

namespace mosaic::search {
namespace {

using nlohmann::json;

// A whole number in [smallest, largest] under `key` of `object`, or `fallback` when absent.
result<std::size_t> whole_number(const json& object, const char* key, const std::string& name, std::size_t fallback,
                                 std::size_t smallest, std::size_t largest) {
  if (!object.contains(key)) return fallback;
  const json& value = object[key];
  const std::string problem = "\"" + name + "\" must be a whole number from " + std::to_string(smallest) + " to " +
                              std::to_string(largest);
  // Any JSON number that is whole: JavaScript writes 5 and 5.0 alike.
  if (!value.is_number()) return make_error(error_code::invalid_argument, problem);
  const double number = value.get<double>();
  if (!(std::isfinite(number) && std::floor(number) == number && number >= static_cast<double>(smallest) &&
        number <= static_cast<double>(largest))) {
    return make_error(error_code::invalid_argument, problem);
  }
  return static_cast<std::size_t>(number);
}

result<float> bounded_fraction(const json& object, const char* key, const std::string& name, float smallest, float largest) {
  if (!object.contains(key)) return 0.0f;
  const json& value = object[key];
  const std::string problem = "\"" + name + "\" must be a number from " + std::to_string(static_cast<int>(smallest)) +
                              " to " + std::to_string(static_cast<int>(largest));
  if (!value.is_number()) return make_error(error_code::invalid_argument, problem);
  const double number = value.get<double>();
  if (!(number >= static_cast<double>(smallest) && number <= static_cast<double>(largest))) {
    return make_error(error_code::invalid_argument, problem);
  }
  return static_cast<float>(number);
}

}  // namespace

result<query_options> query_options_from_json(const json& request) {
  if (!request.is_object()) return make_error(error_code::invalid_argument, "the query options must be a JSON object");
  query_options options;
  if (request.contains("classify") && !request["classify"].is_null()) {
    const json& classify = request["classify"];
    if (!classify.is_object()) return make_error(error_code::invalid_argument, "\"classify\" must be an object");
    vote_options vote;
    auto voters = whole_number(classify, "k", "classify.k", vote.k, 1, 1000);
    if (!voters) return std::move(voters).failure();
    vote.k = voters.value();
    auto similarity = bounded_fraction(classify, "min_similarity", "classify.min_similarity", -1.0f, 1.0f);
    if (!similarity) return std::move(similarity).failure();
    vote.unknown_below = similarity.value();
    auto confidence = bounded_fraction(classify, "min_confidence", "classify.min_confidence", 0.0f, 1.0f);
    if (!confidence) return std::move(confidence).failure();
    vote.min_confidence = confidence.value();
    options.vote = vote;
  }
  if (request.contains("one_per_document")) {
    const json& grouping = request["one_per_document"];
    if (!grouping.is_boolean()) return make_error(error_code::invalid_argument, "\"one_per_document\" must be true or false");
    options.one_per_document = grouping.get<bool>();
  }
  auto k = whole_number(request, "k", "k", options.k, options.vote ? 0 : 1, max_query_k);
  if (!k) return std::move(k).failure();
  options.k = k.value();
  if (request.contains("filter")) {
    auto filter = named_filter_from_json(request["filter"]);
    if (!filter) return std::move(filter).failure();
    options.filter = std::move(filter).value();
  }
  return options;
}

result<query_options> query_options_from_json_text(std::string_view text) {
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded()) return make_error(error_code::invalid_json, "the query options are not valid JSON");
  return query_options_from_json(parsed);
}

std::string query_outcome_json_text(const loaded_index& index, const query_outcome& outcome) {
  return query_outcome_json(index, outcome).dump(-1, ' ', false, json::error_handler_t::replace);
}

json hit_json(const loaded_index& index, const index_hit& hit) {
  const index::item_metadata* item = index.item(hit.shard, hit.row);
  // Hits come from this index's own scan, so the item is always there; null keeps a bug visible.
  json answer{{"id", index::format_item_id(hit.item_id)},
              {"score", hit.score},
              {"item", item != nullptr ? index::item_metadata_json(*item) : json(nullptr)}};
  if (hit.matched_items > 1) answer["matched_items"] = hit.matched_items;
  return answer;
}

json query_outcome_json(const loaded_index& index, const query_outcome& outcome) {
  json results = json::array();
  for (const index_hit& hit : outcome.hits) results.push_back(hit_json(index, hit));
  json answer{{"results", std::move(results)}};
  if (outcome.vote) {
    const classification& vote = *outcome.vote;
    json neighbours = json::array();
    for (const index_hit& hit : vote.neighbours) neighbours.push_back(hit_json(index, hit));
    answer["classification"] = json{{"known", vote.known},
                                    {"label", vote.known ? json(vote.label) : json(nullptr)},
                                    {"confidence", vote.confidence},
                                    {"votes", vote.votes},
                                    {"considered", vote.considered},
                                    {"best_score", vote.best_score},
                                    {"neighbours", std::move(neighbours)}};
  }
  return answer;
}

}  // namespace mosaic::search
