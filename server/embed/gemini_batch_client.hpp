#pragma once
// Calls to Gemini's batch-job endpoints for the indexer (blocking: the CLI waits on them anyway):
// create a job, poll it. Each call is retried per retry_policy on 429/500/502/503/504 and transport
// failures (honouring Retry-After); exhausted retries are upstream_unavailable, other HTTP errors
// upstream_rejected with Google's message (a poll of a job Gemini no longer knows answers nullopt). The API
// key goes in x-goog-api-key and never into a message.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "upstream/https_client.hpp"
#include "upstream/retry_policy.hpp"

namespace mosaic::server {

struct gemini_batch_client_options {
  std::string base_url;
  std::string model;
  std::string api_key;
  retry_policy retries;
  https_client_options http;
};

struct gemini_batch_call_counts {
  std::uint64_t creates = 0;  // HTTP calls to asyncBatchEmbedContent (attempts)
  std::uint64_t polls = 0;    // HTTP calls to batches/ID (attempts)
  std::uint64_t retries = 0;  // of the above, retries
};

class gemini_batch_client {
 public:
  static result<std::unique_ptr<gemini_batch_client>> create(gemini_batch_client_options options);
  ~gemini_batch_client();

  // POST /models/{model}:asyncBatchEmbedContent; the answer's body (an operation) on success.
  result<std::string> create_job(std::string body);
  // GET /{name} ("batches/ID"); the answer's body on success, nullopt when Gemini answers 404 (the job
  // was deleted, or belongs to another endpoint or key).
  result<std::optional<std::string>> poll_job(std::string_view name);

  [[nodiscard]] gemini_batch_call_counts counts() const noexcept { return counts_; }

 private:
  explicit gemini_batch_client(gemini_batch_client_options options, std::unique_ptr<https_client> client);
  result<std::optional<std::string>> call(bool is_post, const std::string& path, const std::string& body,
                                          std::uint64_t& counter);

  gemini_batch_client_options options_;
  std::unique_ptr<https_client> client_;
  gemini_batch_call_counts counts_;
};

}  // namespace mosaic::server
