// The retry schedule is pure: every property is checked by calling it with chosen random draws, so
// no test sleeps.
#include <catch2/catch.hpp>

#include <chrono>

#include "upstream/retry_policy.hpp"

namespace {

using mosaic::server::is_retryable_status;
using mosaic::server::parse_retry_after;
using mosaic::server::retry_delay;
using mosaic::server::retry_policy;
using std::chrono::milliseconds;

// 2026-11-22 12:00:00 UTC, a Sunday.
std::chrono::system_clock::time_point fixed_now() {
  return std::chrono::sys_days{std::chrono::year{2026} / 11 / 22} + std::chrono::hours{12};
}

}  // namespace

TEST_CASE("retry: Google's transient statuses are retried, refusals are not", "[retry]") {
  for (const unsigned status : {429u, 500u, 502u, 503u, 504u}) CHECK(is_retryable_status(status));
  for (const unsigned status : {200u, 301u, 400u, 401u, 403u, 404u, 409u, 413u, 501u}) CHECK_FALSE(is_retryable_status(status));
}

TEST_CASE("retry: the step doubles from the initial delay and stops at the cap", "[retry]") {
  const retry_policy policy;  // 1 s, x2, 60 s cap
  // A draw just under 1 shows the top of each jitter window.
  const double top = 0.999999;
  CHECK(retry_delay(policy, 1, std::nullopt, top) == milliseconds{999});
  CHECK(retry_delay(policy, 2, std::nullopt, top) == milliseconds{1999});
  CHECK(retry_delay(policy, 3, std::nullopt, top) == milliseconds{3999});
  CHECK(retry_delay(policy, 6, std::nullopt, top) == milliseconds{31999});
  CHECK(retry_delay(policy, 7, std::nullopt, top) == milliseconds{59999});
  CHECK(retry_delay(policy, 1000, std::nullopt, top) == milliseconds{59999});  // no overflow, no wrap
}

TEST_CASE("retry: full jitter stays between 0 and the step for any draw, odd draws included", "[retry]") {
  retry_policy policy;
  policy.initial_delay = milliseconds{100};
  policy.multiplier = 3.0;
  policy.max_delay = milliseconds{2'000};
  for (unsigned attempt = 1; attempt <= 8; ++attempt) {
    const double step = std::min(100.0 * std::pow(3.0, attempt - 1), 2000.0);
    for (const double draw : {0.0, 0.25, 0.5, 0.75, 0.999999}) {
      const auto delay = retry_delay(policy, attempt, std::nullopt, draw);
      CHECK(delay.count() >= 0);
      CHECK(static_cast<double>(delay.count()) < step);
      CHECK(static_cast<double>(delay.count()) >= step * draw - 1.0);
    }
  }
  // Out-of-range draws are clamped instead of producing negative or over-cap delays.
  CHECK(retry_delay(policy, 1, std::nullopt, -3.0) == milliseconds{0});
  CHECK(retry_delay(policy, 1, std::nullopt, 7.0) == milliseconds{99});
  CHECK(retry_delay(policy, 1, std::nullopt, std::nan("")) == milliseconds{0});
}

TEST_CASE("retry: Retry-After is a floor, and may exceed the cap", "[retry]") {
  retry_policy policy;
  policy.max_delay = milliseconds{5'000};
  CHECK(retry_delay(policy, 1, milliseconds{3'000}, 0.0) == milliseconds{3'000});
  CHECK(retry_delay(policy, 1, milliseconds{0}, 0.5) == milliseconds{500});  // jitter above a small floor wins
  CHECK(retry_delay(policy, 1, milliseconds{30'000}, 0.5) == milliseconds{30'000});
}

TEST_CASE("retry: Retry-After as delay-seconds", "[retry]") {
  const auto now = fixed_now();
  CHECK(parse_retry_after("7", now) == milliseconds{7'000});
  CHECK(parse_retry_after("  0 ", now) == milliseconds{0});
  CHECK(parse_retry_after("120", now) == milliseconds{120'000});
  // Absurd values are clamped to a day instead of overflowing.
  CHECK(parse_retry_after("99999999999999999999", now) == std::chrono::hours{24});
  CHECK(parse_retry_after("", now) == std::nullopt);
  CHECK(parse_retry_after("-5", now) == std::nullopt);
  CHECK(parse_retry_after("1.5", now) == std::nullopt);
  CHECK(parse_retry_after("5s", now) == std::nullopt);
}

TEST_CASE("retry: Retry-After as an HTTP date, all three forms", "[retry]") {
  const auto now = fixed_now();
  CHECK(parse_retry_after("Sun, 22 Nov 2026 12:00:30 GMT", now) == milliseconds{30'000});
  CHECK(parse_retry_after("Sunday, 22-Nov-26 12:01:00 GMT", now) == milliseconds{60'000});
  CHECK(parse_retry_after("Sun Nov 22 12:00:05 2026", now) == milliseconds{5'000});
  CHECK(parse_retry_after("Sun Nov  2 12:00:05 2026", now) == milliseconds{0});  // in the past: retry now
  CHECK(parse_retry_after("Mon, 23 Nov 2026 12:00:00 GMT", now) == std::chrono::hours{24});
  CHECK(parse_retry_after("Sun, 22 Nov 2026 11:00:00 GMT", now) == milliseconds{0});
  for (const char* broken : {"Sun, 31 Feb 2026 12:00:00 GMT", "Sun, 22 Foo 2026 12:00:00 GMT",
                             "Sun, 22 Nov 2026 25:00:00 GMT", "Sun, 22 Nov 2026 12:00:00 PST", "tomorrow",
                             "Sun, 22 Nov 2026", "Sun, 2 Nov 2026 12:00:00 GMT"}) {
    INFO(broken);
    CHECK(parse_retry_after(broken, now) == std::nullopt);
  }
}
