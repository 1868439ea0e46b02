#pragma once
// A client-side limit on upstream requests per minute (`mosaic index --rpm N`): each request gets the
// next free slot, slots 60 s / N apart, so no sliding minute ever holds more than N requests. Spacing
// them evenly (rather than letting N leave at once) also keeps a batch job from meeting Google's
// per-minute quota as a burst of 429s. Retries take slots too: they are requests like any other.
#include <chrono>
#include <cstddef>
#include <mutex>

namespace mosaic::server {

class request_pacer {
 public:
  using clock = std::chrono::steady_clock;

  // 0 requests per minute: no limit (every request may leave at once).
  explicit request_pacer(std::size_t requests_per_minute) noexcept;

  // Thread-safe. Takes the next slot and returns how long the caller must wait for it from `now`
  // (zero when a slot is free now).
  std::chrono::milliseconds reserve(clock::time_point now);

 private:
  std::chrono::microseconds spacing_{0};
  std::mutex mutex_;
  clock::time_point next_slot_{};
};

}  // namespace mosaic::server
