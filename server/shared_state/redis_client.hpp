#pragma once
// The proxy's connection to Redis (mosaic serve --redis), built so Redis never holds up the HTTP
// event loop: hiredis' blocking API on one thread of its own, fed by a queue of jobs. Why not hiredis'
// async API on asio? Debian's hiredis (0.14) has no timeouts in async mode, and a Redis that hangs
// (stopped, or a network that drops packets) must cost a bounded wait, not a stuck request; a blocking
// socket with SO_RCVTIMEO/SO_SNDTIMEO gives exactly that. The commands the proxy sends are small and
// answered in well under a millisecond on a healthy Redis, so one connection keeps up with the
// proxy's cache misses (hits are answered by the in-process cache before Redis is asked).
//
// Every job runs exactly once, in submission order (delayed jobs when due), with a redis_connection
// whose commands answer errors when Redis is unreachable: a job always runs, so its caller can fall
// back to local state. After a failure the connection is dropped and no new connection is tried for
// `reconnect_interval`: while Redis is down, jobs fail at once instead of each waiting for a timeout.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "shared_state/redis_address.hpp"

namespace mosaic::server {

struct redis_reply {
  enum class kind : std::uint8_t { nil, integer, text, array, status };
  kind type = kind::nil;
  long long integer = 0;
  std::string text;  // a bulk string or a status ("OK")
  std::vector<redis_reply> elements;
};

struct redis_client_options {
  redis_address address;
  std::chrono::milliseconds connect_timeout{250};
  std::chrono::milliseconds command_timeout{250};
  std::chrono::milliseconds reconnect_interval{1000};
  std::size_t max_queued_jobs = 100'000;  // past it a job runs at once with Redis counted unavailable
};

struct redis_client_statistics {
  bool available = false;          // the last command (or connection attempt) succeeded
  std::uint64_t commands = 0;      // commands answered by Redis (error replies included)
  std::uint64_t failures = 0;      // commands or connection attempts that failed (timeouts included)
  std::uint64_t connections = 0;   // connections made (the first one and every reconnection)
  std::uint64_t queued_jobs = 0;   // jobs waiting, now
  std::string last_error;          // never holds the password
};

// What a job talks to. Valid only during the job, on the client's thread.
class redis_connection {
 public:
  virtual ~redis_connection() = default;
  // An error reply from Redis is an error value too (code upstream_rejected, Redis' message); a lost
  // connection or a timeout is upstream_unavailable, and every later command in the job fails at once.
  virtual result<redis_reply> command(std::span<const std::string_view> arguments) = 0;
  [[nodiscard]] virtual bool usable() const = 0;
};

class redis_client {
 public:
  using job = std::function<void(redis_connection& connection)>;

  explicit redis_client(redis_client_options options);
  // Runs every job still queued (due or not, with Redis counted unavailable), then joins the thread.
  ~redis_client();
  redis_client(const redis_client&) = delete;
  redis_client& operator=(const redis_client&) = delete;

  // Thread-safe.
  void submit(job work, std::chrono::milliseconds delay = std::chrono::milliseconds(0));
  [[nodiscard]] redis_client_statistics statistics() const;
  [[nodiscard]] const redis_address& address() const noexcept;

 private:
  class implementation;
  std::unique_ptr<implementation> implementation_;
};

}  // namespace mosaic::server
