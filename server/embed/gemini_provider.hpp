#pragma once
// The gemini provider: embeds through Google's embedding API (or anything speaking it, such as the
// test double) with the API key held here and nowhere else. Concurrent embed() calls are coalesced:
// their inputs wait in one queue and leave in batchEmbedContents calls of at most 100 requests and
// 20 MB of body (gemini_request_size.hpp; an input that cannot fit a call alone is refused with
// media_too_large before anything is sent), when a batch is full, when no new input arrived for `batch_idle` while no call is out, or when the
// oldest input has waited `batch_max_wait`; at most `max_calls_in_flight` calls run at once. Each call is retried per
// retry_policy (429/500/502/503/504 and transport failures, honouring Retry-After); 400/403/404 come
// back as upstream_rejected with Google's message (never the key); exhausted retries come back as
// upstream_unavailable with retry_after_seconds set.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "embed/embedding_provider.hpp"
#include "upstream/https_client.hpp"
#include "upstream/retry_policy.hpp"

namespace mosaic::server {

inline constexpr std::string_view gemini_default_base_url = "https://generativelanguage.googleapis.com/v1beta";
inline constexpr std::string_view gemini_default_model = "gemini-embedding-2";
inline constexpr std::size_t gemini_max_batch_requests = 100;

struct gemini_provider_options {
  std::string base_url{gemini_default_base_url};
  std::string model{gemini_default_model};
  std::string api_key;                      // sent as x-goog-api-key; never logged, echoed or in errors
  std::size_t full_dimensions = 3072;
  std::size_t max_calls_in_flight = 4;
  std::size_t requests_per_minute = 0;      // client-side pacing of HTTP calls, retries included; 0: none
  // When set, replaces the local pacing above: each call (retries too) asks it for a slot and leaves
  // after the wait it reports, which may come on another thread (mosaic serve --redis: one quota for
  // every proxy, shared_state/shared_upstream_pacer.hpp). The provider's destructor waits for every
  // answer it still expects, so whatever runs the function must outlive the provider.
  std::function<void(std::function<void(std::chrono::milliseconds wait)> ready)> call_slots;
  std::chrono::milliseconds batch_idle{10};
  std::chrono::milliseconds batch_max_wait{200};
  retry_policy retries;
  https_client_options http;
  // gemini-embedding-2 takes task instructions in the text, not in taskType: each task's prefix is
  // put before the first text part (or sent as a text part of its own when there is none). Empty
  // map entries send no prefix. For other models (gemini-embedding-001) taskType is sent instead.
  std::map<embedding_task, std::string> task_prefixes;
};

// The default prefixes (documented in the README; override with --task-prefix).
std::map<embedding_task, std::string> default_gemini_task_prefixes();

struct gemini_call_statistics {
  std::uint64_t calls = 0;     // HTTP calls made (each attempt counts)
  std::uint64_t retries = 0;   // of which were retries
  std::uint64_t inputs = 0;    // inputs sent
  std::uint64_t failures = 0;  // batches that ended in an error
  std::uint64_t queued_inputs = 0;  // inputs waiting in the coalescer for a call, now
};

class gemini_provider final : public embedding_provider {
 public:
  static result<std::unique_ptr<gemini_provider>> create(gemini_provider_options options);
  ~gemini_provider() override;

  [[nodiscard]] const std::string& model_id() const noexcept override;
  [[nodiscard]] std::size_t dimensions() const noexcept override;
  [[nodiscard]] bool accepts_mime_type(std::string_view mime_type) const noexcept override;
  void embed(embedding_batch batch, embedding_callback done) override;

  [[nodiscard]] gemini_call_statistics statistics() const;

 private:
  class implementation;
  explicit gemini_provider(std::unique_ptr<implementation> implementation);
  std::unique_ptr<implementation> implementation_;
};

}  // namespace mosaic::server
