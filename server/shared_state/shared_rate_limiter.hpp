#pragma once
// The per-client rate limit shared by every proxy on one Redis (mosaic serve --redis with
// --rate-limit N --rate-burst B): one token bucket per client for all proxies together, so a client
// spreading its requests over three proxies behind a balancer gets the limit one proxy would give,
// not three times it. The bucket lives in Redis and is taken by a Lua script, atomically, as GCRA
// (the time the bucket would be full again is the only state: one key, one number), on Redis' own
// clock, so the proxies' clocks need not agree. The key is the SHA-256 of the client address (no
// address is stored in Redis in the clear) and expires when the bucket has refilled: an idle client
// leaves nothing behind.
//
// Redis down or slow: the local bucket decides (the proxy's own rate_limiter, the one used without
// --redis), so a client gets the per-proxy limit meanwhile; shared decisions resume with the next
// request after Redis answers again.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "http/rate_limiter.hpp"
#include "shared_state/redis_client.hpp"
#include "shared_state/redis_script.hpp"

namespace mosaic::server {

class shared_rate_limiter {
 public:
  // `fallback` decides while Redis is away and must outlive this; `key_prefix` names the buckets in
  // Redis (proxies sharing it share the limits).
  shared_rate_limiter(redis_client& redis, rate_limit_options options, rate_limiter& fallback,
                      std::string key_prefix = "mosaic:v1:client-rate:");
  // Waits for the decisions still on their way (each is bounded by the Redis timeout), so no job of
  // the Redis client's queue calls into a limiter that is gone.
  ~shared_rate_limiter();
  shared_rate_limiter(const shared_rate_limiter&) = delete;
  shared_rate_limiter& operator=(const shared_rate_limiter&) = delete;

  // Thread-safe. Takes one token from the client's bucket when there is one; `decided` is called once,
  // on the Redis client's thread (keep it short: hand real work to another thread).
  void try_acquire(std::string_view client, std::function<void(rate_decision)> decided);

  [[nodiscard]] std::uint64_t shared_decisions() const noexcept { return shared_decisions_.load(); }
  [[nodiscard]] std::uint64_t local_decisions() const noexcept { return local_decisions_.load(); }

  // The Redis key of a client's bucket (tests look at it).
  [[nodiscard]] std::string key_for(std::string_view client) const;

 private:
  void decide(redis_connection& connection, const std::string& key, const std::string& client,
              const std::function<void(rate_decision)>& decided);

  redis_client& redis_;
  rate_limiter& fallback_;
  std::string key_prefix_;
  bool limited_;
  std::string interval_microseconds_;   // between two tokens
  std::string tolerance_microseconds_;  // burst × interval: how far ahead of now the bucket may run
  redis_script take_token_;  // used on the Redis client's thread only
  std::mutex pending_mutex_;
  std::condition_variable pending_changed_;
  std::size_t pending_ = 0;
  std::atomic<std::uint64_t> shared_decisions_{0};
  std::atomic<std::uint64_t> local_decisions_{0};
};

}  // namespace mosaic::server
