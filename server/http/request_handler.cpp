#include "http/request_handler.hpp"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "embed/unicode_normalization.hpp"
#include "http/static_files.hpp"
#include "index/item_metadata.hpp"
#include "vector/normalize.hpp"

namespace mosaic::server {
namespace {

using nlohmann::json;

// One function decides the HTTP status of every core error code (ARCHITECTURE rule 3).
http::status status_for(error_code code) {
  switch (code) {
    case error_code::model_not_installed:
    case error_code::io_error: return http::status::service_unavailable;
    case error_code::checksum_mismatch:
    case error_code::invalid_manifest: return http::status::internal_server_error;
    case error_code::media_too_large: return http::status::payload_too_large;
    case error_code::unsupported_media: return http::status::unsupported_media_type;
    default: return http::status::bad_request;
  }
}

string_response json_response(const string_request& request, http::status status, const json& body) {
  string_response response{status, request.version()};
  response.set(http::field::content_type, "application/json");
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  response.body() = body.dump(-1, ' ', false, json::error_handler_t::replace);
  response.prepare_payload();
  return response;
}

string_response error_response(const string_request& request, http::status status, std::string_view code,
                               const std::string& message) {
  return json_response(request, status, json{{"error", {{"code", code}, {"message", message}}}});
}

string_response error_response(const string_request& request, const error& failure) {
  return error_response(request, status_for(failure.code), error_code_name(failure.code), failure.message);
}

result<json> parse_body(const string_request& request) {
  json body = json::parse(request.body(), nullptr, false);
  // Two messages, so a caller can tell a malformed body (or invalid UTF-8 in it) from a wrong shape.
  if (body.is_discarded()) return make_error(error_code::invalid_json, "the request body is not valid JSON (or not UTF-8)");
  if (!body.is_object()) return make_error(error_code::invalid_json, "the request body must be a JSON object");
  return body;
}

// RFC 9110 requires a 405 to list the methods the resource does support.
string_response method_not_allowed(const string_request& request, std::string_view allowed) {
  string_response response = error_response(request, http::status::method_not_allowed, "method_not_allowed",
                                             "use " + std::string(allowed));
  response.set(http::field::allow, std::string(allowed));
  return response;
}

// Embeds one input (a list of parts) with the local model: text parts only; several parts are fused
// into one vector (the normalized mean), as an interleaved Gemini input would be.
result<std::vector<float>> embed_input(const server_context& context, const json& input, std::size_t position) {
  const std::string where = "inputs[" + std::to_string(position) + "]";
  const json* parts = input.is_object() && input.contains("parts") ? &input["parts"] : nullptr;
  if (parts == nullptr || !parts->is_array() || parts->empty()) {
    return make_error(error_code::invalid_argument, where + " needs a non-empty \"parts\" array");
  }
  std::vector<float> sum(context.local_model->dimensions(), 0.0f);
  for (std::size_t part_index = 0; part_index < parts->size(); ++part_index) {
    const json& part = (*parts)[part_index];
    const std::string part_where = where + ".parts[" + std::to_string(part_index) + "]";
    if (!part.is_object() || !part.contains("text") || !part["text"].is_string()) {
      return make_error(error_code::invalid_argument,
                        part_where + ": the local model embeds text only (a part must be {\"text\": …})");
    }
    const auto& text = part["text"].get_ref<const std::string&>();
    if (text.size() > context.max_text_bytes) {
      return make_error(error_code::invalid_argument, part_where + ": text is longer than " +
                                                          std::to_string(context.max_text_bytes) + " bytes");
    }
    auto normalized = normalize_nfkc(text);
    if (!normalized) return make_error(normalized.failure().code, part_where + ": " + normalized.failure().message);
    auto embedding = context.local_model->embed(normalized.value());
    if (!embedding) return make_error(embedding.failure().code, part_where + ": " + embedding.failure().message);
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += embedding->vector[i];
  }
  if (auto normalized = vector::l2_normalize(sum); !normalized) return std::move(normalized).failure();
  return sum;
}

string_response handle_embed(const server_context& context, const string_request& request) {
  if (context.local_model == nullptr) {
    return error_response(request, http::status::service_unavailable, "no_provider", "no embedding provider is configured");
  }
  auto body = parse_body(request);
  if (!body) return error_response(request, body.failure());
  const json* inputs = body->contains("inputs") ? &(*body)["inputs"] : nullptr;
  if (inputs == nullptr || !inputs->is_array() || inputs->empty()) {
    return error_response(request, http::status::bad_request, "invalid_argument", "\"inputs\" must be a non-empty array");
  }
  if (inputs->size() > context.max_inputs) {
    return error_response(request, http::status::bad_request, "invalid_argument",
                          "at most " + std::to_string(context.max_inputs) + " inputs per request");
  }
  const std::size_t full = context.local_model->dimensions();
  std::size_t dimensions = full;
  if (body->contains("dimensions")) {
    const json& requested = (*body)["dimensions"];
    if (!requested.is_number_unsigned() || requested.get<std::uint64_t>() == 0 || requested.get<std::uint64_t>() > full) {
      return error_response(request, http::status::bad_request, "invalid_argument",
                            "\"dimensions\" must be a whole number from 1 to " + std::to_string(full));
    }
    dimensions = static_cast<std::size_t>(requested.get<std::uint64_t>());
  }
  if (body->contains("task")) {
    const json& task = (*body)["task"];
    if (!task.is_string() || (task.get_ref<const std::string&>() != "query" && task.get_ref<const std::string&>() != "document")) {
      return error_response(request, http::status::bad_request, "invalid_argument", "\"task\" must be \"query\" or \"document\"");
    }
  }
  json embeddings = json::array();
  for (std::size_t position = 0; position < inputs->size(); ++position) {
    auto vector = embed_input(context, (*inputs)[position], position);
    if (!vector) return error_response(request, vector.failure());
    auto truncated = vector::truncate_and_normalize(vector.value(), dimensions);
    if (!truncated) return error_response(request, truncated.failure());
    embeddings.push_back(truncated.value());
  }
  return json_response(request, http::status::ok,
                       json{{"model", model::use_lite_model_id}, {"dimensions", dimensions}, {"embeddings", embeddings}});
}

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
  auto labels = strings("label");
  if (!labels) return std::move(labels).failure();
  for (const std::string& label : labels.value()) conditions.any_of_labels.push_back(site.labels.find(label).value_or(0xFFFFFFFFu));
  auto tags = strings("tag");
  if (!tags) return std::move(tags).failure();
  for (const std::string& tag : tags.value()) conditions.all_of_tags.push_back(site.tags.find(tag).value_or(0xFFFFFFFFu));
  return conditions;
}

string_response handle_search(const server_context& context, const string_request& request) {
  if (!context.site) return error_response(request, http::status::not_found, "no_index", "this server serves no index (--site)");
  auto body = parse_body(request);
  if (!body) return error_response(request, body.failure());
  const loaded_site& site = *context.site;
  std::vector<float> query;
  if (body->contains("vector")) {
    const json& values = (*body)["vector"];
    if (!values.is_array() || values.size() != site.manifest.dimensions) {
      return error_response(request, http::status::bad_request, "invalid_argument",
                            "\"vector\" must hold " + std::to_string(site.manifest.dimensions) + " numbers");
    }
    for (const json& value : values) {
      if (!value.is_number()) return error_response(request, http::status::bad_request, "invalid_argument", "\"vector\" must hold numbers");
      // JSON numbers are doubles; converting one beyond float's range to float is undefined behaviour.
      if (std::fabs(value.get<double>()) > static_cast<double>(std::numeric_limits<float>::max())) {
        return error_response(request, http::status::bad_request, "invalid_argument",
                              "\"vector\" must hold numbers within the float range");
      }
      query.push_back(value.get<float>());
    }
  } else if (body->contains("text") && (*body)["text"].is_string()) {
    if (site.manifest.model_id != model::use_lite_model_id || context.local_model == nullptr) {
      return error_response(request, http::status::bad_request, "model_mismatch",
                            "the index was built with " + site.manifest.model_id + ", which this server cannot embed text for");
    }
    json embed_body{{"inputs", json::array({json{{"parts", json::array({json{{"text", (*body)["text"]}}})}}})}};
    auto vector = embed_input(context, embed_body["inputs"][0], 0);
    if (!vector) return error_response(request, vector.failure());
    auto truncated = vector::truncate_and_normalize(vector.value(), site.manifest.dimensions);
    if (!truncated) return error_response(request, truncated.failure());
    query = std::move(truncated).value();
  } else {
    return error_response(request, http::status::bad_request, "invalid_argument", "give \"text\" or \"vector\"");
  }
  search::search_options options;
  if (body->contains("k")) {
    const json& k = (*body)["k"];
    if (!k.is_number_unsigned() || k.get<std::uint64_t>() == 0 || k.get<std::uint64_t>() > 1000) {
      return error_response(request, http::status::bad_request, "invalid_argument", "\"k\" must be a whole number from 1 to 1000");
    }
    options.k = static_cast<std::size_t>(k.get<std::uint64_t>());
  }
  auto conditions = parse_filter(body->value("filter", json()), site);
  if (!conditions) return error_response(request, conditions.failure());
  options.filter = std::move(conditions).value();
  const auto shards = site.searchable();
  auto hits = search::top_k(query, shards, options);
  if (!hits) return error_response(request, hits.failure());
  json results = json::array();
  for (const search::search_hit& hit : hits.value()) {
    const index::item_metadata& item = site.item(hit);
    json result{{"id", index::format_item_id(item.id)}, {"score", hit.score}, {"title", item.title},
                {"source", item.source}, {"modality", index::modality_name(item.kind)}, {"mime_type", item.mime_type}};
    if (!item.label.empty()) result["label"] = item.label;
    if (!item.snippet.empty()) result["snippet"] = item.snippet;
    if (!item.thumbnail.empty()) result["thumbnail"] = "index/" + item.thumbnail;
    results.push_back(std::move(result));
  }
  return json_response(request, http::status::ok,
                       json{{"model", site.manifest.model_id}, {"generation", site.manifest.generation}, {"results", results}});
}

string_response handle_health(const server_context& context, const string_request& request) {
  json health{{"status", "ok"}};
  if (context.local_model != nullptr) health["provider"] = {{"name", "local"}, {"model", model::use_lite_model_id}};
  if (context.site) {
    health["index"] = {{"model", context.site->manifest.model_id},
                       {"generation", context.site->manifest.generation},
                       {"items", context.site->manifest.item_count()}};
  }
  return json_response(request, http::status::ok, health);
}

string_response serve_file(const std::filesystem::path& root, std::string_view relative, cache_policy policy,
                           const string_request& request) {
  static_request file_request;
  file_request.relative_path = relative;
  const auto if_none_match = request[http::field::if_none_match];
  const auto range = request[http::field::range];
  file_request.if_none_match = std::string_view(if_none_match.data(), if_none_match.size());
  file_request.range = std::string_view(range.data(), range.size());
  file_request.head = request.method() == http::verb::head;
  file_request.policy = policy;
  static_response file = serve_static_file(root, file_request);
  string_response response{static_cast<http::status>(file.status), request.version()};
  response.keep_alive(request.keep_alive());
  if (!file.content_type.empty()) response.set(http::field::content_type, file.content_type);
  if (!file.etag.empty()) response.set(http::field::etag, file.etag);
  if (!file.cache_control.empty()) response.set(http::field::cache_control, file.cache_control);
  if (!file.content_range.empty()) response.set(http::field::content_range, file.content_range);
  if (file.status == 200 || file.status == 206) response.set(http::field::accept_ranges, "bytes");
  response.set("X-Content-Type-Options", "nosniff");
  response.body() = std::move(file.body);
  if (file.status != 304) response.content_length(file.content_length);
  return response;
}

}  // namespace

std::uint64_t body_limit_for(std::string_view target) {
  if (target.starts_with("/api/embed")) return 32ULL * 1024 * 1024;  // room for inline media (issue: 20 MB cap upstream)
  if (target.starts_with("/api/")) return 1024 * 1024;
  return 16 * 1024;  // GET requests carry no body
}

namespace {

string_response route_request(const server_context& context, const string_request& request) {
  const std::string_view target(request.target().data(), request.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  if (path.starts_with("/api/")) {
    if (path == "/api/health") {
      if (request.method() != http::verb::get && request.method() != http::verb::head) {
        return method_not_allowed(request, "GET, HEAD");
      }
      return handle_health(context, request);
    }
    // An unknown route is missing whatever the method: 405 would claim the resource exists.
    if (path != "/api/embed" && path != "/api/search") {
      return error_response(request, http::status::not_found, "not_found", "no such API route");
    }
    if (request.method() != http::verb::post) return method_not_allowed(request, "POST");
    if (path == "/api/embed") return handle_embed(context, request);
    return handle_search(context, request);
  }
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    return method_not_allowed(request, "GET, HEAD");
  }
  auto decoded = decode_url_path(target);
  if (!decoded) return error_response(request, http::status::bad_request, "bad_path", decoded.failure().message);
  const std::string& relative = decoded.value();
  constexpr std::string_view index_prefix = "index/";
  if (relative.starts_with(index_prefix)) {
    if (context.site_directory.empty()) return error_response(request, http::status::not_found, "no_index", "no index is served");
    const std::string inside = relative.substr(index_prefix.size());
    // Everything but the manifest is content-addressed, so it can be cached forever.
    const cache_policy policy = inside == "manifest.json" ? cache_policy::revalidate : cache_policy::immutable;
    return serve_file(context.site_directory, inside, policy, request);
  }
  if (context.web_directory.empty()) return error_response(request, http::status::not_found, "not_found", "no web app is served");
  return serve_file(context.web_directory, relative, cache_policy::revalidate, request);
}

}  // namespace

string_response handle_request(const server_context& context, const string_request& request) {
  string_response response = route_request(context, request);
  // A HEAD answer has the headers a GET would get (Content-Length included) but never a body: the
  // serializer writes whatever the body holds, and a client would read it as the next response.
  if (request.method() == http::verb::head) response.body().clear();
  return response;
}

}  // namespace mosaic::server
