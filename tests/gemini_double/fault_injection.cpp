#include "fault_injection.hpp"

#include <algorithm>

namespace mosaic::gemini_double {
namespace {

constexpr std::chrono::seconds rate_window{60};
// Latency beyond ten minutes is a typo, and an unbounded one would overflow the timer's clock.
constexpr std::uint64_t longest_latency_milliseconds = 600'000;

bool is_every(std::uint64_t call_number, std::uint64_t period) noexcept {
  return period != 0 && call_number % period == 0;
}

}  // namespace

fault_decision fault_injector::next_call(clock::time_point now) {
  const std::lock_guard lock(mutex_);
  const std::uint64_t call_number = ++call_count_;
  fault_decision decision;
  decision.latency = std::chrono::milliseconds(
      static_cast<std::chrono::milliseconds::rep>(std::min(settings_.latency_milliseconds, longest_latency_milliseconds)));
  if (is_every(call_number, settings_.drop_every)) {
    decision.kind = fault_kind::drop_connection;
    return decision;
  }
  if (is_every(call_number, settings_.fail_500_every)) {
    decision.kind = fault_kind::internal_error;
    return decision;
  }
  if (is_every(call_number, settings_.fail_429_every)) {
    decision.kind = fault_kind::resource_exhausted;
    decision.retry_after_seconds = settings_.retry_after_seconds;
    return decision;
  }
  if (settings_.requests_per_minute != 0) {
    while (!recent_calls_.empty() && now - recent_calls_.front() >= rate_window) recent_calls_.pop_front();
    if (recent_calls_.size() >= settings_.requests_per_minute) {
      // Retry when the oldest admitted call leaves the window, rounded up to whole seconds.
      const auto wait = recent_calls_.front() + rate_window - now;
      const auto whole_seconds = std::chrono::ceil<std::chrono::seconds>(wait).count();
      decision.kind = fault_kind::rate_limited;
      decision.retry_after_seconds = whole_seconds < 1 ? 1 : static_cast<std::uint64_t>(whole_seconds);
      return decision;
    }
    recent_calls_.push_back(now);
  }
  return decision;
}

void fault_injector::reset() {
  const std::lock_guard lock(mutex_);
  call_count_ = 0;
  recent_calls_.clear();
}

fault_settings fault_injector::settings() const {
  const std::lock_guard lock(mutex_);
  return settings_;
}

void fault_injector::configure(fault_settings settings) {
  const std::lock_guard lock(mutex_);
  settings_ = settings;
  call_count_ = 0;
  recent_calls_.clear();
}

}  // namespace mosaic::gemini_double
