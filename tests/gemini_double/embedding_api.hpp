#pragma once
// The double's request handling, free of sockets: double_server reads HTTP, hands the parts that
// matter here, and writes back what handle() returns (after its delay, or not at all when the
// connection is to be dropped). Routes:
//   POST /v1beta/models/{model}:embedContent         one vector
//   POST /v1beta/models/{model}:batchEmbedContents   one vector per request, in request order
//   GET  /_double/stats                              call_statistics as JSON
//   POST /_double/reset                              zero the statistics and the fault counters
//   GET  /_double/faults, POST /_double/faults       read or change fault_settings (fields as in
//                                                    the flags: fail_429_every, fail_500_every,
//                                                    drop_every, latency_ms, rpm, retry_after)
//   POST /_double/hold                               close the call gate: answers to embedding calls
//                                                    wait (call_gate.hpp)
//   POST /_double/release                            send every waiting answer and open the gate
//   POST /v1beta/models/{model}:asyncBatchEmbedContent   a batch job (batch_jobs.hpp), and its
//   GET /v1beta/batches/{id}, POST .../{id}:cancel, DELETE /v1beta/batches/{id}
//   GET|POST /_double/batch-jobs                     the batch jobs' counts, settings and faults
// Thread-safe: several io threads call handle() at once.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "batch_jobs.hpp"
#include "call_gate.hpp"
#include "call_statistics.hpp"
#include "double_embedder.hpp"
#include "fault_injection.hpp"

namespace mosaic::gemini_double {

struct api_request {
  std::string_view method;          // "POST"
  std::string_view target;          // path and query, as sent
  std::string_view api_key_header;  // x-goog-api-key, empty when absent
  std::string_view body;
};

struct api_response {
  unsigned status = 200;
  std::string body;  // always JSON
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds delay{0};  // wait this long before answering (--latency-ms)
  bool drop_connection = false;        // close without answering (--drop-every)
  bool gated = false;                  // an embedding call's answer: it waits while the gate is closed
};

struct known_model {
  std::string name;  // without "models/"
  bool multimodal = true;
};

struct api_settings {
  // Empty: any non-empty key is accepted. A missing key is always refused.
  std::string accepted_api_key;
  // gemini-api.md: a request holds about 20 MB inline, in all. A larger embedding request is refused
  // whole with 400 INVALID_ARGUMENT, as Google refuses an oversize payload, so a client that packs
  // calls past the cap fails here as it would there.
  std::uint64_t max_request_bytes = 20ull * 1024 * 1024;
  std::vector<known_model> models = {
      {"gemini-embedding-2", true}, {"gemini-embedding-2-preview", true}, {"gemini-embedding-001", false}};
  bool hold_calls = false;  // --hold-calls: the call gate starts closed
  std::filesystem::path keep_media_directory;  // --keep-media: empty, media are not kept (media_keeper.hpp)
};

class embedding_api {
 public:
  embedding_api(const double_embedder& embedder, api_settings settings, fault_settings faults);

  // Never throws: an unexpected exception (say, memory running out on a huge body) becomes a 500.
  api_response handle(const api_request& request) noexcept;

  // The gate the server holds gated answers at (the routes above open and close it).
  call_gate& gate() noexcept { return gate_; }

 private:
  api_response route(const api_request& request);
  api_response handle_embedding_call(const api_request& request, std::string_view model_name,
                                     std::string_view method_name, std::string_view query);
  api_response handle_fault_settings(const api_request& request);
  api_response handle_batch_job_call(const api_request& request, std::string_view model_name, std::string_view query);
  api_response handle_batch_resource(const api_request& request, std::string_view resource, std::string_view query);
  [[nodiscard]] bool key_accepted(const api_request& request, std::string_view query) const;
  [[nodiscard]] const known_model* find_model(std::string_view model_name) const;

  const double_embedder& embedder_;
  api_settings settings_;
  fault_injector faults_;
  call_statistics statistics_;
  call_gate gate_;
  batch_job_store batch_jobs_;
};

}  // namespace mosaic::gemini_double
