#pragma once
// The Gemini test double as a child process for the provider tests: spawned with posix_spawn, its
// port read from the one line it prints, stopped with SIGTERM by pid. Plus a minimal loopback HTTP
// request over POSIX sockets for its /_double endpoints (the provider's client only POSTs to Gemini).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace mosaic::server::testing {

class gemini_double_process {
 public:
  explicit gemini_double_process(std::vector<std::string> flags) {
    std::vector<std::string> arguments = {MOSAIC_GEMINI_DOUBLE_PATH, "--port", "0", "--hash-text"};
    arguments.insert(arguments.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (auto& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);

    int pipe_ends[2];
    if (::pipe(pipe_ends) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_ends[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_ends[0]);
    const int spawned = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_ends[1]);
    output_ = pipe_ends[0];
    if (spawned != 0) throw std::runtime_error(std::string("cannot start ") + MOSAIC_GEMINI_DOUBLE_PATH);

    // "listening on 127.0.0.1:PORT\n"
    std::string line;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (line.find('\n') == std::string::npos) {
      pollfd readable{output_, POLLIN, 0};
      if (std::chrono::steady_clock::now() > give_up || ::poll(&readable, 1, 1000) < 0) {
        stop();
        throw std::runtime_error("the double did not say where it listens");
      }
      char buffer[256];
      if ((readable.revents & (POLLIN | POLLHUP)) == 0) continue;
      const ssize_t got = ::read(output_, buffer, sizeof buffer);
      if (got <= 0) {
        stop();
        throw std::runtime_error("the double exited before listening: " + line);
      }
      line.append(buffer, static_cast<std::size_t>(got));
    }
    const std::size_t colon = line.rfind(':');
    port_ = static_cast<unsigned short>(std::stoul(line.substr(colon + 1)));
  }

  ~gemini_double_process() { stop(); }
  gemini_double_process(const gemini_double_process&) = delete;
  gemini_double_process& operator=(const gemini_double_process&) = delete;

  [[nodiscard]] unsigned short port() const noexcept { return port_; }
  [[nodiscard]] std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1beta"; }

 private:
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    if (output_ >= 0) {
      ::close(output_);
      output_ = -1;
    }
  }

  pid_t pid_ = -1;
  int output_ = -1;
  unsigned short port_ = 0;
};

// One request on a fresh loopback connection ("Connection: close"); returns the body.
inline std::string loopback_request(unsigned short port, const std::string& method, const std::string& target) {
  const int socket_handle = ::socket(AF_INET, SOCK_STREAM, 0);
  if (socket_handle < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(socket_handle, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(socket_handle);
    throw std::runtime_error("cannot connect to the double");
  }
  const std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
                              "Connection: close\r\n\r\n";
  if (::send(socket_handle, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    ::close(socket_handle);
    throw std::runtime_error("cannot send to the double");
  }
  std::string answer;
  char buffer[4096];
  for (ssize_t got; (got = ::recv(socket_handle, buffer, sizeof buffer, 0)) > 0;) answer.append(buffer, static_cast<std::size_t>(got));
  ::close(socket_handle);
  const std::size_t body_start = answer.find("\r\n\r\n");
  return body_start == std::string::npos ? std::string{} : answer.substr(body_start + 4);
}

// A port nothing listens on: bound, read, closed.
inline unsigned short closed_port() {
  const int socket_handle = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(socket_handle, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(socket_handle, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(socket_handle);
  return ntohs(address.sin_port);
}

}  // namespace mosaic::server::testing
