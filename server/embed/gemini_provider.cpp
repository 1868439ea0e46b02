#include "embed/gemini_provider.hpp"
#include "upstream/request_pacer.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <random>

#include "embed/gemini_protocol.hpp"
#include "embed/gemini_request_size.hpp"
#include "embed/request_coalescer.hpp"
#include "media/gemini_media_rules.hpp"
#include "vector/normalize.hpp"

namespace mosaic::server {
namespace {

using std::chrono::milliseconds;

// The coalescer's byte budget. Each input's share is its request plus the comma after it; the last
// request of a body has no comma, hence the one byte back: a batch of shares within this budget
// makes a body within gemini_max_request_bytes.
constexpr std::size_t batch_request_budget = gemini_max_request_bytes - gemini_batch_envelope_bytes + 1;
// Gemini's outputDimensionality range starts here; smaller sizes are asked at this size and
// truncated locally, which is the same Matryoshka prefix.
constexpr std::size_t smallest_upstream_dimensions = 128;

std::string replace_all(std::string text, std::string_view secret, std::string_view replacement) {
  if (secret.empty()) return text;
  for (std::size_t found = text.find(secret); found != std::string::npos; found = text.find(secret, found)) {
    text.replace(found, secret.size(), replacement);
    found += replacement.size();
  }
  return text;
}

bool is_model_name(std::string_view model) noexcept {
  return !model.empty() && model.size() <= 100 &&
         std::all_of(model.begin(), model.end(), [](char character) {
           return (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
                  (character >= '0' && character <= '9') || character == '-' || character == '.' || character == '_';
         });
}

// A key goes into a header: CR, LF or other control characters would let it write headers of its own.
bool is_header_safe(std::string_view value) noexcept {
  return std::all_of(value.begin(), value.end(), [](char character) {
    const auto code = static_cast<unsigned char>(character);
    return code >= 0x21 && code < 0x7F;
  });
}

std::uint32_t whole_seconds_at_least_one(milliseconds delay) {
  const auto seconds = (std::max<milliseconds::rep>(delay.count(), 0) + 999) / 1000;
  return static_cast<std::uint32_t>(std::clamp<milliseconds::rep>(seconds, 1, 86'400));
}

// One batch on its way upstream, across its attempts.
struct upstream_batch {
  std::string body;
  batch_completion completion;
  std::size_t count = 0;
  std::size_t requested_dimensions = 0;
  std::size_t upstream_dimensions = 0;
  unsigned attempt = 1;
  std::chrono::steady_clock::time_point started;
};

}  // namespace

std::map<embedding_task, std::string> default_gemini_task_prefixes() {
  // Vertex AI's and the cookbook's wording for gemini-embedding-2 ("task: ... | query: "); documents
  // get the document form, with the title sent in Gemini's own field.
  return {
      {embedding_task::unspecified, ""},
      {embedding_task::retrieval_query, "task: search result | query: "},
      {embedding_task::retrieval_document, "title: none | text: "},
      {embedding_task::semantic_similarity, "task: sentence similarity | query: "},
      {embedding_task::classification, "task: classification | query: "},
      {embedding_task::clustering, "task: clustering | query: "},
      {embedding_task::question_answering, "task: question answering | query: "},
      {embedding_task::fact_verification, "task: fact checking | query: "},
      {embedding_task::code_retrieval_query, "task: code retrieval | query: "},
  };
}

class gemini_provider::implementation {
 public:
  implementation(gemini_provider_options options, upstream_url origin)
      : options_(std::move(options)),
        call_path_("/models/" + options_.model + ":batchEmbedContents"),
        prefixes_in_text_(options_.model.starts_with("gemini-embedding-2")),
        random_(std::random_device{}()),
        pacer_(options_.requests_per_minute),
        client_(std::make_unique<https_client>(std::move(origin), options_.http)),
        coalescer_(coalescer_options{gemini_max_batch_requests, options_.batch_idle, options_.batch_max_wait,
                                     options_.max_calls_in_flight, batch_request_budget},
                   [this](coalesced_batch batch, batch_completion completion) {
                     send_batch(std::move(batch), std::move(completion));
                   }) {
    if (options_.task_prefixes.empty()) options_.task_prefixes = default_gemini_task_prefixes();
  }

  ~implementation() {
    // Order matters: nothing new is sent, then the client ends what is in flight (its callbacks and
    // pending retry timers run now and see shutting_down_), then the rest goes.
    shutting_down_ = true;
    coalescer_.stop();
    {
      // A slot asked of call_slots is answered through client_: wait for those answers first.
      std::unique_lock lock(slots_mutex_);
      slots_answered_.wait(lock, [this] { return slots_outstanding_ == 0; });
    }
    client_.reset();
  }

  implementation(const implementation&) = delete;
  implementation& operator=(const implementation&) = delete;

  [[nodiscard]] const std::string& model_id() const noexcept { return options_.model; }
  [[nodiscard]] std::size_t dimensions() const noexcept { return options_.full_dimensions; }

  [[nodiscard]] static bool accepts(std::string_view mime_type) noexcept {
    return mime_type.empty() || media::find_gemini_media_rule(mime_type) != nullptr;
  }

  // Inputs come checked and prepared (prepare_input: parts, MIME types, media limits); what is the
  // provider's own is the output size of its model and the byte budget of one call.
  void embed(embedding_batch batch, embedding_callback done) {
    if (batch.dimensions > options_.full_dimensions) {
      return done(make_error(error_code::invalid_argument, "dimensions must be from 1 to " +
                                                               std::to_string(options_.full_dimensions) + " for " +
                                                               options_.model + ", got " + std::to_string(batch.dimensions)));
    }
    if (batch.inputs.empty()) return done(embedding_vectors{});
    const coalescing_group group{batch.task, batch.dimensions == 0 ? options_.full_dimensions : batch.dimensions};
    // Each input's share of a call, measured as send_batch will write it; one that cannot fit a call
    // even alone is refused here, before it can take a call (and other callers' inputs) down with it.
    std::vector<std::size_t> shares(batch.inputs.size());
    const gemini_request_settings settings = request_settings(group);
    for (std::size_t index = 0; index < batch.inputs.size(); ++index) {
      shares[index] = gemini_request_bytes(batch.inputs[index], settings) + 1;
      if (shares[index] > batch_request_budget) {
        std::size_t media_bytes = 0;
        for (const embedding_part& part : batch.inputs[index].parts) media_bytes += part.bytes.size();
        return done(request_too_large_error("inputs[" + std::to_string(index) + "]", media_bytes,
                                            shares[index] - 1 + gemini_batch_envelope_bytes, gemini_max_request_bytes));
      }
    }

    // The caller hears once: with every vector in order, or with the first error among its inputs.
    struct gathering {
      std::mutex mutex;
      embedding_vectors vectors;
      std::size_t remaining = 0;
      bool answered = false;
      embedding_callback done;
    };
    auto gathered = std::make_shared<gathering>();
    gathered->vectors.resize(batch.inputs.size());
    gathered->remaining = batch.inputs.size();
    gathered->done = std::move(done);

    std::vector<pending_input> inputs;
    inputs.reserve(batch.inputs.size());
    for (std::size_t index = 0; index < batch.inputs.size(); ++index) {
      inputs.push_back({std::move(batch.inputs[index]), [gathered, index](result<std::vector<float>> outcome) {
                          embedding_callback answer;
                          result<embedding_vectors> answer_value = embedding_vectors{};
                          {
                            const std::lock_guard lock(gathered->mutex);
                            if (gathered->answered) return;
                            if (!outcome.ok()) {
                              gathered->answered = true;
                              answer_value = std::move(outcome).failure();
                            } else {
                              gathered->vectors[index] = std::move(*outcome);
                              if (--gathered->remaining > 0) return;
                              gathered->answered = true;
                              answer_value = std::move(gathered->vectors);
                            }
                            answer = std::move(gathered->done);
                          }
                          answer(std::move(answer_value));
                        },
                        shares[index]});
    }
    coalescer_.submit(group, std::move(inputs));
  }

  [[nodiscard]] gemini_call_statistics statistics() const {
    return {calls_.load(), retries_.load(), inputs_.load(), failures_.load(), coalescer_.queued_inputs()};
  }

 private:
  [[nodiscard]] std::size_t upstream_dimensions(const coalescing_group& group) const noexcept {
    return std::min(std::max(group.dimensions, smallest_upstream_dimensions), options_.full_dimensions);
  }

  // What build_gemini_batch_body is given for a batch of this group: measuring and building use the
  // same settings, so the measure is the body's.
  [[nodiscard]] gemini_request_settings request_settings(const coalescing_group& group) const {
    gemini_request_settings settings;
    settings.model = options_.model;
    settings.task = group.task;
    settings.dimensions = upstream_dimensions(group);
    settings.send_task_type = !prefixes_in_text_;
    if (prefixes_in_text_) {
      const auto found = options_.task_prefixes.find(group.task);
      if (found != options_.task_prefixes.end()) settings.text_prefix = found->second;
    }
    return settings;
  }

  // Runs on the coalescer's dispatcher thread: build the body once, then call (and maybe retry).
  void send_batch(coalesced_batch batch, batch_completion completion) {
    auto pending = std::make_shared<upstream_batch>();
    pending->count = batch.inputs.size();
    pending->requested_dimensions = batch.group.dimensions;
    pending->upstream_dimensions = upstream_dimensions(batch.group);
    pending->completion = std::move(completion);
    pending->started = std::chrono::steady_clock::now();

    std::vector<const embedding_input*> inputs;
    inputs.reserve(batch.inputs.size());
    for (const auto& input : batch.inputs) inputs.push_back(&input);
    const gemini_request_settings settings = request_settings(batch.group);
    pending->body = build_gemini_batch_body(options_.model, inputs, batch.group.task, settings.dimensions,
                                            settings.text_prefix, settings.send_task_type);
    inputs_ += pending->count;
    call(pending);
  }

  void call(const std::shared_ptr<upstream_batch>& pending) {
    if (shutting_down_) {
      return complete(pending, make_error(error_code::upstream_unavailable, "the embedding provider is shutting down", 1));
    }
    if (options_.call_slots) {
      {
        std::lock_guard lock(slots_mutex_);
        ++slots_outstanding_;
      }
      options_.call_slots([this, pending](std::chrono::milliseconds wait) {
        // Through the client's timer even for no wait: the answer may come on a foreign thread.
        client_->run_after(wait, [this, pending] { post(pending); });
        std::lock_guard lock(slots_mutex_);
        --slots_outstanding_;
        slots_answered_.notify_all();
      });
      return;
    }
    // --rpm: the call waits for its slot on the client's timer, not on a thread.
    const auto wait = pacer_.reserve(std::chrono::steady_clock::now());
    if (wait.count() > 0) {
      client_->run_after(wait, [this, pending] { post(pending); });
      return;
    }
    post(pending);
  }

  void post(const std::shared_ptr<upstream_batch>& pending) {
    if (shutting_down_) {
      return complete(pending, make_error(error_code::upstream_unavailable, "the embedding provider is shutting down", 1));
    }
    ++calls_;
    if (pending->attempt > 1) ++retries_;
    client_->post(call_path_, pending->body,
                  {{"x-goog-api-key", options_.api_key}, {"content-type", "application/json"}},
                  [this, pending](result<upstream_response> answer) { on_answer(pending, std::move(answer)); });
  }

  void on_answer(const std::shared_ptr<upstream_batch>& pending, result<upstream_response> answer) {
    if (!answer.ok()) return retry_or_give_up(pending, std::nullopt, answer.failure().message);
    const unsigned status_code = answer->status;
    if (status_code >= 200 && status_code < 300) return accept_vectors(pending, answer->body);
    const std::string google_message = scrub(gemini_error_message(status_code, answer->body));
    const std::string description =
        "HTTP " + std::to_string(status_code) + " " + gemini_error_status(status_code, answer->body) + "): " + google_message;
    if (is_retryable_status(status_code)) {
      return retry_or_give_up(pending, parse_retry_after(answer->retry_after, std::chrono::system_clock::now()),
                              "(" + description);
    }
    complete(pending, make_error(error_code::upstream_rejected, "Gemini refused the request (" + description));
  }

  void accept_vectors(const std::shared_ptr<upstream_batch>& pending, std::string_view body) {
    auto parsed = parse_gemini_batch_response(body, pending->count, pending->upstream_dimensions);
    // A well-formed answer of the wrong shape will not fix itself on a retry: it is refused like a 4xx
    // (invalid_json would read as "the client's JSON is bad" to whoever maps codes to statuses).
    if (!parsed) {
      return complete(pending, make_error(error_code::upstream_rejected,
                                          "Gemini's answer could not be used: " + scrub(parsed.failure().message)));
    }
    embedding_vectors vectors;
    vectors.reserve(parsed->size());
    for (std::size_t index = 0; index < parsed->size(); ++index) {
      auto normalized = vector::truncate_and_normalize((*parsed)[index], pending->requested_dimensions);
      if (!normalized) {
        return complete(pending, make_error(error_code::upstream_rejected,
                                            "Gemini's answer could not be used: embeddings[" + std::to_string(index) +
                                                "]: " + normalized.failure().message));
      }
      vectors.push_back(std::move(*normalized));
    }
    complete(pending, std::move(vectors));
  }

  void retry_or_give_up(const std::shared_ptr<upstream_batch>& pending, std::optional<milliseconds> retry_after,
                        const std::string& reason) {
    const retry_policy& policy = options_.retries;
    const auto delay = retry_delay(policy, pending->attempt, retry_after, unit_random());
    const auto elapsed = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - pending->started);
    const bool attempts_left = pending->attempt < policy.max_attempts;
    if (!attempts_left || elapsed + delay > policy.total_budget || shutting_down_) {
      // What a client should wait: the server's own word, else the step we would have waited next.
      const auto hint = retry_after ? *retry_after : retry_delay(policy, pending->attempt, std::nullopt, 1.0);
      return complete(pending, make_error(error_code::upstream_unavailable,
                                          "Gemini did not answer after " + std::to_string(pending->attempt) +
                                              (pending->attempt == 1 ? " attempt: " : " attempts: ") + scrub(reason),
                                          whole_seconds_at_least_one(hint)));
    }
    ++pending->attempt;
    client_->run_after(delay, [this, pending] { call(pending); });
  }

  void complete(const std::shared_ptr<upstream_batch>& pending, result<embedding_vectors> outcome) {
    if (!outcome.ok()) ++failures_;
    auto completion = std::move(pending->completion);
    pending->body.clear();
    completion(std::move(outcome));
  }

  [[nodiscard]] std::string scrub(std::string message) const {
    return replace_all(std::move(message), options_.api_key, "[redacted]");
  }

  double unit_random() {
    const std::lock_guard lock(random_mutex_);
    return std::uniform_real_distribution<double>(0.0, 1.0)(random_);
  }

  gemini_provider_options options_;
  std::string call_path_;
  bool prefixes_in_text_;
  std::mutex random_mutex_;
  std::mt19937 random_;
  request_pacer pacer_;
  std::mutex slots_mutex_;
  std::condition_variable slots_answered_;
  std::size_t slots_outstanding_ = 0;  // call_slots asked and not yet answered
  std::atomic<bool> shutting_down_{false};
  std::atomic<std::uint64_t> calls_{0};
  std::atomic<std::uint64_t> retries_{0};
  std::atomic<std::uint64_t> inputs_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::unique_ptr<https_client> client_;
  request_coalescer coalescer_;
};

result<std::unique_ptr<gemini_provider>> gemini_provider::create(gemini_provider_options options) {
  auto origin = parse_upstream_url(options.base_url);
  if (!origin) return std::move(origin).failure();
  if (options.api_key.empty()) {
    return make_error(error_code::invalid_argument, "the gemini provider needs an API key (GEMINI_API_KEY)");
  }
  if (!is_header_safe(options.api_key)) {
    return make_error(error_code::invalid_argument, "the API key holds spaces or control characters");
  }
  if (!is_model_name(options.model)) {
    return make_error(error_code::invalid_argument,
                      "the model name must be letters, digits, '-', '.' or '_' (such as gemini-embedding-2)");
  }
  if (options.full_dimensions == 0) return make_error(error_code::invalid_argument, "full_dimensions must be positive");
  if (options.max_calls_in_flight == 0) {
    return make_error(error_code::invalid_argument, "max_calls_in_flight must be positive");
  }
  if (options.retries.max_attempts == 0) options.retries.max_attempts = 1;
  auto implementation_object = std::make_unique<implementation>(std::move(options), std::move(*origin));
  return std::unique_ptr<gemini_provider>(new gemini_provider(std::move(implementation_object)));
}

gemini_provider::gemini_provider(std::unique_ptr<implementation> state)
    : implementation_(std::move(state)) {}

gemini_provider::~gemini_provider() = default;

const std::string& gemini_provider::model_id() const noexcept { return implementation_->model_id(); }
std::size_t gemini_provider::dimensions() const noexcept { return implementation_->dimensions(); }
bool gemini_provider::accepts_mime_type(std::string_view mime_type) const noexcept {
  return implementation::accepts(mime_type);
}
void gemini_provider::embed(embedding_batch batch, embedding_callback done) {
  implementation_->embed(std::move(batch), std::move(done));
}
gemini_call_statistics gemini_provider::statistics() const { return implementation_->statistics(); }

}  // namespace mosaic::server
