#include "embed/gemini_batch_protocol.hpp"

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "embed/gemini_protocol.hpp"

namespace mosaic::server {
namespace {

using json = nlohmann::json;

error protocol_error(std::string message) {
  return make_error(error_code::invalid_json, "the batch job answer " + std::move(message));
}

// Google's and the doc's places for a field of the batch: under metadata, else under response.
const json* batch_field(const json& operation, const char* name) {
  for (const char* holder : {"metadata", "response"}) {
    const auto found = operation.find(holder);
    if (found == operation.end() || !found->is_object()) continue;
    const auto field = found->find(name);
    if (field != found->end() && !field->is_null()) return &*field;
  }
  return nullptr;
}

// The list of inlined responses in an output, whichever wrapping it came in.
const json* inlined_responses(const json& output) {
  for (const char* name : {"inlinedResponses", "inlinedEmbedContentResponses", "inlined_responses"}) {
    const auto found = output.find(name);
    if (found == output.end()) continue;
    if (found->is_array()) return &*found;
    if (found->is_object()) {
      const auto inner = found->find("inlinedResponses");
      if (inner != found->end() && inner->is_array()) return &*inner;
    }
  }
  return nullptr;
}

std::optional<std::uint64_t> read_token_count(const json& response) {
  const auto found = response.find("tokenCount");
  if (found == response.end()) return std::nullopt;
  if (found->is_number_unsigned()) return found->get<std::uint64_t>();
  if (found->is_string()) {
    const std::string& text = found->get_ref<const std::string&>();
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return std::stoull(text);
  }
  return std::nullopt;
}

result<gemini_batch_result> read_result(const json& item, std::size_t dimensions, const std::string& where) {
  if (!item.is_object()) return protocol_error("has a non-object " + where);
  gemini_batch_result outcome;
  const auto failure = item.find("error");
  if (failure != item.end() && failure->is_object()) {
    const auto message = failure->find("message");
    outcome.error = message != failure->end() && message->is_string() ? message->get<std::string>()
                                                                       : std::string("the request failed");
    return outcome;
  }
  const auto response = item.find("response");
  if (response == item.end() || !response->is_object()) return protocol_error("has neither a response nor an error in " + where);
  const json* embedding = nullptr;
  if (const auto single = response->find("embedding"); single != response->end() && single->is_object()) {
    embedding = &*single;
  } else if (const auto list = response->find("embeddings"); list != response->end() && list->is_array() && list->size() == 1) {
    embedding = &(*list)[0];
  }
  if (embedding == nullptr) return protocol_error("has no embedding in " + where);
  const auto values = embedding->find("values");
  if (values == embedding->end() || !values->is_array()) return protocol_error("has no values array in " + where);
  if (values->size() != dimensions) {
    return protocol_error("has " + std::to_string(values->size()) + " values in " + where + ", expected " +
                          std::to_string(dimensions));
  }
  std::vector<float> vector;
  vector.reserve(dimensions);
  for (const json& value : *values) {
    if (!value.is_number()) return protocol_error("has a value that is not a number in " + where);
    const double number = value.get<double>();
    if (!std::isfinite(number)) return protocol_error("has a value that is not finite in " + where);
    vector.push_back(static_cast<float>(number));
  }
  outcome.values = std::move(vector);
  outcome.token_count = read_token_count(*response);
  return outcome;
}

}  // namespace

std::string build_gemini_batch_job_body(std::string_view display_name, const gemini_request_settings& settings,
                                        const std::vector<const embedding_input*>& inputs,
                                        const std::vector<std::string>& keys) {
  // The per-call body, then each request moved into its batch-job item: one builder for both paths.
  json per_call = json::parse(build_gemini_batch_body(settings.model, inputs, settings.task, settings.dimensions,
                                                      settings.text_prefix, settings.send_task_type));
  json items = json::array();
  json& requests = per_call["requests"];
  for (std::size_t index = 0; index < requests.size(); ++index) {
    items.push_back({{"request", std::move(requests[index])}, {"metadata", {{"key", keys.at(index)}}}});
  }
  const json body = {{"batch",
                      {{"displayName", std::string(display_name)},
                       {"inputConfig", {{"requests", {{"requests", std::move(items)}}}}}}}};
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<gemini_batch_state> parse_gemini_batch_state(std::string_view name) noexcept {
  if (name.starts_with("BATCH_STATE_")) {
    name.remove_prefix(12);
  } else if (name.starts_with("JOB_STATE_")) {
    name.remove_prefix(10);
  } else {
    return std::nullopt;
  }
  if (name == "PENDING" || name == "QUEUED") return gemini_batch_state::pending;
  if (name == "RUNNING") return gemini_batch_state::running;
  if (name == "SUCCEEDED") return gemini_batch_state::succeeded;
  if (name == "FAILED") return gemini_batch_state::failed;
  if (name == "CANCELLED") return gemini_batch_state::cancelled;
  if (name == "EXPIRED") return gemini_batch_state::expired;
  return std::nullopt;
}

std::string_view gemini_batch_state_name(gemini_batch_state state) noexcept {
  switch (state) {
    case gemini_batch_state::pending:
      return "pending";
    case gemini_batch_state::running:
      return "running";
    case gemini_batch_state::succeeded:
      return "succeeded";
    case gemini_batch_state::failed:
      return "failed";
    case gemini_batch_state::cancelled:
      return "cancelled";
    case gemini_batch_state::expired:
      return "expired";
  }
  return "unknown";
}

result<gemini_batch_operation> parse_gemini_batch_operation(std::string_view body,
                                                            const std::vector<std::string>& expected_keys,
                                                            std::size_t dimensions) {
  const json document = json::parse(body.begin(), body.end(), nullptr, false);
  if (document.is_discarded()) return protocol_error("is not JSON");
  if (!document.is_object()) return protocol_error("is not a JSON object");
  gemini_batch_operation operation;
  const auto name = document.find("name");
  if (name == document.end() || !name->is_string() || !name->get_ref<const std::string&>().starts_with("batches/")) {
    return protocol_error("has no \"name\" of the form batches/ID");
  }
  operation.name = name->get<std::string>();
  if (operation.name.size() > 200 || operation.name.find_first_of("?#% \r\n") != std::string::npos) {
    return protocol_error("has a job name that cannot be used in a URL");
  }
  const json* state = batch_field(document, "state");
  if (state == nullptr || !state->is_string()) return protocol_error("for " + operation.name + " has no state");
  const auto parsed_state = parse_gemini_batch_state(state->get_ref<const std::string&>());
  if (!parsed_state) {
    return protocol_error("for " + operation.name + " has an unknown state " + state->dump());
  }
  operation.state = *parsed_state;
  if (const auto failure = document.find("error"); failure != document.end() && failure->is_object()) {
    const auto message = failure->find("message");
    if (message != failure->end() && message->is_string()) operation.error_message = message->get<std::string>();
  }
  if (operation.state != gemini_batch_state::succeeded) return operation;

  const json* output = batch_field(document, "output");
  if (output == nullptr || !output->is_object()) {
    return protocol_error("for " + operation.name + " says succeeded but holds no output");
  }
  const json* responses = inlined_responses(*output);
  if (responses == nullptr) {
    if (output->contains("responsesFile")) {
      return protocol_error("for " + operation.name +
                            " returned its results as a file (responsesFile); only inline results are read");
    }
    return protocol_error("for " + operation.name + " holds no inlinedResponses");
  }
  if (responses->size() != expected_keys.size()) {
    return protocol_error("for " + operation.name + " holds " + std::to_string(responses->size()) + " results for " +
                          std::to_string(expected_keys.size()) + " requests");
  }
  // By key when every result names one, else by position.
  std::vector<std::size_t> order(responses->size());
  bool keyed = !responses->empty();
  std::map<std::string, std::size_t, std::less<>> position_of;
  for (std::size_t index = 0; index < expected_keys.size(); ++index) position_of.emplace(expected_keys[index], index);
  std::vector<bool> seen(expected_keys.size(), false);
  for (std::size_t index = 0; index < responses->size() && keyed; ++index) {
    const json& item = (*responses)[index];
    const auto metadata = item.is_object() ? item.find("metadata") : item.end();
    if (!item.is_object() || metadata == item.end() || !metadata->is_object() || !metadata->contains("key") ||
        !(*metadata)["key"].is_string()) {
      keyed = false;
      break;
    }
    const auto found = position_of.find((*metadata)["key"].get_ref<const std::string&>());
    if (found == position_of.end() || seen[found->second]) {
      return protocol_error("for " + operation.name + " holds a result for a key it was not asked for, or one twice");
    }
    seen[found->second] = true;
    order[index] = found->second;
  }
  if (!keyed) {
    for (std::size_t index = 0; index < order.size(); ++index) order[index] = index;
  }
  operation.results.resize(expected_keys.size());
  for (std::size_t index = 0; index < responses->size(); ++index) {
    auto read = read_result((*responses)[index], dimensions, "inlinedResponses[" + std::to_string(index) + "]");
    if (!read) {
      return make_error(read.failure().code, read.failure().message + " (job " + operation.name + ")");
    }
    operation.results[order[index]] = std::move(*read);
  }
  return operation;
}

}  // namespace mosaic::server
