// The per-client token bucket, driven by a fake clock: burst then refusal, refill over time, the
// retry-after hint, isolation between clients, the bounded table, and the switch that turns it off.
#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

#include "http/rate_limiter.hpp"

using mosaic::server::rate_limit_options;
using mosaic::server::rate_limiter;
using std::chrono::milliseconds;

namespace {

const std::chrono::steady_clock::time_point start{std::chrono::hours(1000)};

rate_limit_options limit(double per_second, double burst, std::size_t max_clients = 100) {
  rate_limit_options options;
  options.per_second = per_second;
  options.burst = burst;
  options.max_clients = max_clients;
  return options;
}

int allowed_in_a_row(rate_limiter& limiter, std::string_view client, std::chrono::steady_clock::time_point now) {
  int allowed = 0;
  while (limiter.try_acquire(client, now).allowed) {
    ++allowed;
    if (allowed > 10'000) break;
  }
  return allowed;
}

}  // namespace

TEST_CASE("rate limiter: a burst, then refusal with the time until one token is back", "[rate_limiter]") {
  rate_limiter limiter(limit(2.0, 5.0));
  CHECK(allowed_in_a_row(limiter, "10.0.0.1", start) == 5);
  const auto refused = limiter.try_acquire("10.0.0.1", start);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after == milliseconds(500));  // one token at 2 per second
  // 200 ms later 0.4 of a token is back: 300 ms to go.
  const auto later = limiter.try_acquire("10.0.0.1", start + milliseconds(200));
  CHECK_FALSE(later.allowed);
  CHECK(later.retry_after == milliseconds(300));
}

TEST_CASE("rate limiter: tokens come back over time, never above the burst", "[rate_limiter]") {
  rate_limiter limiter(limit(10.0, 3.0));
  CHECK(allowed_in_a_row(limiter, "client", start) == 3);
  CHECK(limiter.try_acquire("client", start + milliseconds(100)).allowed);   // one token after 100 ms
  CHECK_FALSE(limiter.try_acquire("client", start + milliseconds(100)).allowed);
  CHECK(allowed_in_a_row(limiter, "client", start + milliseconds(350)) == 2);  // 2.5 tokens back, 2 whole
  // A long pause refills to the burst, not beyond.
  CHECK(allowed_in_a_row(limiter, "client", start + std::chrono::hours(1)) == 3);
  // A time earlier than the last one seen (threads racing) refills nothing and breaks nothing.
  CHECK_FALSE(limiter.try_acquire("client", start).allowed);
}

TEST_CASE("rate limiter: clients are isolated from each other", "[rate_limiter]") {
  rate_limiter limiter(limit(1.0, 2.0));
  CHECK(allowed_in_a_row(limiter, "a", start) == 2);
  CHECK(allowed_in_a_row(limiter, "b", start) == 2);
  CHECK_FALSE(limiter.try_acquire("a", start).allowed);
  CHECK(limiter.tracked_clients() == 2);
}

TEST_CASE("rate limiter: the table is bounded: refilled buckets go first and else the least recently seen",
          "[rate_limiter]") {
  SECTION("refilled buckets are dropped") {
    rate_limiter limiter(limit(1.0, 2.0, 3));
    for (const char* client : {"a", "b", "c"}) CHECK(limiter.try_acquire(client, start).allowed);
    CHECK(limiter.tracked_clients() == 3);
    // 10 s later all three have refilled: a newcomer replaces them without losing anyone's state.
    CHECK(limiter.try_acquire("d", start + std::chrono::seconds(10)).allowed);
    CHECK(limiter.tracked_clients() == 1);
  }
  SECTION("when none has refilled, the least recently seen goes") {
    rate_limiter limiter(limit(1.0, 2.0, 3));
    for (const char* client : {"a", "b", "c"}) CHECK(allowed_in_a_row(limiter, client, start) == 2);
    CHECK_FALSE(limiter.try_acquire("a", start).allowed);  // a is now the most recently seen
    CHECK(limiter.try_acquire("d", start).allowed);        // b (least recent) is dropped
    CHECK(limiter.tracked_clients() == 3);
    CHECK_FALSE(limiter.try_acquire("a", start).allowed);  // a kept its empty bucket
    CHECK_FALSE(limiter.try_acquire("c", start).allowed);  // so did c
    CHECK(limiter.try_acquire("b", start).allowed);         // b starts over with a full bucket
  }
  SECTION("many clients never grow the table past its bound") {
    rate_limiter limiter(limit(1.0, 2.0, 50));
    for (int i = 0; i < 1000; ++i) static_cast<void>(limiter.try_acquire("client-" + std::to_string(i), start));
    CHECK(limiter.tracked_clients() == 50);
  }
}

TEST_CASE("rate limiter: per_second 0 turns it off", "[rate_limiter]") {
  rate_limiter limiter(limit(0.0, 1.0));
  for (int i = 0; i < 1000; ++i) REQUIRE(limiter.try_acquire("anyone", start).allowed);
  CHECK(limiter.tracked_clients() == 0);
}

TEST_CASE("rate limiter: concurrent clients each get exactly their burst", "[rate_limiter]") {
  rate_limiter limiter(limit(1.0, 100.0, 1000));
  std::vector<std::thread> threads;
  std::vector<int> allowed(8, 0);
  for (std::size_t t = 0; t < allowed.size(); ++t) {
    threads.emplace_back([&, t] {
      // Two threads per client, so a bucket is shared across threads.
      const std::string client = "client-" + std::to_string(t / 2);
      for (int i = 0; i < 200; ++i) allowed[t] += limiter.try_acquire(client, start).allowed ? 1 : 0;
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (std::size_t t = 0; t < allowed.size(); t += 2) CHECK(allowed[t] + allowed[t + 1] == 100);
}
