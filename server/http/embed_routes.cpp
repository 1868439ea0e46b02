// POST /api/embed and the Gemini-compatible /v1beta pass-through: parse, check every input and make
// it ready (input_preparation), apply the per-client rate limit, then ask the provider (which
// coalesces, caches and retries) and answer in the route's own shape.
#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

#include "embed/base64.hpp"
#include "embed/float_json.hpp"
#include "embed/gemini_protocol.hpp"
#include "http/api_routes.hpp"

namespace mosaic::server {
namespace {

using nlohmann::json;

void embed_for_client(const server_context& context, const shared_request& request, const response_callback& done);
void pass_through_for_client(const server_context& context, const shared_request& request, const std::string& model,
                             const std::string& method, const response_callback& done);

error rate_limited_error(const rate_decision& decision) {
  const auto seconds = static_cast<std::uint32_t>((decision.retry_after.count() + 999) / 1000);
  return make_error(error_code::rate_limited, "too many embedding requests from this client; try again in " +
                                                  std::to_string(std::max(1u, seconds)) + " s",
                    std::max(1u, seconds));
}

// The per-client rate limit for routes that spend embeddings: runs `go` when the client may go on,
// else `refuse` with the error to answer. With a shared limit (mosaic serve --redis) the decision comes
// from the Redis client's thread, which must stay free for Redis: the route then goes on on the workers.
void rate_limit_then(const server_context& context, const std::string& client_address, std::function<void()> go,
                     std::function<void(const error&)> refuse) {
  if (context.shared_embed_rate_limit) {
    context.shared_embed_rate_limit(client_address, [&context, go = std::move(go), refuse = std::move(refuse)](rate_decision decision) mutable {
      if (!decision.allowed) return refuse(rate_limited_error(decision));
      run_on_workers(context, std::move(go), [&refuse] {
        refuse(make_error(error_code::upstream_unavailable, "the server is busy; try again shortly", 1));
      });
    });
    return;
  }
  if (context.embed_rate_limiter != nullptr) {
    const rate_decision decision = context.embed_rate_limiter->try_acquire(client_address, std::chrono::steady_clock::now());
    if (!decision.allowed) return refuse(rate_limited_error(decision));
  }
  go();
}

// One part of Mosaic's own body shape: {"text": "..."} or {"mime_type": "image/png", "data": "<base64>"}.
result<embedding_part> parse_part(const json& part, const std::string& where) {
  if (!part.is_object()) return make_error(error_code::invalid_argument, where + " must be an object");
  embedding_part parsed;
  if (part.contains("text")) {
    if (!part["text"].is_string()) return make_error(error_code::invalid_argument, where + ".text must be a string");
    if (part.contains("data")) return make_error(error_code::invalid_argument, where + " has both text and data");
    parsed.text = part["text"].get<std::string>();
    return parsed;
  }
  const json* mime_type = part.contains("mime_type") ? &part["mime_type"] : part.contains("mimeType") ? &part["mimeType"] : nullptr;
  if (!part.contains("data") || mime_type == nullptr) {
    return make_error(error_code::invalid_argument, where + " needs \"text\", or \"mime_type\" and base64 \"data\"");
  }
  if (!mime_type->is_string() || mime_type->get_ref<const std::string&>().empty()) {
    return make_error(error_code::invalid_argument, where + ".mime_type must be a non-empty string");
  }
  if (!part["data"].is_string()) return make_error(error_code::invalid_argument, where + ".data must be a base64 string");
  auto bytes = decode_base64(part["data"].get_ref<const std::string&>());
  if (!bytes) return make_error(error_code::invalid_argument, where + ".data: " + bytes.failure().message);
  parsed.mime_type = mime_type->get<std::string>();
  parsed.bytes = std::move(bytes).value();
  return parsed;
}

// An input is {"parts": [...], "title"?} or, as a shorthand for one text part, a string.
result<embedding_input> parse_input(const json& input, const std::string& where) {
  embedding_input parsed;
  if (input.is_string()) {
    parsed.parts.push_back(embedding_part{input.get<std::string>(), {}, {}});
    return parsed;
  }
  if (!input.is_object() || !input.contains("parts") || !input["parts"].is_array() || input["parts"].empty()) {
    return make_error(error_code::invalid_argument, where + " needs a non-empty \"parts\" array");
  }
  for (std::size_t index = 0; index < input["parts"].size(); ++index) {
    auto part = parse_part(input["parts"][index], where + ".parts[" + std::to_string(index) + "]");
    if (!part) return std::move(part).failure();
    parsed.parts.push_back(std::move(part).value());
  }
  if (input.contains("title")) {
    if (!input["title"].is_string()) return make_error(error_code::invalid_argument, where + ".title must be a string");
    parsed.title = input["title"].get<std::string>();
  }
  return parsed;
}

result<embedding_batch> parse_embed_body(const server_context& context, const json& body) {
  embedding_batch batch;
  const json* inputs = body.contains("inputs") ? &body["inputs"] : nullptr;
  if (inputs == nullptr || !inputs->is_array() || inputs->empty()) {
    return make_error(error_code::invalid_argument, "\"inputs\" must be a non-empty array");
  }
  if (inputs->size() > context.max_inputs) {
    return make_error(error_code::invalid_argument, "at most " + std::to_string(context.max_inputs) + " inputs per request");
  }
  const std::size_t full = context.provider->dimensions();
  if (body.contains("dimensions")) {
    const json& requested = body["dimensions"];
    if (!requested.is_number_unsigned() || requested.get<std::uint64_t>() == 0 || requested.get<std::uint64_t>() > full) {
      return make_error(error_code::invalid_argument, "\"dimensions\" must be a whole number from 1 to " + std::to_string(full));
    }
    batch.dimensions = static_cast<std::size_t>(requested.get<std::uint64_t>());
  }
  if (body.contains("task")) {
    const json& task = body["task"];
    auto parsed = task.is_string() ? parse_embedding_task(task.get_ref<const std::string&>())
                                   : result<embedding_task>(make_error(error_code::invalid_argument, ""));
    if (!parsed) {
      return make_error(error_code::invalid_argument,
                        "\"task\" must be \"query\", \"document\" or one of Gemini's task types (RETRIEVAL_QUERY, ...)");
    }
    batch.task = parsed.value();
  }
  for (std::size_t position = 0; position < inputs->size(); ++position) {
    auto input = parse_input((*inputs)[position], "inputs[" + std::to_string(position) + "]");
    if (!input) return std::move(input).failure();
    batch.inputs.push_back(std::move(input).value());
  }
  return batch;
}

// Every input through the one check (input_preparation), against this provider.
status prepare_batch(const server_context& context, const std::vector<embedding_input*>& inputs) {
  for (std::size_t position = 0; position < inputs.size(); ++position) {
    const std::string where = "inputs[" + std::to_string(position) + "]";
    if (auto prepared = prepare_input(*inputs[position], context.limits, where, context.provider); !prepared) {
      return prepared;
    }
  }
  return success{};
}

// Only media need the workers: checking text is cheap enough for the io thread, and skipping the
// hop keeps a cached text query on one thread from request to answer.
bool carries_media(const std::vector<embedding_input*>& inputs) {
  for (const embedding_input* input : inputs) {
    for (const embedding_part& part : input->parts) {
      if (!part.is_text()) return true;
    }
  }
  return false;
}

void prepare_then(const server_context& context, std::vector<embedding_input*> inputs, std::function<void()> job,
                  const std::function<void()>& busy) {
  if (!carries_media(inputs)) return job();
  run_on_workers(context, std::move(job), busy);
}

}  // namespace

void handle_api_embed(const server_context& context, shared_request request, const std::string& client_address,
                      response_callback done) {
  if (context.provider == nullptr) {
    return done(error_response(*request, http::status::service_unavailable, "no_provider", "no embedding provider is configured"));
  }
  rate_limit_then(context, client_address, [&context, request, done] { embed_for_client(context, request, done); },
                  [request, done](const error& refused) { done(error_response(*request, refused)); });
}

namespace {

// POST /api/embed once the client's rate limit let it through.
void embed_for_client(const server_context& context, const shared_request& request, const response_callback& done) {
  auto body = parse_json_body(*request);
  if (!body) return done(error_response(*request, body.failure()));
  auto parsed = parse_embed_body(context, body.value());
  if (!parsed) return done(error_response(*request, parsed.failure()));
  auto batch = std::make_shared<embedding_batch>(std::move(parsed).value());
  std::vector<embedding_input*> inputs;
  for (embedding_input& input : batch->inputs) inputs.push_back(&input);
  // Decoding and resizing images is CPU work: it runs on the workers, never on an io thread.
  prepare_then(context, inputs, [&context, request, batch, inputs, done] {
    if (auto prepared = prepare_batch(context, inputs); !prepared) return done(error_response(*request, prepared.failure()));
    const std::size_t dimensions = batch->dimensions == 0 ? context.provider->dimensions() : batch->dimensions;
    context.provider->embed(std::move(*batch), [&context, request, dimensions, done](result<embedding_vectors> vectors) {
      if (!vectors) return done(error_response(*request, vectors.failure()));
      // Written by hand: formatting hundreds of floats is most of a cached answer's cost, so the text of
      // a vector answered before comes from the memo.
      std::string answer;
      answer.reserve(64 + context.provider->model_id().size() + vectors->size() * (dimensions * 12 + 2));
      answer += "{\"model\":";
      answer += json(context.provider->model_id()).dump();
      answer += ",\"dimensions\":";
      answer += std::to_string(dimensions);
      answer += ",\"embeddings\":[";
      for (std::size_t index = 0; index < vectors->size(); ++index) {
        if (index > 0) answer += ',';
        if (context.vector_text_memo != nullptr) {
          context.vector_text_memo->append(answer, (*vectors)[index]);
        } else {
          append_json_float_array(answer, (*vectors)[index]);
        }
      }
      answer += "]}";
      done(json_text_response(*request, http::status::ok, std::move(answer)));
    });
  }, [request, done] {
    done(error_response(*request, make_error(error_code::upstream_unavailable, "the server is busy; try again shortly", 1)));
  });
}

// Google answers every client mistake (unsupported MIME type, oversized media included) with 400
// INVALID_ARGUMENT; its SDKs expect that, so the pass-through folds our 413 and 415 into 400.
unsigned gemini_status_for(const error& failure) {
  const auto status = static_cast<unsigned>(status_for(failure.code));
  return status == 413 || status == 415 ? 400 : status;
}

string_response gemini_error(const string_request& request, const error& failure) {
  const unsigned status = gemini_status_for(failure);
  string_response response{static_cast<http::status>(status), request.version()};
  response.set(http::field::content_type, "application/json; charset=UTF-8");
  response.set(http::field::cache_control, "no-store");
  if (failure.retry_after_seconds > 0) response.set(http::field::retry_after, std::to_string(failure.retry_after_seconds));
  response.keep_alive(request.keep_alive());
  response.body() = gemini_error_body(status, failure.message);
  response.prepare_payload();
  return response;
}

string_response gemini_answer(const string_request& request, std::string body) {
  string_response response = json_text_response(request, http::status::ok, std::move(body));
  response.set(http::field::content_type, "application/json; charset=UTF-8");  // as Google sends it
  return response;
}

// Requests of one Gemini batch may differ in task and output size; each group of equal ones becomes
// one provider batch, and the vectors are put back in request order.
struct grouped_embedding {
  std::mutex mutex;
  std::vector<std::vector<float>> vectors;
  std::size_t groups_left = 0;
  std::optional<error> failure;
};

void embed_gemini_requests(const server_context& context, std::vector<gemini_embed_request> requests,
                           std::function<void(result<embedding_vectors>)> done) {
  std::map<std::pair<embedding_task, std::size_t>, std::vector<std::size_t>> groups;
  for (std::size_t index = 0; index < requests.size(); ++index) {
    groups[{requests[index].task, requests[index].dimensions}].push_back(index);
  }
  auto state = std::make_shared<grouped_embedding>();
  state->vectors.resize(requests.size());
  state->groups_left = groups.size();
  for (auto& [parameters, indices] : groups) {
    embedding_batch batch;
    batch.task = parameters.first;
    batch.dimensions = parameters.second;
    for (std::size_t index : indices) batch.inputs.push_back(std::move(requests[index].input));
    context.provider->embed(std::move(batch), [state, indices = indices, done](result<embedding_vectors> vectors) {
      bool last = false;
      {
        std::lock_guard lock(state->mutex);
        if (!vectors) {
          if (!state->failure) state->failure = vectors.failure();
        } else {
          for (std::size_t position = 0; position < indices.size(); ++position) {
            state->vectors[indices[position]] = std::move(vectors.value()[position]);
          }
        }
        last = --state->groups_left == 0;
      }
      if (!last) return;
      if (state->failure) return done(*state->failure);
      done(std::move(state->vectors));
    });
  }
}

}  // namespace

void handle_gemini_pass_through(const server_context& context, shared_request request, std::string model,
                                std::string method, const std::string& client_address, response_callback done) {
  if (method != "embedContent" && method != "batchEmbedContents") {
    return done(gemini_error(*request, make_error(error_code::invalid_argument,
                                                  "this proxy serves embedContent and batchEmbedContents only")));
  }
  if (context.provider == nullptr) {
    return done(gemini_error(*request, make_error(error_code::upstream_unavailable, "no embedding provider is configured")));
  }
  if (model != context.provider->model_id()) {
    string_response response = gemini_error(*request, make_error(error_code::invalid_argument, ""));
    response.result(http::status::not_found);
    response.body() = gemini_error_body(404, "models/" + model + " is not served by this proxy; it serves models/" +
                                                 context.provider->model_id());
    response.prepare_payload();
    return done(std::move(response));
  }
  rate_limit_then(context, client_address, [&context, request, model, method, done] {
    pass_through_for_client(context, request, model, method, done);
  }, [request, done](const error& refused) { done(gemini_error(*request, refused)); });
}

namespace {

// The /v1beta pass-through once the client's rate limit let it through.
void pass_through_for_client(const server_context& context, const shared_request& request, const std::string& model,
                             const std::string& method, const response_callback& done) {
  auto body = parse_json_body(*request);
  if (!body) return done(gemini_error(*request, body.failure()));
  const bool batch = method == "batchEmbedContents";
  result<std::vector<gemini_embed_request>> parsed = std::vector<gemini_embed_request>{};
  if (batch) {
    parsed = parse_gemini_batch_request(body.value(), model);
  } else if (auto single = parse_gemini_embed_request(body.value(), model)) {
    parsed = std::vector<gemini_embed_request>{std::move(single).value()};
  } else {
    parsed = std::move(single).failure();
  }
  if (!parsed) return done(gemini_error(*request, parsed.failure()));
  auto requests = std::make_shared<std::vector<gemini_embed_request>>(std::move(parsed).value());
  for (const gemini_embed_request& each : *requests) {
    if (each.dimensions > context.provider->dimensions()) {
      return done(gemini_error(*request, make_error(error_code::invalid_argument,
                                                    "outputDimensionality must be at most " +
                                                        std::to_string(context.provider->dimensions()))));
    }
  }
  std::vector<embedding_input*> inputs;
  for (gemini_embed_request& each : *requests) inputs.push_back(&each.input);
  prepare_then(context, inputs, [&context, request, requests, batch, inputs, done] {
    if (auto prepared = prepare_batch(context, inputs); !prepared) return done(gemini_error(*request, prepared.failure()));
    embed_gemini_requests(context, std::move(*requests), [request, batch, done](result<embedding_vectors> vectors) {
      if (!vectors) return done(gemini_error(*request, vectors.failure()));
      done(gemini_answer(*request, batch ? gemini_batch_response(vectors.value()) : gemini_embed_response(vectors->front())));
    });
  }, [request, done] {
    done(gemini_error(*request, make_error(error_code::upstream_unavailable, "the server is busy; try again shortly", 1)));
  });
}

}  // namespace

}  // namespace mosaic::server
