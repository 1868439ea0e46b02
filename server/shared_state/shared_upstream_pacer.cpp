#include "shared_state/shared_upstream_pacer.hpp"

namespace mosaic::server {
namespace {

// KEYS[1]: the next free slot, microseconds of Redis' clock. ARGV[1]: the spacing in microseconds.
// Returns the wait in microseconds. The key expires a minute after the slot it names has passed, so
// an idle quota leaves nothing behind. Numbers stay below 2^53 (microseconds since 1970 are ~2^51), so
// Lua's doubles hold them exactly.
constexpr const char* take_slot_source = R"lua(
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local spacing = tonumber(ARGV[1])
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local next_slot = slot + spacing
redis.call('SET', KEYS[1], string.format('%.0f', next_slot), 'PX', math.floor((next_slot - now) / 1000) + 60000)
return slot - now
)lua";

std::string spacing_for(std::size_t requests_per_minute) {
  if (requests_per_minute == 0) return "0";
  // Rounded up, as request_pacer does: N slots rounded down could fit N + 1 calls into a minute.
  const std::uint64_t minute = 60'000'000;
  return std::to_string((minute + requests_per_minute - 1) / requests_per_minute);
}

}  // namespace

shared_upstream_pacer::shared_upstream_pacer(redis_client& redis, std::size_t requests_per_minute,
                                             std::size_t fallback_requests_per_minute, std::string key)
    : redis_(redis),
      key_(std::move(key)),
      spacing_microseconds_(spacing_for(requests_per_minute)),
      limited_(requests_per_minute > 0),
      fallback_(fallback_requests_per_minute),
      take_slot_(take_slot_source) {}

void shared_upstream_pacer::reserve(std::function<void(std::chrono::milliseconds wait)> ready) {
  if (!limited_) {
    ready(std::chrono::milliseconds(0));
    return;
  }
  redis_.submit([this, ready = std::move(ready)](redis_connection& connection) {
    const std::string_view keys[] = {key_};
    const std::string_view arguments[] = {spacing_microseconds_};
    auto answer = take_slot_.run(connection, keys, arguments);
    if (answer && answer->type == redis_reply::kind::integer) {
      ++shared_slots_;
      // Rounded up: waking a little late keeps the limit, waking early would break it.
      ready(std::chrono::milliseconds((answer->integer + 999) / 1000));
      return;
    }
    ++local_slots_;
    ready(fallback_.reserve(std::chrono::steady_clock::now()));
  });
}

}  // namespace mosaic::server
