// Base URLs come from the command line and configuration: anything that is not plainly
// http(s)://host[:port][/path] is refused before a connection is made.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "upstream/upstream_url.hpp"

using mosaic::error_code;
using mosaic::server::parse_upstream_url;

TEST_CASE("upstream url: Google's base URL and the double's", "[url]") {
  auto google = parse_upstream_url("https://generativelanguage.googleapis.com/v1beta");
  REQUIRE(google.ok());
  CHECK(google->tls);
  CHECK(google->host == "generativelanguage.googleapis.com");
  CHECK(google->port == "443");
  CHECK(google->base_path == "/v1beta");

  auto double_url = parse_upstream_url("http://127.0.0.1:41234/v1beta/");
  REQUIRE(double_url.ok());
  CHECK_FALSE(double_url->tls);
  CHECK(double_url->host == "127.0.0.1");
  CHECK(double_url->port == "41234");
  CHECK(double_url->base_path == "/v1beta");  // trailing slash dropped
}

TEST_CASE("upstream url: defaults, case, IPv6 and odd but valid forms", "[url]") {
  auto plain = parse_upstream_url("HTTP://Example.COM");
  REQUIRE(plain.ok());
  CHECK(plain->port == "80");
  CHECK(plain->host == "example.com");
  CHECK(plain->base_path.empty());

  auto ipv6 = parse_upstream_url("https://[::1]:8443/api/v1");
  REQUIRE(ipv6.ok());
  CHECK(ipv6->host == "::1");
  CHECK(ipv6->port == "8443");
  CHECK(ipv6->base_path == "/api/v1");

  auto leading_zero = parse_upstream_url("https://example.com:0443/");
  REQUIRE(leading_zero.ok());
  CHECK(leading_zero->port == "443");

  auto escaped = parse_upstream_url("https://example.com/a%20b/c");
  REQUIRE(escaped.ok());
  CHECK(escaped->base_path == "/a%20b/c");

  auto fully_qualified = parse_upstream_url("https://example.com./v1");
  REQUIRE(fully_qualified.ok());
  CHECK(fully_qualified->host == "example.com");
}

TEST_CASE("upstream url: hostile and malformed inputs are refused with a reason", "[url]") {
  const std::vector<std::string> refused = {
      "",
      "generativelanguage.googleapis.com/v1beta",  // no scheme
      "ftp://example.com",
      "file:///etc/passwd",
      "https://",
      "https:///v1beta",
      "https://user:secret@example.com/v1",  // credentials in the URL
      "https://example.com@evil.com/",
      "https://example.com/v1?key=abc",
      "https://example.com/v1#frag",
      "https://example.com:/v1",
      "https://example.com:0/",
      "https://example.com:65536/",
      "https://example.com:99999999999999999999/",
      "https://example.com:-1/",
      "https://example.com:80a/",
      "https://exa mple.com/",
      "https://example.com/a b",
      "https://example.com/v1\r\nHost: evil",
      "https://example.com\\@evil.com/",
      "https://exa_mple.com/",
      "https://-/",
      "https://a..b/",
      "https://[::1/",
      "https://[::1]x/",
      "https://[fe80::1%25eth0]/",
      "https://[]/",
      "https://example.com/../admin",
      "https://example.com/v1/./x",
      "https://example.com/%2e%2E/x",
      "https://example.com/a%2fb",
      "https://example.com/a%zz",
      "https://example.com/a%2",
      "https://example.com//v1",
      "https://ex\xc3\xa4mple.com/",
      "https://" + std::string(300, 'a'),
  };
  for (const std::string& url : refused) {
    INFO(url);
    auto parsed = parse_upstream_url(url);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.failure().code == error_code::invalid_argument);
    CHECK(parsed.failure().message.find("upstream URL") != std::string::npos);
  }
}

TEST_CASE("upstream url: a NUL byte inside the text is refused", "[url]") {
  const std::string with_nul("https://example.com\0.evil.com/", 30);
  CHECK_FALSE(parse_upstream_url(with_nul).ok());
}

TEST_CASE("upstream url: errors never echo a long URL whole", "[url]") {
  const std::string secret(200, 'k');
  auto parsed = parse_upstream_url("https://example.com/v1?key=" + secret);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.failure().message.find(secret) == std::string::npos);
}
