#include "embedding_api.hpp"

#include <exception>
#include <nlohmann/json.hpp>
#include <optional>

#include "embed/float_json.hpp"
#include "google_errors.hpp"
#include "media_keeper.hpp"
#include "request_parsing.hpp"

namespace mosaic::gemini_double {
namespace {

using json = nlohmann::json;

constexpr std::string_view api_prefix = "/v1beta/models/";
constexpr std::string_view batches_prefix = "/v1beta/batches/";
constexpr std::string_view internal_error_message =
    "An internal error has occurred. Please retry or report in "
    "https://developers.generativeai.google/guide/troubleshooting";

api_response json_response(unsigned status, std::string body) {
  api_response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

api_response error_response(unsigned status, std::string_view status_name, std::string_view message) {
  return json_response(status, google_error_body(status, status_name, message));
}

int hex_value(char digit) noexcept {
  if (digit >= '0' && digit <= '9') return digit - '0';
  if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
  if (digit >= 'A' && digit <= 'F') return digit - 'A' + 10;
  return -1;
}

// %XX decoding; a malformed escape is kept as it is, which then simply matches nothing.
std::string percent_decode(std::string_view text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (std::size_t index = 0; index < text.size(); ++index) {
    if (text[index] == '%' && index + 2 < text.size()) {
      const int high = hex_value(text[index + 1]);
      const int low = hex_value(text[index + 2]);
      if (high >= 0 && low >= 0) {
        decoded.push_back(static_cast<char>(high * 16 + low));
        index += 2;
        continue;
      }
    }
    decoded.push_back(text[index]);
  }
  return decoded;
}

std::optional<std::string> query_parameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const std::size_t separator = query.find('&');
    const std::string_view pair = query.substr(0, separator);
    const std::size_t equals = pair.find('=');
    if (pair.substr(0, equals) == name) {
      return percent_decode(equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1));
    }
    if (separator == std::string_view::npos) break;
    query.remove_prefix(separator + 1);
  }
  return std::nullopt;
}

// {"values":[...]}, each float as its shortest decimal ("0.0123", as Google's answers read): through
// the JSON library a float would be widened to double and written with 17 digits, twice the bytes.
void append_vector_json(std::string& output, const std::vector<float>& values) {
  output += "{\"values\":";
  mosaic::server::append_json_float_array(output, values);
  output += '}';
}

std::optional<std::uint64_t> read_setting(const json& body, std::string_view name, std::string& problem) {
  const auto found = body.find(name);
  if (found == body.end()) return std::nullopt;
  if (!found->is_number_unsigned()) {
    problem = "\"" + std::string(name) + "\" must be a non-negative integer";
    return std::nullopt;
  }
  return found->get<std::uint64_t>();
}

json fault_settings_json(const fault_settings& settings) {
  return {{"fail_429_every", settings.fail_429_every}, {"fail_500_every", settings.fail_500_every},
          {"drop_every", settings.drop_every},         {"latency_ms", settings.latency_milliseconds},
          {"rpm", settings.requests_per_minute},       {"retry_after", settings.retry_after_seconds}};
}

}  // namespace

embedding_api::embedding_api(const double_embedder& embedder, api_settings settings, fault_settings faults)
    : embedder_(embedder),
      settings_(std::move(settings)),
      faults_(faults),
      gate_(settings_.hold_calls),
      batch_jobs_(embedder_) {}

api_response embedding_api::handle(const api_request& request) noexcept {
  try {
    return route(request);
  } catch (const std::exception& failure) {
    try {
      return error_response(500, "INTERNAL", std::string("The test double failed: ") + failure.what());
    } catch (...) {
      api_response dropped;  // not even an error body fits in memory: hang up
      dropped.drop_connection = true;
      return dropped;
    }
  }
}

api_response embedding_api::route(const api_request& request) {
  const std::size_t question_mark = request.target.find('?');
  const std::string path = percent_decode(request.target.substr(0, question_mark));
  const std::string_view query =
      question_mark == std::string_view::npos ? std::string_view{} : request.target.substr(question_mark + 1);

  if (path == "/_double/stats") {
    if (request.method != "GET") return error_response(405, "INVALID_ARGUMENT", "Use GET for /_double/stats.");
    return json_response(200, statistics_.to_json(gate_.held()));
  }
  if (path == "/_double/reset") {
    if (request.method != "POST") return error_response(405, "INVALID_ARGUMENT", "Use POST for /_double/reset.");
    statistics_.reset();
    faults_.reset();
    return json_response(200, statistics_.to_json(gate_.held()));
  }
  if (path == "/_double/hold") {
    if (request.method != "POST") return error_response(405, "INVALID_ARGUMENT", "Use POST for /_double/hold.");
    gate_.close();
    return json_response(200, json{{"holding", true}, {"held_calls", gate_.held()}}.dump());
  }
  if (path == "/_double/release") {
    if (request.method != "POST") return error_response(405, "INVALID_ARGUMENT", "Use POST for /_double/release.");
    const std::size_t released = gate_.release();
    return json_response(200, json{{"holding", false}, {"released_calls", released}}.dump());
  }
  if (path == "/_double/faults") return handle_fault_settings(request);
  if (path == "/_double/batch-jobs") {
    if (request.method == "GET") return json_response(200, batch_jobs_.describe());
    if (request.method != "POST") return error_response(405, "INVALID_ARGUMENT", "Use GET or POST for /_double/batch-jobs.");
    const batch_job_answer answer = batch_jobs_.configure(request.body);
    return json_response(answer.status, answer.body);
  }
  if (path.starts_with(batches_prefix)) {
    return handle_batch_resource(request, std::string_view(path).substr(batches_prefix.size()), query);
  }

  if (path.starts_with(api_prefix)) {
    const std::string_view resource = std::string_view(path).substr(api_prefix.size());
    const std::size_t colon = resource.rfind(':');
    if (colon != std::string_view::npos && colon > 0) {
      const std::string_view method_name = resource.substr(colon + 1);
      if (method_name == "embedContent" || method_name == "batchEmbedContents") {
        return handle_embedding_call(request, resource.substr(0, colon), method_name, query);
      }
      if (method_name == "asyncBatchEmbedContent") return handle_batch_job_call(request, resource.substr(0, colon), query);
    }
  }
  return error_response(404, "NOT_FOUND", "Method not found.");
}

api_response embedding_api::handle_embedding_call(const api_request& request, std::string_view model_name,
                                                  std::string_view method_name, std::string_view query) {
  statistics_.record_call(request.body.size());
  const fault_decision fault = faults_.next_call(fault_injector::clock::now());
  auto answer = [&fault](api_response response) {
    response.delay = fault.latency;
    response.gated = true;
    return response;
  };
  auto reject = [&](unsigned status, std::string_view status_name, std::string_view message) {
    statistics_.record_rejection();
    return answer(error_response(status, status_name, message));
  };

  switch (fault.kind) {
    case fault_kind::none:
      break;
    case fault_kind::drop_connection: {
      statistics_.record_fault();
      api_response dropped;
      dropped.drop_connection = true;
      return answer(std::move(dropped));
    }
    case fault_kind::internal_error:
      statistics_.record_fault();
      return answer(error_response(500, "INTERNAL", internal_error_message));
    case fault_kind::resource_exhausted:
    case fault_kind::rate_limited: {
      statistics_.record_fault();
      const std::string message =
          fault.kind == fault_kind::resource_exhausted
              ? std::string("Resource has been exhausted (e.g. check quota).")
              : "Quota exceeded for quota metric 'Embed content requests' and limit 'requests per minute': " +
                    std::to_string(faults_.settings().requests_per_minute) + " per minute.";
      api_response exhausted = json_response(429, resource_exhausted_body(message, fault.retry_after_seconds));
      exhausted.headers.emplace_back("Retry-After", std::to_string(fault.retry_after_seconds));
      return answer(std::move(exhausted));
    }
  }

  if (request.method != "POST") return reject(404, "NOT_FOUND", "Method not found.");
  // Google's front end measures the payload before it looks at the key or the body.
  if (request.body.size() > settings_.max_request_bytes) {
    return reject(400, "INVALID_ARGUMENT",
                  "Request payload size exceeds the limit: " + std::to_string(settings_.max_request_bytes) + " bytes.");
  }

  if (!key_accepted(request, query)) {
    statistics_.record_rejection();
    return answer(json_response(400, api_key_invalid_body()));
  }

  const known_model* model = find_model(model_name);
  if (model == nullptr) {
    return reject(404, "NOT_FOUND",
                  "models/" + std::string(model_name) + " is not found for API version v1beta, or is not supported for " +
                      std::string(method_name) +
                      ". Call ListModels to see the list of available models and their supported methods.");
  }
  const std::string model_resource = "models/" + model->name;

  const bool batch = method_name == "batchEmbedContents";
  std::vector<embed_content_request> requests;
  if (batch) {
    auto parsed = parse_batch_embed_contents_body(request.body, model_resource);
    if (!parsed) return reject(400, "INVALID_ARGUMENT", parsed.failure().message);
    requests = std::move(*parsed);
  } else {
    auto parsed = parse_embed_content_body(request.body, model_resource);
    if (!parsed) return reject(400, "INVALID_ARGUMENT", parsed.failure().message);
    requests.push_back(std::move(*parsed));
  }

  if (!model->multimodal) {
    for (const embed_content_request& item : requests) {
      for (const content_part& part : item.parts) {
        if (part.kind != part_kind::text && part.mime_type != "text/plain") {
          return reject(400, "INVALID_ARGUMENT",
                        "Only text input is supported by " + model_resource + "; got " + part.mime_type + ".");
        }
      }
    }
  }

  std::string embeddings;
  for (std::size_t index = 0; index < requests.size(); ++index) {
    auto embedded = embedder_.embed(requests[index]);
    const std::string where = batch ? "requests[" + std::to_string(index) + "]: " : std::string{};
    if (!embedded) return reject(400, "INVALID_ARGUMENT", where + embedded.failure().message);
    if (embedded->text_tokens > maximum_input_tokens) {
      return reject(400, "INVALID_ARGUMENT",
                    where + "The input token count (" + std::to_string(embedded->text_tokens) +
                        ") exceeds the maximum number of tokens allowed (" + std::to_string(maximum_input_tokens) +
                        ").");
    }
    if (index > 0) embeddings += ',';
    append_vector_json(embeddings, embedded->values);
  }

  if (!settings_.keep_media_directory.empty()) {
    if (auto kept = keep_media(settings_.keep_media_directory, requests); !kept) {
      return reject(500, "INTERNAL", kept.failure().message);
    }
  }

  if (batch) {
    statistics_.record_batch(requests.size());
    return answer(json_response(200, "{\"embeddings\":[" + embeddings + "]}"));
  }
  statistics_.record_embed_content();
  return answer(json_response(200, "{\"embedding\":" + embeddings + "}"));
}

bool embedding_api::key_accepted(const api_request& request, std::string_view query) const {
  // The header wins when both are sent; an empty value counts as missing.
  std::string key(request.api_key_header);
  if (key.empty()) key = query_parameter(query, "key").value_or("");
  return !key.empty() && (settings_.accepted_api_key.empty() || key == settings_.accepted_api_key);
}

const known_model* embedding_api::find_model(std::string_view model_name) const {
  for (const known_model& candidate : settings_.models) {
    if (candidate.name == model_name) return &candidate;
  }
  return nullptr;
}

// POST /models/{model}:asyncBatchEmbedContent. Not counted with the embedding calls, nor subject to
// their faults: batch jobs have their own (batch_jobs.hpp).
api_response embedding_api::handle_batch_job_call(const api_request& request, std::string_view model_name,
                                                  std::string_view query) {
  if (request.method != "POST") return error_response(404, "NOT_FOUND", "Method not found.");
  if (request.body.size() > settings_.max_request_bytes) {
    return error_response(400, "INVALID_ARGUMENT",
                          "Request payload size exceeds the limit: " + std::to_string(settings_.max_request_bytes) +
                              " bytes.");
  }
  if (!key_accepted(request, query)) return json_response(400, api_key_invalid_body());
  const known_model* model = find_model(model_name);
  if (model == nullptr) {
    return error_response(404, "NOT_FOUND",
                          "models/" + std::string(model_name) +
                              " is not found for API version v1beta, or is not supported for asyncBatchEmbedContent.");
  }
  const std::string model_resource = "models/" + model->name;
  auto parsed = parse_async_batch_embed_body(request.body, model_resource);
  if (!parsed) return error_response(400, "INVALID_ARGUMENT", parsed.failure().message);
  if (!model->multimodal) {
    for (const async_batch_item& item : parsed->items) {
      for (const content_part& part : item.request.parts) {
        if (part.kind != part_kind::text && part.mime_type != "text/plain") {
          return error_response(400, "INVALID_ARGUMENT",
                                "Only text input is supported by " + model_resource + "; got " + part.mime_type + ".");
        }
      }
    }
  }
  const batch_job_answer answer = batch_jobs_.create(model_resource, std::move(*parsed));
  return json_response(answer.status, answer.body);
}

// batches/{id}: GET polls, DELETE deletes, POST batches/{id}:cancel cancels.
api_response embedding_api::handle_batch_resource(const api_request& request, std::string_view resource,
                                                  std::string_view query) {
  if (!key_accepted(request, query)) return json_response(400, api_key_invalid_body());
  const std::size_t colon = resource.find(':');
  const std::string_view id = resource.substr(0, colon);
  const std::string_view verb = colon == std::string_view::npos ? std::string_view{} : resource.substr(colon + 1);
  if (id.empty() || id.find('/') != std::string_view::npos) return error_response(404, "NOT_FOUND", "Method not found.");
  batch_job_answer answer;
  if (verb.empty() && request.method == "GET") {
    answer = batch_jobs_.poll(id);
  } else if (verb.empty() && request.method == "DELETE") {
    answer = batch_jobs_.remove(id);
  } else if (verb == "cancel" && request.method == "POST") {
    answer = batch_jobs_.cancel(id);
  } else {
    return error_response(404, "NOT_FOUND", "Method not found.");
  }
  return json_response(answer.status, answer.body);
}

api_response embedding_api::handle_fault_settings(const api_request& request) {
  if (request.method == "GET") return json_response(200, fault_settings_json(faults_.settings()).dump());
  if (request.method != "POST") return error_response(405, "INVALID_ARGUMENT", "Use GET or POST for /_double/faults.");

  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return error_response(400, "INVALID_ARGUMENT", "POST /_double/faults takes a JSON object of fault settings.");
  }
  // Fields left out keep their current value; the call counters restart so "every Nth" is predictable.
  fault_settings settings = faults_.settings();
  std::string problem;
  for (const auto& entry : body.items()) {
    const std::string& name = entry.key();
    if (name != "fail_429_every" && name != "fail_500_every" && name != "drop_every" && name != "latency_ms" &&
        name != "rpm" && name != "retry_after") {
      return error_response(400, "INVALID_ARGUMENT", "Unknown fault setting \"" + name + "\".");
    }
  }
  if (auto value = read_setting(body, "fail_429_every", problem)) settings.fail_429_every = *value;
  if (auto value = read_setting(body, "fail_500_every", problem)) settings.fail_500_every = *value;
  if (auto value = read_setting(body, "drop_every", problem)) settings.drop_every = *value;
  if (auto value = read_setting(body, "latency_ms", problem)) settings.latency_milliseconds = *value;
  if (auto value = read_setting(body, "rpm", problem)) settings.requests_per_minute = *value;
  if (auto value = read_setting(body, "retry_after", problem)) settings.retry_after_seconds = *value;
  if (!problem.empty()) return error_response(400, "INVALID_ARGUMENT", problem + ".");
  faults_.configure(settings);
  return json_response(200, fault_settings_json(settings).dump());
}

}  // namespace mosaic::gemini_double
