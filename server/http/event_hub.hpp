#pragma once
// The open streams of GET /api/events (Server-Sent Events). A session that answers that route hands
// its connection over here after the response head: the stream then gets the latest event at once,
// every event published later, and a heartbeat comment while nothing happens, until the client goes
// away, falls too far behind, or the server stops (close_all, which a graceful stop calls so that it
// never waits for a stream that would otherwise stay open forever). The number of streams is bounded:
// past it a client gets 503 with Retry-After.
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mosaic::server {

class event_stream;

struct event_hub_options {
  std::size_t max_streams = 1000;
  std::chrono::seconds heartbeat{15};
  std::chrono::seconds write_timeout{30};  // a client that does not read an event in this time is dropped
  std::size_t max_queued_events = 64;       // and so is one that falls this far behind
};

class event_hub {
 public:
  event_hub(event_hub_options options, std::string latest_event);
  ~event_hub();
  event_hub(const event_hub&) = delete;
  event_hub& operator=(const event_hub&) = delete;

  // Takes over a connection (on its own executor) whose response `head` (status line and headers,
  // the blank line included) is to be written first.
  void open(boost::asio::ip::tcp::socket socket, std::string head);

  // Sends `event` to every open stream, and to streams opened later as their first event.
  void publish(std::string event);

  // Closes every stream and refuses new ones.
  void close_all();

  [[nodiscard]] std::size_t open_streams();

 private:
  event_hub_options options_;
  std::mutex mutex_;
  std::string latest_event_;
  std::vector<std::weak_ptr<event_stream>> streams_;
  bool closed_ = false;
};

}  // namespace mosaic::server
