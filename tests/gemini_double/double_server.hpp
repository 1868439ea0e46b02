#pragma once
// The double's HTTP/1.1 server (Boost.Beast, plain HTTP on loopback: the client under test is pointed
// at it with a base URL). The only translation unit that includes Beast. It reads requests with a
// body limit and read timeouts, answers `Expect: 100-continue`, keeps connections alive, applies the
// delay and the dropped connections embedding_api asks for with timers (never sleeping a thread), holds
// gated answers at the call gate while it is closed (a held connection costs no thread either), and
// stops on SIGINT or SIGTERM.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "core/result.hpp"
#include "embedding_api.hpp"

namespace mosaic::gemini_double {

struct server_settings {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: the system picks a free port
  std::size_t threads = 2;
  std::uint64_t body_limit_bytes = 64ull << 20;
  // Per read of a request's header or body: a client that stalls longer loses its connection.
  std::chrono::seconds read_timeout{30};
};

// Serves until SIGINT or SIGTERM, then returns success. `on_listening` is called with the bound port
// once the socket accepts connections. Fails (without calling it) when the address cannot be bound.
status run_double_server(const server_settings& settings, embedding_api& api,
                         const std::function<void(std::uint16_t)>& on_listening);

}  // namespace mosaic::gemini_double
