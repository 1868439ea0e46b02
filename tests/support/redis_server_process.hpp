#pragma once
// redis-server (Debian's) as a child process for the shared-state tests: started on a free loopback
// port with nothing saved to disk, stopped by its process id. available() is false when the binary
// is not installed, so a test can say so and skip (scripts/install-dependencies.sh installs it).
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gemini_double_process.hpp"

namespace mosaic::server::testing {

inline const char* redis_server_binary() {
  for (const char* candidate : {"/usr/bin/redis-server", "/usr/sbin/redis-server"}) {
    if (std::filesystem::exists(candidate)) return candidate;
  }
  return nullptr;
}

class redis_server_process {
 public:
  static bool available() { return redis_server_binary() != nullptr; }

  explicit redis_server_process(std::string password = {}) : port_(closed_port()) {
    std::vector<std::string> arguments = {redis_server_binary(), "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                          "--save", "", "--appendonly", "no", "--loglevel", "warning"};
    if (!password.empty()) arguments.insert(arguments.end(), {"--requirepass", password});
    std::vector<char*> argv;
    for (auto& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);
    if (::posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot start redis-server");
    }
    // Ready when its port takes connections.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!accepts_connections()) {
      if (std::chrono::steady_clock::now() > give_up) {
        // A constructor that throws runs no destructor: stop the server here, or it outlives the test.
        stop();
        throw std::runtime_error("redis-server did not start listening");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  ~redis_server_process() { stop(); }
  redis_server_process(const redis_server_process&) = delete;
  redis_server_process& operator=(const redis_server_process&) = delete;

  [[nodiscard]] unsigned short port() const noexcept { return port_; }

 private:
  void stop() noexcept {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  [[nodiscard]] bool accepts_connections() const {
    const int socket_handle = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port_);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool connected = ::connect(socket_handle, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(socket_handle);
    return connected;
  }

  unsigned short port_;
  pid_t pid_ = -1;
};

}  // namespace mosaic::server::testing
