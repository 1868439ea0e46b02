#include "shared_state/redis_address.hpp"

#include <charconv>

namespace mosaic::server {
namespace {

// Percent-decoding, so a password may hold '@' or ':' written as %40 and %3A (as URL rules require).
result<std::string> percent_decoded(std::string_view text, std::string_view what) {
  std::string decoded;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      decoded += text[i];
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= text.size()) {
      return make_error(error_code::invalid_argument, "--redis: a bad %-escape in the " + std::string(what));
    }
    const auto [end, problem] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (problem != std::errc{} || end != text.data() + i + 3) {
      return make_error(error_code::invalid_argument, "--redis: a bad %-escape in the " + std::string(what));
    }
    decoded += static_cast<char>(value);
    i += 2;
  }
  return decoded;
}

}  // namespace

std::string redis_address::description() const {
  return "redis://" + host + ":" + std::to_string(port) + "/" + std::to_string(database);
}

result<redis_address> parse_redis_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (!url.starts_with(scheme)) {
    return make_error(error_code::invalid_argument, "--redis takes redis://[:password@]host[:port][/db]");
  }
  std::string_view rest = url.substr(scheme.size());
  redis_address address;
  // The credentials end at the last '@': a raw '@' in a password is then still read whole.
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = credentials.find(':');
    auto user = percent_decoded(credentials.substr(0, colon), "user");
    if (!user) return std::move(user).failure();
    address.user = std::move(user).value();
    if (colon != std::string_view::npos) {
      auto password = percent_decoded(credentials.substr(colon + 1), "password");
      if (!password) return std::move(password).failure();
      address.password = std::move(password).value();
    } else {
      // redis://secret@host: a lone word is the password (as redis-cli -u reads it).
      address.password = std::move(address.user);
      address.user.clear();
    }
  }
  std::string_view host_and_port = rest;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    host_and_port = rest.substr(0, slash);
    const std::string_view database = rest.substr(slash + 1);
    if (!database.empty()) {
      const auto [end, problem] = std::from_chars(database.data(), database.data() + database.size(), address.database);
      if (problem != std::errc{} || end != database.data() + database.size() || address.database > 15'999) {
        return make_error(error_code::invalid_argument, "--redis: the database must be a number, not '" + std::string(database) + "'");
      }
    }
  }
  if (const auto colon = host_and_port.rfind(':'); colon != std::string_view::npos) {
    const std::string_view port = host_and_port.substr(colon + 1);
    unsigned value = 0;
    const auto [end, problem] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || problem != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) {
      return make_error(error_code::invalid_argument, "--redis: the port must be 1-65535, not '" + std::string(port) + "'");
    }
    address.port = static_cast<std::uint16_t>(value);
    host_and_port = host_and_port.substr(0, colon);
  }
  if (host_and_port.empty()) return make_error(error_code::invalid_argument, "--redis: the URL names no host");
  address.host = std::string(host_and_port);
  return address;
}

}  // namespace mosaic::server
