#pragma once
// The upstream quota shared by every proxy on one Redis (mosaic serve --redis with --rpm N): the
// same even spacing as the local request_pacer (a call every 60 s / N), but the next free slot lives
// in Redis and is taken by a Lua script, atomically, so N proxies together never exceed N calls per
// minute. It is a token bucket holding one token (GCRA), which is what "evenly spaced" means; the
// time is Redis' own (TIME), so the proxies' clocks need not agree.
//
// Redis down or slow: the call takes a slot of a local pacer instead, at `fallback_requests_per_minute`
// (set it to the quota divided by the number of proxies to keep the sum under the quota while Redis
// is away), and the shared slots resume with the next call after Redis answers again.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "shared_state/redis_client.hpp"
#include "shared_state/redis_script.hpp"
#include "upstream/request_pacer.hpp"

namespace mosaic::server {

class shared_upstream_pacer {
 public:
  // `key` names the quota in Redis: proxies sharing it share one limit.
  shared_upstream_pacer(redis_client& redis, std::size_t requests_per_minute, std::size_t fallback_requests_per_minute,
                        std::string key);

  // Thread-safe. `ready` is called once, on the Redis client's thread, with how long the call must
  // wait before it leaves.
  void reserve(std::function<void(std::chrono::milliseconds wait)> ready);

  [[nodiscard]] std::uint64_t shared_slots() const noexcept { return shared_slots_.load(); }
  [[nodiscard]] std::uint64_t local_slots() const noexcept { return local_slots_.load(); }

 private:
  redis_client& redis_;
  std::string key_;
  std::string spacing_microseconds_;
  bool limited_;
  request_pacer fallback_;
  redis_script take_slot_;  // used on the Redis client's thread only
  std::atomic<std::uint64_t> shared_slots_{0};
  std::atomic<std::uint64_t> local_slots_{0};
};

}  // namespace mosaic::server
