#pragma once
// The base URL of an upstream API ("https://generativelanguage.googleapis.com/v1beta", or the test
// double's "http://127.0.0.1:PORT/v1beta"), split into what a connection needs.
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mosaic::server {

struct upstream_url {
  bool tls = true;          // https
  std::string host;         // name or IP literal, without brackets
  std::string port;         // "443" by default for https, "80" for http
  std::string base_path;    // "/v1beta", no trailing slash ("" for none)
};

// invalid_argument for anything but http(s)://host[:port][/path] (no user info, query or fragment).
result<upstream_url> parse_upstream_url(std::string_view url);

}  // namespace mosaic::server
