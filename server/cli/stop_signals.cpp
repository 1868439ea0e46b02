#include "cli/stop_signals.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <string>

namespace mosaic::server {
namespace {

// Shared with the handler, which may only touch lock-free atomics and call async-signal-safe functions.
std::atomic<int> stop_write_descriptor{-1};
std::atomic<int> received_signal{0};

extern "C" void on_stop_signal(int signal_number) {
  received_signal.store(signal_number);
  const int descriptor = stop_write_descriptor.load();
  if (descriptor >= 0) {
    const char byte = 1;
    [[maybe_unused]] const ssize_t written = ::write(descriptor, &byte, 1);
  }
}

}  // namespace

result<stop_signals> stop_signals::install() {
  int descriptors[2] = {-1, -1};
  if (::pipe2(descriptors, O_CLOEXEC | O_NONBLOCK) != 0) {
    return make_error(error_code::io_error, std::string("cannot create the stop pipe (") + std::strerror(errno) + ")");
  }
  stop_write_descriptor.store(descriptors[1]);
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  // No SA_RESTART: a blocking wait returns and the loop looks at the pipe. SA_RESETHAND: the second
  // signal has the default action.
  action.sa_flags = static_cast<int>(SA_RESETHAND);
  for (const int signal_number : {SIGINT, SIGTERM}) {
    if (::sigaction(signal_number, &action, nullptr) != 0) {
      return make_error(error_code::io_error, std::string("cannot install a signal handler (") + std::strerror(errno) + ")");
    }
  }
  return stop_signals(descriptors[0]);
}

bool stop_signals::requested() const noexcept { return received_signal.load() != 0; }

int stop_signals::signal_number() const noexcept { return received_signal.load(); }

}  // namespace mosaic::server
