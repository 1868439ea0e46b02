#pragma once
// An HTTP/1.1 client for one upstream origin (Beast + OpenSSL), used by the Gemini provider:
// TLS with certificate and host name verification, a pool of keep-alive connections, a cap on
// requests in flight (the rest wait in order), and timeouts on connecting, on each read and on the
// whole call, and pooled connections age out after `idle_timeout`. It runs its own io thread;
// callbacks come on that thread. Retries are the caller's (retry_policy), because only it knows which
// answers are worth another try, with one exception: a request that fails on a pooled connection
// because the server had closed it (end of stream or a reset before any byte of the answer) is sent
// once more on a new connection, unseen by the caller, since nothing of it was answered.
//
// Secrets: request headers are never logged or copied into errors; an error message names the host
// and what failed, nothing else.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "upstream/upstream_url.hpp"

namespace mosaic::server {

struct https_client_options {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds read_timeout{60'000};    // between bytes of an answer
  std::chrono::milliseconds call_timeout{120'000};   // the whole call, connecting included
  std::size_t max_in_flight = 8;                     // concurrent requests (and pooled connections)
  // A pooled connection idle longer than this is closed instead of reused. Servers close idle
  // keep-alive connections after their own timeout (often 60 s or less); reusing one they closed
  // costs a failed write or read and a reconnect, so connections are retired before that.
  std::chrono::milliseconds idle_timeout{30'000};
  std::string ca_file;                               // empty: the system's trust store
  bool verify_peer = true;                           // only ever false in tests of the refusal itself
};

struct upstream_response {
  unsigned status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header as sent, "" when absent
};

using upstream_header = std::pair<std::string, std::string>;
using upstream_callback = std::function<void(result<upstream_response>)>;

class https_client {
 public:
  https_client(upstream_url origin, https_client_options options);
  ~https_client();  // cancels what is in flight (callbacks get upstream_unavailable) and joins the thread
  https_client(const https_client&) = delete;
  https_client& operator=(const https_client&) = delete;

  // POSTs `body` to origin.base_path + path_and_query with the given extra headers. A transport
  // failure (DNS, refused, TLS, timeout, reset) is upstream_unavailable; any HTTP answer, 5xx
  // included, is a value for the caller to judge.
  void post(std::string path_and_query, std::string body, std::vector<upstream_header> headers,
            upstream_callback done);

  // GETs origin.base_path + path_and_query (polling a long-running operation); answers as post().
  void get(std::string path_and_query, std::vector<upstream_header> headers, upstream_callback done);

  // Runs `action` on the io thread after `delay`, without a thread waiting: how callers schedule
  // retries. When the client is destroyed first, pending actions run at once (their post() then
  // fails with upstream_unavailable), so nothing waiting on them is left hanging.
  void run_after(std::chrono::milliseconds delay, std::function<void()> action);

  // Connections opened so far (TLS or plain), for tests and metrics of the keep-alive pool.
  [[nodiscard]] std::uint64_t connections_opened() const noexcept;
  // Requests sent again because their pooled connection turned out closed by the server.
  [[nodiscard]] std::uint64_t stale_connection_retries() const noexcept;
  // Pooled connections closed unused because they sat idle longer than idle_timeout.
  [[nodiscard]] std::uint64_t idle_connections_retired() const noexcept;

 private:
  class implementation;
  std::unique_ptr<implementation> implementation_;
};

}  // namespace mosaic::server
