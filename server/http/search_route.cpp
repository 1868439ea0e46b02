// POST /api/search: a query text (embedded by the provider, which must be the index's model, and read
// by the keyword index) or a query vector (with an optional text for the keyword side), with the core's
// query options (k, filter, classify, mode: search/result_json.hpp), answered with ranked items and,
// when asked, the label vote. A keyword search embeds nothing. The search runs on the workers.
#include <cmath>
#include <limits>

#include "embed/unicode_normalization.hpp"
#include "http/api_routes.hpp"
#include "search/result_json.hpp"

namespace mosaic::server {
namespace {

using nlohmann::json;

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
  search::query_options options;
  std::vector<float> query;  // empty until embedded, for a text query
};

// The scan and the answer; runs on the workers. Items are written by the core (search/result_json),
// in the shape the browser's API and `mosaic query --json` give too; their paths (thumbnail, media)
// are relative to the index, which this server serves under index/.
string_response run_search(const loaded_site& site, const string_request& request, const search_request& parsed) {
  auto outcome = site.index.query(parsed.query, site.shards, parsed.options);
  if (!outcome) return error_response(request, outcome.failure());
  json answer = search::query_outcome_json(site.index, outcome.value());
  answer["model"] = site.manifest().model_id;
  answer["generation"] = site.manifest().generation;
  answer["index_path"] = "index/";
  return json_response(request, http::status::ok, answer);
}

}  // namespace

void handle_api_search(const server_context& context, shared_request request, response_callback done) {
  if (!context.site) return done(error_response(*request, http::status::not_found, "no_index", "this server serves no index (--site)"));
  // The site is held for the whole search, even if the served index is replaced meanwhile.
  std::shared_ptr<const loaded_site> site = context.site->current();
  auto body = parse_json_body(*request);
  if (!body) return done(error_response(*request, body.failure()));
  auto parsed = std::make_shared<search_request>();
  auto options = search::query_options_from_json(body.value());
  if (!options) return done(error_response(*request, options.failure()));
  parsed->options = std::move(options).value();
  auto busy = [request, done] {
    done(error_response(*request, make_error(error_code::upstream_unavailable, "the server is busy; try again shortly", 1)));
  };
  const bool has_text = body->contains("text");
  if (has_text) {
    if (!(*body)["text"].is_string()) {
      return done(error_response(*request, http::status::bad_request, "invalid_argument", "\"text\" must be a string: give \"text\" or \"vector\""));
    }
    // The keyword index reads NFKC text, as the indexer wrote it.
    auto normalized = normalize_nfkc((*body)["text"].get<std::string>());
    if (!normalized) return done(error_response(*request, normalized.failure()));
    parsed->options.text = std::move(normalized).value();
  }
  const bool keyword_only = parsed->options.mode == search::search_mode::keyword;
  if (keyword_only && !parsed->options.vote) {
    if (!has_text) return done(error_response(*request, http::status::bad_request, "invalid_argument", "a keyword search needs \"text\""));
    return run_on_workers(context, [site, request, parsed, done] { done(run_search(*site, *request, *parsed)); }, busy);
  }
  if (body->contains("vector")) {
    auto query = parse_query_vector((*body)["vector"], site->manifest().dimensions);
    if (!query) return done(error_response(*request, query.failure()));
    parsed->query = std::move(query).value();
    return run_on_workers(context, [site, request, parsed, done] { done(run_search(*site, *request, *parsed)); }, busy);
  }
  if (!has_text) {
    return done(error_response(*request, http::status::bad_request, "invalid_argument", "give \"text\" or \"vector\""));
  }
  if (context.provider == nullptr || context.provider->model_id() != site->manifest().model_id) {
    return done(error_response(*request, http::status::bad_request, "model_mismatch",
                               "the index was built with " + site->manifest().model_id +
                                   ", which this server cannot embed text for"));
  }
  embedding_batch batch;
  batch.task = embedding_task::retrieval_query;
  batch.dimensions = site->manifest().dimensions;
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
