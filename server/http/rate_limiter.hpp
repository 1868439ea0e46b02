#pragma once
// A token bucket per client (the remote address) for POST /api/embed: each client may burst up to
// `burst` requests and then `per_second` more every second. The table of buckets is bounded: when
// it is full, buckets that have refilled completely (they carry no state worth keeping) are dropped,
// and if none has, the least recently seen client is. The clock is passed in, so tests need no sleep.
// A burst below 1 counts as 1 (a bucket must hold one request); a `now` older than the client's last
// request refills nothing; retry_after is rounded up to whole milliseconds (at least 1).
#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

namespace mosaic::server {

struct rate_limit_options {
  double per_second = 10.0;  // 0 disables the limit
  double burst = 20.0;
  std::size_t max_clients = 100'000;
};

struct rate_decision {
  bool allowed = true;
  std::chrono::milliseconds retry_after{0};  // when refused: until one token is back
};

class rate_limiter {
 public:
  explicit rate_limiter(rate_limit_options options);
  ~rate_limiter();
  rate_limiter(const rate_limiter&) = delete;
  rate_limiter& operator=(const rate_limiter&) = delete;

  // Thread-safe; takes one token from the client's bucket when there is one.
  rate_decision try_acquire(std::string_view client, std::chrono::steady_clock::time_point now);
  [[nodiscard]] std::size_t tracked_clients() const;

 private:
  class implementation;
  std::unique_ptr<implementation> implementation_;
};

}  // namespace mosaic::server
