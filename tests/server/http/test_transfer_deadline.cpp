// The deadline of a request body or an answer, driven by explicit times: the allowance plus the time
// its bytes have earned at the minimum rate, never more than the allowance past the latest progress.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

#include "http/transfer_deadline.hpp"

using mosaic::server::transfer_deadline;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {
const transfer_deadline::clock::time_point start{std::chrono::hours(1000)};
}  // namespace

TEST_CASE("transfer deadline: before any byte, the allowance from the start", "[transfer_deadline]") {
  const transfer_deadline deadline(start, seconds(30), 1024);
  CHECK(deadline.next(start, 0) == start + seconds(30));
  // Silent for 10 s: the first byte is still due 30 s after the start, not 30 s after now.
  CHECK(deadline.next(start + seconds(10), 0) == start + seconds(30));
}

TEST_CASE("transfer deadline: a slow but steady transfer earns time past the allowance", "[transfer_deadline]") {
  // 15 MB at 100 KB/s takes 150 s; with a 30 s allowance and 1 KB/s earned, each piece is due 30 s
  // after the latest progress (the silence rule), far inside the time the bytes have earned.
  const transfer_deadline deadline(start, seconds(30), 1024);
  for (std::uint64_t second = 1; second <= 150; ++second) {
    const auto now = start + seconds(second);
    const std::uint64_t bytes = second * 100 * 1024;
    REQUIRE(deadline.next(now, bytes) == now + seconds(30));
  }
}

TEST_CASE("transfer deadline: a trickle below the minimum rate runs out of time", "[transfer_deadline]") {
  // One byte a second against 1 KB/s: each byte earns under a millisecond, so the deadline stays near
  // start + 30 s however long the trickle goes on.
  const transfer_deadline deadline(start, seconds(30), 1024);
  CHECK(deadline.next(start + seconds(29), 29) == start + seconds(30) + milliseconds(28));
  CHECK(deadline.next(start + seconds(29), 29) < start + seconds(31));
  // 2,048 bytes earn exactly two seconds; 1,536 bytes one and a half.
  CHECK(deadline.next(start + seconds(5), 2048) == start + seconds(32));
  CHECK(deadline.next(start + seconds(5), 1536) == start + seconds(31) + milliseconds(500));
}

TEST_CASE("transfer deadline: a stall after a fast start is bounded by the allowance", "[transfer_deadline]") {
  // 10 MB in the first second earns hours, but silence is still cut 30 s after the latest progress.
  const transfer_deadline deadline(start, seconds(30), 1024);
  CHECK(deadline.next(start + seconds(1), 10 * 1024 * 1024) == start + seconds(31));
}

TEST_CASE("transfer deadline: a minimum rate of 0 bounds only silence", "[transfer_deadline]") {
  const transfer_deadline deadline(start, seconds(2), 0);
  CHECK(deadline.next(start + seconds(1000), 1) == start + seconds(1002));
}

TEST_CASE("transfer deadline: no count of bytes overflows the clock", "[transfer_deadline]") {
  const transfer_deadline deadline(start, seconds(30), 1);
  const auto maximum = std::numeric_limits<std::uint64_t>::max();
  // Earned time is capped at a week; the silence rule decides here.
  CHECK(deadline.next(start + seconds(1), maximum) == start + seconds(31));
  const transfer_deadline fast(start, seconds(30), 1'000'000'000);
  CHECK(fast.next(start, maximum) == start + seconds(30));
  CHECK(fast.next(start + seconds(100), maximum) > start + seconds(100));
}
