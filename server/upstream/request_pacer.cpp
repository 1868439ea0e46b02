#include "upstream/request_pacer.hpp"

#include <algorithm>
#include <cstdint>

namespace mosaic::server {

request_pacer::request_pacer(std::size_t requests_per_minute) noexcept {
  if (requests_per_minute > 0) {
    // Rounded up: N slots rounded down could fit N + 1 requests into one minute.
    const auto minute = std::chrono::microseconds(std::chrono::minutes(1)).count();
    const auto count = static_cast<std::int64_t>(requests_per_minute);
    spacing_ = std::chrono::microseconds((minute + count - 1) / count);
  }
}

std::chrono::milliseconds request_pacer::reserve(clock::time_point now) {
  if (spacing_.count() == 0) return std::chrono::milliseconds(0);
  const std::lock_guard lock(mutex_);
  const clock::time_point slot = std::max(now, next_slot_);
  next_slot_ = slot + spacing_;
  // Rounded up: waking a little late keeps the limit, waking early would break it.
  return std::chrono::ceil<std::chrono::milliseconds>(slot - now);
}

}  // namespace mosaic::server
