#include "embed/gemini_batch_client.hpp"

#include <future>
#include <random>
#include <thread>

#include "embed/gemini_protocol.hpp"

namespace mosaic::server {
namespace {

std::string without_secret(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (std::size_t found = text.find(secret); found != std::string::npos; found = text.find(secret, found)) {
    text.replace(found, secret.size(), "[redacted]");
  }
  return text;
}

}  // namespace

result<std::unique_ptr<gemini_batch_client>> gemini_batch_client::create(gemini_batch_client_options options) {
  auto origin = parse_upstream_url(options.base_url);
  if (!origin) return std::move(origin).failure();
  if (options.api_key.empty()) return make_error(error_code::invalid_argument, "batch jobs need a Gemini API key");
  if (options.retries.max_attempts == 0) options.retries.max_attempts = 1;
  auto client = std::make_unique<https_client>(std::move(*origin), options.http);
  return std::unique_ptr<gemini_batch_client>(new gemini_batch_client(std::move(options), std::move(client)));
}

gemini_batch_client::gemini_batch_client(gemini_batch_client_options options, std::unique_ptr<https_client> client)
    : options_(std::move(options)), client_(std::move(client)) {}

gemini_batch_client::~gemini_batch_client() = default;

result<std::string> gemini_batch_client::create_job(std::string body) {
  auto answer = call(true, "/models/" + options_.model + ":asyncBatchEmbedContent", body, counts_.creates);
  if (!answer) return std::move(answer).failure();
  if (!answer->has_value()) {
    return make_error(error_code::upstream_rejected, "Gemini answered 404 to asyncBatchEmbedContent for models/" +
                                                         options_.model + " (unknown model, or no batch API here)");
  }
  return std::move(**answer);
}

result<std::optional<std::string>> gemini_batch_client::poll_job(std::string_view name) {
  return call(false, "/" + std::string(name), {}, counts_.polls);
}

result<std::optional<std::string>> gemini_batch_client::call(bool is_post, const std::string& path, const std::string& body,
                                              std::uint64_t& counter) {
  std::mt19937 random(std::random_device{}());
  const auto started = std::chrono::steady_clock::now();
  for (unsigned attempt = 1;; ++attempt) {
    ++counter;
    if (attempt > 1) ++counts_.retries;
    std::promise<result<upstream_response>> answered;
    auto answer_future = answered.get_future();
    std::vector<upstream_header> headers{{"x-goog-api-key", options_.api_key}, {"content-type", "application/json"}};
    auto done = [&answered](result<upstream_response> answer) { answered.set_value(std::move(answer)); };
    if (is_post) {
      client_->post(path, body, std::move(headers), done);
    } else {
      client_->get(path, std::move(headers), done);
    }
    result<upstream_response> answer = answer_future.get();
    std::optional<std::chrono::milliseconds> retry_after;
    std::string reason;
    if (answer.ok()) {
      const unsigned status = answer->status;
      if (status >= 200 && status < 300) return std::optional<std::string>(std::move(answer->body));
      if (status == 404) return std::optional<std::string>{};
      const std::string description = "HTTP " + std::to_string(status) + " " + gemini_error_status(status, answer->body) +
                                      ": " + without_secret(gemini_error_message(status, answer->body), options_.api_key);
      if (!is_retryable_status(status)) {
        return make_error(error_code::upstream_rejected,
                          "Gemini refused " + std::string(is_post ? "the batch job" : "the poll of " + path.substr(1)) +
                              " (" + description + ")");
      }
      retry_after = parse_retry_after(answer->retry_after, std::chrono::system_clock::now());
      reason = description;
    } else {
      reason = without_secret(answer.failure().message, options_.api_key);
    }
    const auto delay = retry_delay(options_.retries, attempt, retry_after,
                                   std::uniform_real_distribution<double>(0.0, 1.0)(random));
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    if (attempt >= options_.retries.max_attempts || elapsed + delay > options_.retries.total_budget) {
      return make_error(error_code::upstream_unavailable,
                        "Gemini did not answer " + std::string(is_post ? "the batch job" : "the poll of " + path.substr(1)) +
                            " after " + std::to_string(attempt) + (attempt == 1 ? " attempt: " : " attempts: ") + reason,
                        1);
    }
    std::this_thread::sleep_for(delay);
  }
}

}  // namespace mosaic::server
