// POST /api/search: a query text (embedded by the provider, which must be the index's model) or a
// query vector, k, and filters, answered with ranked items. The scan runs on the workers.
#include <cmath>
#include <limits>

#include "http/api_routes.hpp"
#include "index/item_metadata.hpp"
#include "search/top_k.hpp"

namespace mosaic::server {
namespace {

using nlohmann::json;

result<search::filter> parse_filter(const json& filter, const loaded_site& site) {
  search::filter conditions;
  if (filter.is_null()) return conditions;
  if (!filter.is_object()) return make_error(error_code::invalid_argument, "\"filter\" must be an object");
  auto strings = [&](const char* key) -> result<std::vector<std::string>> {
    std::vector<std::string> values;
    if (!filter.contains(key)) return values;
    const json& list = filter[key];
    if (list.is_string()) return std::vector<std::string>{list.get<std::string>()};
    if (!list.is_array()) return make_error(error_code::invalid_argument, std::string("filter.") + key + " must be a string or an array of strings");
    for (const json& value : list) {
      if (!value.is_string()) return make_error(error_code::invalid_argument, std::string("filter.") + key + " must hold strings");
      values.push_back(value.get<std::string>());
    }
    return values;
  };
  auto modalities = strings("modality");
  if (!modalities) return std::move(modalities).failure();
  if (!modalities->empty()) {
    conditions.modality_mask = 0;
    for (const std::string& name : modalities.value()) {
      auto kind = index::parse_modality(name);
      if (!kind) return std::move(kind).failure();
      conditions.modality_mask |= index::modality_bit(kind.value());
    }
  }
  // A label or tag the index does not have matches nothing (not everything): an id no item carries.
  auto labels = strings("label");
  if (!labels) return std::move(labels).failure();
  for (const std::string& label : labels.value()) conditions.any_of_labels.push_back(site.labels.find(label).value_or(0xFFFFFFFFu));
  auto tags = strings("tag");
  if (!tags) return std::move(tags).failure();
  for (const std::string& tag : tags.value()) conditions.all_of_tags.push_back(site.tags.find(tag).value_or(0xFFFFFFFFu));
  return conditions;
}

result<std::vector<float>> parse_query_vector(const json& values, std::size_t dimensions) {
  if (!values.is_array() || values.size() != dimensions) {
    return make_error(error_code::invalid_argument, "\"vector\" must hold " + std::to_string(dimensions) + " numbers");
  }
  std::vector<float> query;
  query.reserve(dimensions);
  for (const json& value : values) {
    if (!value.is_number()) return make_error(error_code::invalid_argument, "\"vector\" must hold numbers");
    // JSON numbers are doubles; converting one beyond float's range to float is undefined behaviour.
    if (std::fabs(value.get<double>()) > static_cast<double>(std::numeric_limits<float>::max())) {
      return make_error(error_code::invalid_argument, "\"vector\" must hold numbers within the float range");
    }
    query.push_back(value.get<float>());
  }
  return query;
}

struct search_request {
  search::search_options options;
  std::vector<float> query;  // empty until embedded, for a text query
};

// The scan and the answer; runs on the workers.
string_response run_search(const loaded_site& site, const string_request& request, const search_request& parsed) {
  const auto shards = site.searchable();
  auto hits = search::top_k(parsed.query, shards, parsed.options);
  if (!hits) return error_response(request, hits.failure());
  json results = json::array();
  for (const search::search_hit& hit : hits.value()) {
    const index::item_metadata& item = site.item(hit);
    json result{{"id", index::format_item_id(item.id)}, {"score", hit.score}, {"title", item.title},
                {"source", item.source}, {"modality", index::modality_name(item.kind)}, {"mime_type", item.mime_type}};
    if (!item.label.empty()) result["label"] = item.label;
    if (!item.snippet.empty()) result["snippet"] = item.snippet;
    if (!item.thumbnail.empty()) result["thumbnail"] = "index/" + item.thumbnail;
    if (!item.media.empty()) result["media"] = "index/" + item.media;
    results.push_back(std::move(result));
  }
  return json_response(request, http::status::ok,
                       json{{"model", site.manifest.model_id}, {"generation", site.manifest.generation}, {"results", results}});
}

}  // namespace

void handle_api_search(const server_context& context, shared_request request, response_callback done) {
  if (!context.site) return done(error_response(*request, http::status::not_found, "no_index", "this server serves no index (--site)"));
  // The site is held for the whole search, even if the served index is replaced meanwhile.
  std::shared_ptr<const loaded_site> site = context.site->current();
  auto body = parse_json_body(*request);
  if (!body) return done(error_response(*request, body.failure()));
  auto parsed = std::make_shared<search_request>();
  if (body->contains("k")) {
    const json& k = (*body)["k"];
    if (!k.is_number_unsigned() || k.get<std::uint64_t>() == 0 || k.get<std::uint64_t>() > 1000) {
      return done(error_response(*request, http::status::bad_request, "invalid_argument", "\"k\" must be a whole number from 1 to 1000"));
    }
    parsed->options.k = static_cast<std::size_t>(k.get<std::uint64_t>());
  }
  auto conditions = parse_filter(body->value("filter", json()), *site);
  if (!conditions) return done(error_response(*request, conditions.failure()));
  parsed->options.filter = std::move(conditions).value();
  auto busy = [request, done] {
    done(error_response(*request, make_error(error_code::upstream_unavailable, "the server is busy; try again shortly", 1)));
  };
  if (body->contains("vector")) {
    auto query = parse_query_vector((*body)["vector"], site->manifest.dimensions);
    if (!query) return done(error_response(*request, query.failure()));
    parsed->query = std::move(query).value();
    return run_on_workers(context, [site, request, parsed, done] { done(run_search(*site, *request, *parsed)); }, busy);
  }
  if (!body->contains("text") || !(*body)["text"].is_string()) {
    return done(error_response(*request, http::status::bad_request, "invalid_argument", "give \"text\" or \"vector\""));
  }
  if (context.provider == nullptr || context.provider->model_id() != site->manifest.model_id) {
    return done(error_response(*request, http::status::bad_request, "model_mismatch",
                               "the index was built with " + site->manifest.model_id +
                                   ", which this server cannot embed text for"));
  }
  embedding_batch batch;
  batch.task = embedding_task::retrieval_query;
  batch.dimensions = site->manifest.dimensions;
  batch.inputs.push_back(embedding_input{{embedding_part{(*body)["text"].get<std::string>(), {}, {}}}, {}});
  if (auto prepared = prepare_input(batch.inputs.front(), context.limits, "text"); !prepared) {
    return done(error_response(*request, prepared.failure()));
  }
  context.provider->embed(std::move(batch), [&context, site, request, parsed, done, busy](result<embedding_vectors> vectors) {
    if (!vectors) return done(error_response(*request, vectors.failure()));
    parsed->query = std::move(vectors->front());
    run_on_workers(context, [site, request, parsed, done] { done(run_search(*site, *request, *parsed)); }, busy);
  });
}

}  // namespace mosaic::server
