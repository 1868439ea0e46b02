#include "shared_state/shared_rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <span>

#include "hash/sha256.hpp"

namespace mosaic::server {
namespace {

// GCRA. KEYS[1]: when the client's bucket is full again (TAT), microseconds of Redis' clock; absent
// means full now. ARGV[1]: microseconds per token; ARGV[2]: burst × that. A request may go when taking
// its token leaves the bucket at most ARGV[2] ahead of now, which is "a token is left" for a bucket of
// `burst` tokens refilled one per interval. Returns {1, 0} when allowed (the key moves one interval on
// and expires when the bucket is full again), {0, microseconds until a token is back} when not (nothing
// changes). Numbers stay below 2^53, so Lua's doubles hold them exactly.
constexpr const char* take_token_source = R"lua(
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local full_at = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local next_full_at = full_at + interval
if next_full_at - now > tolerance then
  return {0, next_full_at - now - tolerance}
end
redis.call('SET', KEYS[1], string.format('%.0f', next_full_at), 'PX', math.ceil((next_full_at - now) / 1000))
return {1, 0}
)lua";

std::uint64_t interval_for(double per_second) {
  // Rounded up, as the pacers do: a shorter interval would let a little more than the limit through.
  return static_cast<std::uint64_t>(std::ceil(1'000'000.0 / per_second));
}

}  // namespace

shared_rate_limiter::shared_rate_limiter(redis_client& redis, rate_limit_options options, rate_limiter& fallback,
                                         std::string key_prefix)
    : redis_(redis),
      fallback_(fallback),
      key_prefix_(std::move(key_prefix)),
      limited_(options.per_second > 0.0),
      take_token_(take_token_source) {
  if (limited_) {
    // A bucket that cannot hold one token would refuse everyone forever (as rate_limiter does).
    const auto burst = static_cast<std::uint64_t>(std::max(1.0, std::floor(options.burst)));
    const std::uint64_t interval = interval_for(options.per_second);
    interval_microseconds_ = std::to_string(interval);
    tolerance_microseconds_ = std::to_string(interval * burst);
  }
}

shared_rate_limiter::~shared_rate_limiter() {
  std::unique_lock lock(pending_mutex_);
  pending_changed_.wait(lock, [this] { return pending_ == 0; });
}

std::string shared_rate_limiter::key_for(std::string_view client) const {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(client.data());
  return key_prefix_ + hash::sha256_hex(std::span<const std::uint8_t>(bytes, client.size()));
}

void shared_rate_limiter::try_acquire(std::string_view client, std::function<void(rate_decision)> decided) {
  if (!limited_) {
    decided({});
    return;
  }
  {
    std::lock_guard lock(pending_mutex_);
    ++pending_;
  }
  redis_.submit([this, key = key_for(client), client = std::string(client), decided = std::move(decided)](redis_connection& connection) {
    decide(connection, key, client, decided);
    std::lock_guard lock(pending_mutex_);
    if (--pending_ == 0) pending_changed_.notify_all();
  });
}

void shared_rate_limiter::decide(redis_connection& connection, const std::string& key, const std::string& client,
                                 const std::function<void(rate_decision)>& decided) {
  const std::string_view keys[] = {key};
  const std::string_view arguments[] = {interval_microseconds_, tolerance_microseconds_};
  auto answer = take_token_.run(connection, keys, arguments);
  if (answer && answer->type == redis_reply::kind::array && answer->elements.size() == 2 &&
      answer->elements[0].type == redis_reply::kind::integer && answer->elements[1].type == redis_reply::kind::integer) {
    ++shared_decisions_;
    if (answer->elements[0].integer == 1) {
      decided({});
      return;
    }
    // Rounded up to whole milliseconds, at least 1: a client that waits this long finds a token.
    const long long milliseconds = std::max(1LL, (answer->elements[1].integer + 999) / 1000);
    decided({false, std::chrono::milliseconds(milliseconds)});
    return;
  }
  ++local_decisions_;
  decided(fallback_.try_acquire(client, std::chrono::steady_clock::now()));
}

}  // namespace mosaic::server
