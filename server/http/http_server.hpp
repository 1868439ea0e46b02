#pragma once
// The listener and per-connection sessions (Beast's async server example, hardened): a deadline on
// every read and write (a total one for a request head, one that grows with progress for a body or
// an answer), a body limit per route decided from the request head, keep-alive, a cap on
// connections that slow clients cannot fill (connection_slots.hpp), and a
// graceful stop on SIGTERM/SIGINT: the listener closes at once, requests in flight finish, then run()
// returns. Open event streams (/api/events) are closed by the stop, so they never hold it up.
#include <cstdint>
#include <functional>
#include <string>

#include "http/event_hub.hpp"
#include "http/request_handler.hpp"

namespace mosaic::server {

struct server_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port
  unsigned threads = 2;
  // A request head (and the idle time before it on a kept-alive connection) must arrive within this
  // time of the connection being ready for it. A request body, and an answer the client reads, may
  // take this time plus one second per `minimum_transfer_rate` bytes moved, and may never stall for
  // longer than this time (transfer_deadline.hpp): a slow but steady upload or download completes,
  // a trickle or a stall is closed.
  unsigned read_timeout_seconds = 30;
  std::uint64_t minimum_transfer_rate = 1024;  // bytes per second; 0: only stalls are bounded
  // Connections reading or answering HTTP requests at once (event streams have their own cap, in
  // `events`). At the cap a new connection takes the slot of the one that has waited longest on its
  // client (idle, sending a request slowly, or reading an answer slowly), which is closed; when
  // every slot is answering a request, the new connection gets 503 with Retry-After: 1
  // (connection_slots.hpp).
  std::size_t max_connections = 2048;
  event_hub_options events;  // GET /api/events (served when the context has a site)
};

// Blocks until SIGTERM or SIGINT. `on_listening` is called with the bound port once accepting.
// Returns a process exit code (0 after a clean stop).
int run_http_server(const server_context& context, const server_options& options,
                    const std::function<void(std::uint16_t)>& on_listening);

}  // namespace mosaic::server
