#pragma once
// When a request body or an answer being sent must have made its next progress. A total time limit
// would cut off an honest client on a slow link (a phone uploading a 15 MB recording), and a limit on
// silence alone would let a slowloris client hold a connection forever with one byte every few
// seconds. So, as Apache's mod_reqtimeout does: the transfer may take `allowance` plus one second for
// every `minimum_rate` bytes moved so far, and may never be silent for longer than `allowance`.
// Plain arithmetic on explicit times, free of asio, so its tests drive time themselves.
#include <chrono>
#include <cstdint>

namespace mosaic::server {

class transfer_deadline {
 public:
  using clock = std::chrono::steady_clock;

  // `minimum_rate` in bytes per second (at most 10^9); 0 takes away the rate rule (only silence is
  // bounded).
  transfer_deadline(clock::time_point started, std::chrono::seconds allowance, std::uint64_t minimum_rate);

  // The time by which the next bytes must arrive (or be taken by the client), given the time now and
  // the bytes moved so far since `started`.
  [[nodiscard]] clock::time_point next(clock::time_point now, std::uint64_t bytes_so_far) const;

 private:
  clock::time_point started_;
  std::chrono::seconds allowance_;
  std::uint64_t minimum_rate_;
};

}  // namespace mosaic::server
