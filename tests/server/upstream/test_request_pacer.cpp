// The --rpm pacer: slots 60 s / N apart, so no minute holds more than N requests; 0 means no limit.
#include <catch2/catch.hpp>

#include <chrono>

#include "upstream/request_pacer.hpp"

using mosaic::server::request_pacer;
using namespace std::chrono_literals;

TEST_CASE("request_pacer spaces requests 60 s / rpm apart", "[upstream][pacer]") {
  request_pacer pacer(120);  // one every 500 ms
  const auto start = request_pacer::clock::time_point{} + 1h;
  CHECK(pacer.reserve(start).count() == 0);
  CHECK(pacer.reserve(start).count() == 500);
  CHECK(pacer.reserve(start).count() == 1000);
  // Later callers wait only for what is still booked ahead of them.
  CHECK(pacer.reserve(start + 1200ms).count() == 300);
  // After a quiet spell the next request leaves at once.
  CHECK(pacer.reserve(start + 10s).count() == 0);
}

TEST_CASE("request_pacer never lets more than rpm requests start within a minute", "[upstream][pacer]") {
  request_pacer pacer(7);
  const auto start = request_pacer::clock::time_point{} + 1h;
  int started_within_minute = 0;
  for (int request = 0; request < 20; ++request) {
    if (start + pacer.reserve(start) < start + 1min) ++started_within_minute;
  }
  CHECK(started_within_minute == 7);
}

TEST_CASE("request_pacer with 0 does not limit", "[upstream][pacer]") {
  request_pacer pacer(0);
  const auto now = request_pacer::clock::now();
  for (int request = 0; request < 1000; ++request) CHECK(pacer.reserve(now).count() == 0);
}
