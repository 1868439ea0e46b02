#pragma once
// Fault injection: decides, call by call, whether the double answers normally or plays one of the
// failures the proxy must survive. Settings come from the command line and can be replaced at run
// time (POST /_double/faults), so one double can serve several scenarios.
//
// "Every Nth call" counts calls to the embedding endpoints since start or the last reset; faults are
// decided before the API key and the body are looked at, as an overloaded front end would. When
// several rules hit the same call, the first of drop, 500, 429 wins; the requests-per-minute limit is
// checked last, over a sliding 60-second window of the calls that got through.
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>

namespace mosaic::gemini_double {

struct fault_settings {
  std::uint64_t fail_429_every = 0;        // 0: never
  std::uint64_t fail_500_every = 0;
  std::uint64_t drop_every = 0;            // close the connection without answering
  std::uint64_t latency_milliseconds = 0;  // added to every call, without blocking other connections
  std::uint64_t requests_per_minute = 0;   // 0: unlimited
  std::uint64_t retry_after_seconds = 1;   // the Retry-After of --fail-429-every answers
};

enum class fault_kind { none, drop_connection, internal_error, resource_exhausted, rate_limited };

struct fault_decision {
  fault_kind kind = fault_kind::none;
  std::chrono::milliseconds latency{0};
  std::uint64_t retry_after_seconds = 0;  // resource_exhausted and rate_limited
};

class fault_injector {
 public:
  using clock = std::chrono::steady_clock;

  explicit fault_injector(fault_settings settings) : settings_(settings) {}

  // Counts one call and decides its fate. Thread-safe.
  fault_decision next_call(clock::time_point now);

  // Restarts the call count and the rate window (POST /_double/reset).
  void reset();

  [[nodiscard]] fault_settings settings() const;
  void configure(fault_settings settings);

 private:
  mutable std::mutex mutex_;
  fault_settings settings_;
  std::uint64_t call_count_ = 0;
  std::deque<clock::time_point> recent_calls_;  // admitted calls of the last minute, oldest first
};

}  // namespace mosaic::gemini_double
