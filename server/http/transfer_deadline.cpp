#include "http/transfer_deadline.hpp"

#include <algorithm>

namespace mosaic::server {

transfer_deadline::transfer_deadline(clock::time_point started, std::chrono::seconds allowance, std::uint64_t minimum_rate)
    : started_(started), allowance_(allowance), minimum_rate_(minimum_rate) {}

transfer_deadline::clock::time_point transfer_deadline::next(clock::time_point now, std::uint64_t bytes_so_far) const {
  const clock::time_point silence_limit = now + allowance_;
  if (minimum_rate_ == 0) return silence_limit;
  // Earned time in whole milliseconds, capped at a week (so no count of bytes can overflow the
  // clock's nanoseconds; the silence rule still applies past it).
  constexpr std::uint64_t week_milliseconds = 7ULL * 24 * 3600 * 1000;
  const std::uint64_t whole_seconds = bytes_so_far / minimum_rate_;
  const std::uint64_t earned_milliseconds =
      whole_seconds >= week_milliseconds / 1000
          ? week_milliseconds
          : whole_seconds * 1000 + bytes_so_far % minimum_rate_ * 1000 / minimum_rate_;
  const auto earned = std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(earned_milliseconds));
  const clock::time_point rate_limit = started_ + allowance_ + std::chrono::duration_cast<clock::duration>(earned);
  return std::min(silence_limit, rate_limit);
}

}  // namespace mosaic::server
