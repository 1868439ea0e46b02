#include "http/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace mosaic::server {

class rate_limiter::implementation {
 public:
  explicit implementation(rate_limit_options options) : options_(options) {
    // A bucket that cannot hold one token would refuse everyone forever.
    options_.burst = std::max(options_.burst, 1.0);
    options_.max_clients = std::max<std::size_t>(options_.max_clients, 1);
  }

  rate_decision try_acquire(std::string_view client, std::chrono::steady_clock::time_point now) {
    if (!(options_.per_second > 0.0)) return {};
    std::lock_guard lock(mutex_);
    auto found = buckets_.find(std::string(client));
    if (found == buckets_.end()) {
      make_room(now);
      recency_.emplace_front(client);
      found = buckets_.emplace(recency_.front(), bucket{options_.burst, now, recency_.begin()}).first;
    } else {
      recency_.splice(recency_.begin(), recency_, found->second.position);
    }
    bucket& state = found->second;
    state.tokens = tokens_at(state, now);
    // The clock only moves forward here; an older `now` (threads racing to the lock) refills nothing.
    state.last_refill = std::max(state.last_refill, now);
    if (state.tokens >= 1.0) {
      state.tokens -= 1.0;
      return {};
    }
    const double seconds = (1.0 - state.tokens) / options_.per_second;
    // Rounded up (a client that waits this long finds a token), ignoring floating-point dust so 0.3 s
    // is 300 ms, not 301.
    const auto milliseconds = static_cast<std::int64_t>(std::ceil(seconds * 1000.0 - 1e-6));
    return {false, std::chrono::milliseconds(std::max<std::int64_t>(milliseconds, 1))};
  }

  std::size_t tracked_clients() const {
    std::lock_guard lock(mutex_);
    return buckets_.size();
  }

 private:
  struct bucket {
    double tokens;
    std::chrono::steady_clock::time_point last_refill;
    std::list<std::string>::iterator position;  // in recency_
  };

  double tokens_at(const bucket& state, std::chrono::steady_clock::time_point now) const {
    if (now <= state.last_refill) return state.tokens;
    const double elapsed = std::chrono::duration<double>(now - state.last_refill).count();
    return std::min(options_.burst, state.tokens + elapsed * options_.per_second);
  }

  // Precondition: mutex_ held. Frees at least one slot when the table is full. The least recently seen
  // clients are the ones most likely to have refilled (a bucket refills fully burst/per_second after
  // its last request), so the walk starts there and stops at the first that still carries state: the
  // cost stays proportional to what is dropped, never a scan of the whole table per request.
  void make_room(std::chrono::steady_clock::time_point now) {
    if (buckets_.size() < options_.max_clients) return;
    bool dropped = false;
    while (!recency_.empty()) {
      auto oldest = buckets_.find(recency_.back());
      if (tokens_at(oldest->second, now) < options_.burst) break;
      buckets_.erase(oldest);
      recency_.pop_back();
      dropped = true;
    }
    if (!dropped) {
      buckets_.erase(recency_.back());
      recency_.pop_back();
    }
  }

  rate_limit_options options_;
  mutable std::mutex mutex_;
  std::list<std::string> recency_;  // front: most recently seen client
  std::unordered_map<std::string, bucket> buckets_;
};

rate_limiter::rate_limiter(rate_limit_options options) : implementation_(std::make_unique<implementation>(options)) {}
rate_limiter::~rate_limiter() = default;

rate_decision rate_limiter::try_acquire(std::string_view client, std::chrono::steady_clock::time_point now) {
  return implementation_->try_acquire(client, now);
}
std::size_t rate_limiter::tracked_clients() const { return implementation_->tracked_clients(); }

}  // namespace mosaic::server
