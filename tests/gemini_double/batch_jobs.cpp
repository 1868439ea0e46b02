#include "batch_jobs.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <random>

#include "embed/float_json.hpp"
#include "google_errors.hpp"

namespace mosaic::gemini_double {
namespace {

using json = nlohmann::ordered_json;

constexpr const char* batch_type = "type.googleapis.com/google.ai.generativelanguage.v1beta.EmbedContentBatch";

std::string now_rfc3339() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

// With --hash-text the embedder counts no tokens: the words of the text stand in for them.
std::size_t counted_tokens(const embed_content_request& request, std::size_t model_tokens) {
  if (model_tokens > 0) return model_tokens;
  std::size_t words = 0;
  for (const content_part& part : request.parts) {
    if (part.kind != part_kind::text) continue;
    bool in_word = false;
    for (const char character : part.text) {
      const bool space = character == ' ' || character == '\n' || character == '\t' || character == '\r';
      if (!space && !in_word) ++words;
      in_word = !space;
    }
  }
  return words;
}

bool every(std::uint64_t count, std::uint64_t period) { return period > 0 && count % period == 0; }

batch_job_answer not_found(std::string_view id) {
  return {404, google_error_body(404, "NOT_FOUND", "Batch batches/" + std::string(id) + " not found.")};
}

}  // namespace

batch_job_answer batch_job_store::create(std::string_view model_resource, async_batch_body body) {
  job entry;
  entry.model = model_resource;
  entry.display_name = std::move(body.display_name);
  entry.inputs = body.items.size();
  entry.created_at = now_rfc3339();
  entry.results.reserve(body.items.size());
  for (const async_batch_item& item : body.items) {
    std::string result = "{";
    auto embedded = embedder_.embed(item.request);
    if (embedded && embedded->text_tokens > maximum_input_tokens) {
      embedded = make_error(error_code::invalid_argument,
                            "The input token count (" + std::to_string(embedded->text_tokens) +
                                ") exceeds the maximum number of tokens allowed (" +
                                std::to_string(maximum_input_tokens) + ").");
    }
    if (embedded) {
      result += "\"response\":{\"embedding\":{\"values\":";
      mosaic::server::append_json_float_array(result, embedded->values);
      result += "},\"tokenCount\":\"" + std::to_string(counted_tokens(item.request, embedded->text_tokens)) + "\"}";
    } else {
      // google.rpc.Code 3 is INVALID_ARGUMENT.
      result += "\"error\":" + json{{"code", 3}, {"message", embedded.failure().message}}.dump(
                                    -1, ' ', false, json::error_handler_t::replace);
    }
    if (!item.metadata_json.empty()) result += ",\"metadata\":" + item.metadata_json;
    result += '}';
    entry.results.push_back(std::move(result));
  }

  const std::lock_guard lock(mutex_);
  ++created_since_change_;
  ++jobs_created_;
  job_inputs_ += entry.inputs;
  if (every(created_since_change_, settings_.fail_every)) {
    entry.planned = ending::fail;
  } else if (every(created_since_change_, settings_.expire_every)) {
    entry.planned = ending::expire;
  }
  // Unique across restarts of the double too, as Google's are: a client that kept an old id must
  // get a 404, not somebody else's job.
  static std::mt19937_64 random{std::random_device{}()};
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(random()));
  entry.name = "batches/double" + std::to_string(next_number_++) + "x" + suffix;
  const std::string key = entry.name.substr(std::string_view("batches/").size());
  auto [stored, inserted] = jobs_.emplace(key, std::move(entry));
  (void)inserted;
  return {200, operation_json(stored->second)};
}

std::string batch_job_store::state_of(const job& entry) const {
  if (entry.cancelled) return "BATCH_STATE_CANCELLED";
  if (entry.polls <= settings_.pending_polls) return "BATCH_STATE_PENDING";
  if (entry.polls <= settings_.pending_polls + settings_.running_polls) {
    // An expiring job never gets to run.
    return entry.planned == ending::expire ? "BATCH_STATE_PENDING" : "BATCH_STATE_RUNNING";
  }
  switch (entry.planned) {
    case ending::succeed:
      return "BATCH_STATE_SUCCEEDED";
    case ending::fail:
      return "BATCH_STATE_FAILED";
    case ending::expire:
      return "BATCH_STATE_EXPIRED";
  }
  return "BATCH_STATE_UNSPECIFIED";
}

std::string batch_job_store::operation_json(const job& entry) const {
  const std::string state = state_of(entry);
  const bool succeeded = state == "BATCH_STATE_SUCCEEDED";
  const bool done = succeeded || state == "BATCH_STATE_FAILED" || state == "BATCH_STATE_EXPIRED" ||
                    state == "BATCH_STATE_CANCELLED";
  json batch = {{"@type", batch_type},
                {"model", entry.model},
                {"displayName", entry.display_name},
                {"state", state},
                {"createTime", entry.created_at},
                {"updateTime", now_rfc3339()},
                {"batchStats",
                 {{"requestCount", std::to_string(entry.inputs)},
                  {"pendingRequestCount", std::to_string(done ? 0 : entry.inputs)}}}};
  std::string output;
  if (succeeded) {
    // Built by hand: the vectors are already JSON text, in the double's compact float form.
    std::size_t count = entry.results.size();
    if (entry.answer_damaged && count > 0) --count;
    output = "{\"inlinedResponses\":{\"inlinedResponses\":[";
    for (std::size_t index = 0; index < count; ++index) {
      if (index > 0) output += ',';
      output += entry.results[index];
    }
    output += "]}}";
    batch["output"] = "\x01";  // placeholder, replaced below by the raw output
  }
  json operation = {{"name", entry.name}, {"metadata", batch}};
  if (done) operation["done"] = true;
  if (succeeded) {
    json response = batch;
    response["@type"] = batch_type;
    operation["response"] = response;
  } else if (state == "BATCH_STATE_FAILED") {
    operation["error"] = {{"code", 13}, {"message", "The batch job failed: an internal error occurred while running it."}};
  } else if (state == "BATCH_STATE_EXPIRED") {
    operation["error"] = {{"code", 4}, {"message", "The batch job expired: it did not finish within 48 hours."}};
  } else if (state == "BATCH_STATE_CANCELLED") {
    operation["error"] = {{"code", 1}, {"message", "The batch job was cancelled."}};
  }
  std::string text = operation.dump(-1, ' ', false, json::error_handler_t::replace);
  if (succeeded) {
    const std::string placeholder = "\"\\u0001\"";
    for (std::size_t found = text.find(placeholder); found != std::string::npos; found = text.find(placeholder, found)) {
      text.replace(found, placeholder.size(), output);
      found += output.size();
    }
  }
  return text;
}

batch_job_answer batch_job_store::poll(std::string_view id) {
  const std::lock_guard lock(mutex_);
  ++polls_;
  ++polls_since_change_;
  if (every(polls_since_change_, settings_.poll_500_every)) {
    return {500, google_error_body(500, "INTERNAL",
                                   "An internal error has occurred. Please retry or report in "
                                   "https://developers.generativeai.google/guide/troubleshooting")};
  }
  const auto found = jobs_.find(id);
  if (found == jobs_.end()) return not_found(id);
  job& entry = found->second;
  const std::string before = state_of(entry);
  ++entry.polls;
  if (state_of(entry) == "BATCH_STATE_SUCCEEDED" && before != "BATCH_STATE_SUCCEEDED") {
    ++succeeded_since_change_;
    entry.answer_damaged = every(succeeded_since_change_, settings_.bad_answer_every);
  }
  return {200, operation_json(entry)};
}

batch_job_answer batch_job_store::cancel(std::string_view id) {
  const std::lock_guard lock(mutex_);
  const auto found = jobs_.find(id);
  if (found == jobs_.end()) return not_found(id);
  const std::string state = state_of(found->second);
  if (state == "BATCH_STATE_PENDING" || state == "BATCH_STATE_RUNNING") {
    found->second.cancelled = true;
    ++cancelled_;
  }
  return {200, "{}"};
}

batch_job_answer batch_job_store::remove(std::string_view id) {
  const std::lock_guard lock(mutex_);
  const auto found = jobs_.find(id);
  if (found == jobs_.end()) return not_found(id);
  jobs_.erase(found);
  ++deleted_;
  return {200, "{}"};
}

std::string batch_job_store::describe() const {
  const std::lock_guard lock(mutex_);
  json jobs = json::array();
  for (const auto& [key, entry] : jobs_) {
    jobs.push_back({{"name", entry.name}, {"state", state_of(entry)}, {"inputs", entry.inputs}, {"polls", entry.polls}});
  }
  return json{{"settings",
               {{"pending_polls", settings_.pending_polls},
                {"running_polls", settings_.running_polls},
                {"fail_every", settings_.fail_every},
                {"expire_every", settings_.expire_every},
                {"poll_500_every", settings_.poll_500_every},
                {"bad_answer_every", settings_.bad_answer_every}}},
              {"jobs_created", jobs_created_},
              {"polls", polls_},
              {"job_inputs", job_inputs_},
              {"cancelled", cancelled_},
              {"deleted", deleted_},
              {"jobs", jobs}}
      .dump();
}

batch_job_answer batch_job_store::configure(std::string_view body) {
  const nlohmann::json document = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    return {400, google_error_body(400, "INVALID_ARGUMENT", "POST /_double/batch-jobs takes a JSON object of settings.")};
  }
  batch_job_settings settings;
  {
    const std::lock_guard lock(mutex_);
    settings = settings_;
  }
  const std::map<std::string, std::uint64_t*> fields = {
      {"pending_polls", &settings.pending_polls},   {"running_polls", &settings.running_polls},
      {"fail_every", &settings.fail_every},         {"expire_every", &settings.expire_every},
      {"poll_500_every", &settings.poll_500_every}, {"bad_answer_every", &settings.bad_answer_every}};
  for (const auto& item : document.items()) {
    const auto field = fields.find(item.key());
    if (field == fields.end()) {
      return {400, google_error_body(400, "INVALID_ARGUMENT", "Unknown batch job setting \"" + item.key() + "\".")};
    }
    if (!item.value().is_number_unsigned()) {
      return {400, google_error_body(400, "INVALID_ARGUMENT", "\"" + item.key() + "\" must be a non-negative integer.")};
    }
    *field->second = item.value().get<std::uint64_t>();
  }
  {
    const std::lock_guard lock(mutex_);
    settings_ = settings;
    // "Every Nth" counts from the change, so a test knows which job is hit.
    created_since_change_ = polls_since_change_ = succeeded_since_change_ = 0;
  }
  return {200, describe()};
}

}  // namespace mosaic::gemini_double
