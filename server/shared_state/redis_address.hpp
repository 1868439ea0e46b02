#pragma once
// Where `mosaic serve --redis URL` finds Redis: redis://[[user]:password@]host[:port][/db]. The
// password is kept here and in the connection's AUTH only; `description()` (for logs, /api/health and
// /metrics) leaves it out, so a secret in the URL never reaches an answer or a log line.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mosaic::server {

struct redis_address {
  std::string host;
  std::uint16_t port = 6379;
  std::string user;      // empty: AUTH with the password alone (Redis before 6, or the default user)
  std::string password;  // empty: no AUTH
  unsigned database = 0;

  // "redis://host:port/db", never the user or the password.
  [[nodiscard]] std::string description() const;
};

// invalid_argument naming the part at fault (never quoting the password).
result<redis_address> parse_redis_url(std::string_view url);

}  // namespace mosaic::server
