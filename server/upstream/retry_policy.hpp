#pragma once
// When to try an upstream call again, and how long to wait (Google's SDK defaults: 5 attempts,
// 1 s first delay, doubling, 60 s cap, with jitter). Pure functions over the answer, so tests check
// the schedule without sleeping.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace mosaic::server {

struct retry_policy {
  unsigned max_attempts = 5;                        // in all, the first included
  std::chrono::milliseconds initial_delay{1'000};
  double multiplier = 2.0;
  std::chrono::milliseconds max_delay{60'000};
  std::chrono::milliseconds total_budget{120'000};  // give up rather than wait past this
};

// 429, 500, 502, 503 and 504 (and transport failures) are worth retrying; 400/403/404 and the rest are not.
bool is_retryable_status(unsigned status) noexcept;

// Retry-After as delay-seconds ("7") or an HTTP date; nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now);

// The wait before attempt `attempt + 1` (attempt counts from 1): full jitter over the exponential
// step, drawn with `unit_random` in [0, 1), but never less than the server's Retry-After when it
// gave one, and never above max_delay unless Retry-After asks for more.
std::chrono::milliseconds retry_delay(const retry_policy& policy, unsigned attempt,
                                      std::optional<std::chrono::milliseconds> retry_after, double unit_random);

}  // namespace mosaic::server
