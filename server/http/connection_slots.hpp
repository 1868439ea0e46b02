#pragma once
// The cap on the server's open HTTP connections, and which connection gives way when a new one
// arrives at the cap. A slow client (slowloris: a request head one byte a second, a body that never
// ends, an answer read a byte at a time, or a connection that is opened and left idle) holds a
// connection while the server waits on it; a server that only counted connections would let a few
// hundred such clients shut everyone else out until their timeouts ran. So a connection is either
// waiting on its client (for the next request, for the rest of one, or to read its answer) or
// working (its request is being answered: the server's own work), and a new connection at the cap
// takes the slot of the connection that has waited on its client the longest. A request the server
// is working on is never cut; only when every slot is working is a new connection refused (the
// server answers it 503 with Retry-After). Free of sockets: the server registers, for each
// connection, the function that closes it if it is still waiting, and calls what admit returns.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

namespace mosaic::server {

class connection_slots {
 public:
  using clock = std::chrono::steady_clock;
  // Why a waiting connection is asked to close: to make room for a new one (then one still reading
  // a request is closed), or because the server stops (then one whose request head has arrived
  // finishes it). The connection checks on its own executor: a request may have arrived since it was
  // picked.
  enum class close_reason { making_room, server_stopping };
  using close_if_waiting = std::function<void(close_reason)>;

  explicit connection_slots(std::size_t capacity);

  struct admission {
    bool admitted = false;
    std::uint64_t connection = 0;  // the new connection's id, when admitted
    close_if_waiting evicted;      // to call (outside any lock) when a waiting connection gave way
  };
  // A new connection, waiting on its client from `now`. Refused only when every slot is working.
  [[nodiscard]] admission admit(close_if_waiting close, clock::time_point now);

  // The connection waits on its client from `since` (the next request, or the rest of this one).
  void waiting(std::uint64_t connection, clock::time_point since);
  // The connection's request is being answered: it is not closed to make room.
  void working(std::uint64_t connection);
  // The connection is closed (or handed over, as event streams are); unknown ids are ignored.
  void release(std::uint64_t connection);

  // Every waiting connection's close function (a graceful stop closes the idle ones at once; working
  // ones close after their answer).
  [[nodiscard]] std::vector<close_if_waiting> all_waiting();

  [[nodiscard]] std::size_t open();
  [[nodiscard]] std::size_t capacity() const { return capacity_; }

 private:
  struct member {
    close_if_waiting close;
    bool waiting = true;
    clock::time_point since;
  };
  std::size_t capacity_;
  std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, member> members_;
  std::set<std::pair<clock::time_point, std::uint64_t>> waiting_by_age_;  // oldest first
};

}  // namespace mosaic::server
