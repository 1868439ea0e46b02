#pragma once
// The whole HTTP application behind one entry point (the Beast example shape): tests call it with a
// request and check the response, no sockets needed. It is asynchronous because embedding calls wait
// on a provider (upstream Gemini calls, or the local model's workers) without holding a thread.
// Routes:
//   GET  /api/health                        status, provider and model, index generation and size
//   POST /api/embed                         {"inputs":[{"parts":[{"text"}|{"mime_type","data"}]}], "task", "dimensions"}
//   POST /api/search                        {"text"|"vector", "k", "filter":{modality,label,tag}} -> results
//   POST /v1beta/models/{m}:embedContent    Google's API, same bodies and answers (for Google's SDKs)
//   POST /v1beta/models/{m}:batchEmbedContents
//   GET  /api/events                        Server-Sent Events: the served generation, on connect and on
//                                           each change (the session keeps the stream: http/event_hub.hpp)
//   GET  /metrics                           Prometheus text format
//   GET  /index/…                           the index site: manifest.json (no-cache, from the loaded site), content-addressed
//                                           files (immutable), ETag, Range
//   GET  /…                                 the web app
//   OPTIONS                                 CORS preflight for allowed origins
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "embed/embedding_provider.hpp"
#include "embed/float_array_text_memo.hpp"
#include "embed/input_preparation.hpp"
#include "embed/worker_pool.hpp"
#include "http/json_responses.hpp"
#include "http/metrics.hpp"
#include "http/rate_limiter.hpp"
#include "site/site_reader.hpp"
#include "sync/served_site.hpp"

namespace mosaic::server {

struct server_context {
  std::filesystem::path site_directory;     // empty: no index is served (a pure embedding proxy)
  std::filesystem::path web_directory;      // empty: no app is served
  embedding_provider* provider = nullptr;   // answers /api/embed, /v1beta and text searches; null: 503
  std::string provider_name;                // "local" or "gemini", for /api/health
  std::shared_ptr<served_site> site;        // the loaded index (swapped when rewritten); null: none
  input_limits limits;                      // what one input may hold
  std::size_t max_inputs = 100;             // per /api/embed call
  worker_pool* workers = nullptr;           // CPU work of API routes (null: on the calling thread)
  rate_limiter* embed_rate_limiter = nullptr;  // per client, on the routes that spend embeddings
  // The same limit shared by every proxy (mosaic serve --redis); when set it decides instead of
  // embed_rate_limiter, and calls back on another thread (the Redis client's) with the decision.
  std::function<void(const std::string& client, std::function<void(rate_decision)> decided)> shared_embed_rate_limit;
  metrics_registry* metrics = nullptr;      // null: no /metrics
  std::function<void(std::string&)> append_metrics;  // statistics read at scrape time (upstream, cache)
  // Adds to /api/health's answer (mosaic serve --redis: whether Redis answers); may set "status" to
  // "degraded", which is still 200: the proxy answers, from local state.
  std::function<void(nlohmann::json&)> append_health;
  std::vector<std::string> allowed_origins;  // CORS allow-list; empty: same origin only
  float_array_text_memo* vector_text_memo = nullptr;  // JSON text of recent answers' vectors; null: always written
};

// Declares the metric families handle_request records into (call once per registry).
void declare_server_metrics(metrics_registry& metrics);

// Body limits per route, applied by the session before the body is read.
std::uint64_t body_limit_for(std::string_view target);

using response_callback = std::function<void(string_response)>;

// Answers `request`; `done` is called exactly once, on any thread, possibly before this returns.
// `client_address` identifies the client for the rate limit.
void handle_request(const server_context& context, string_request request, std::string client_address,
                    response_callback done);

// The same, waiting for the answer (tests and tools; never on an io thread).
string_response handle_request(const server_context& context, const string_request& request,
                               std::string client_address = "127.0.0.1");

}  // namespace mosaic::server
