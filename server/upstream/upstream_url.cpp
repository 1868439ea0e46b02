#include "upstream/upstream_url.hpp"

#include <algorithm>
#include <charconv>

namespace mosaic::server {
namespace {

error invalid(std::string_view url, std::string_view why) {
  // The URL itself is echoed only when short: a pasted key or token must not end up in logs whole.
  constexpr std::size_t shown_characters = 80;
  std::string shown(url.substr(0, shown_characters));
  if (url.size() > shown_characters) shown += "...";
  for (char& character : shown) {
    if (static_cast<unsigned char>(character) < 0x20 || character == 0x7F) character = '?';
  }
  return make_error(error_code::invalid_argument,
                    "upstream URL \"" + shown + "\": " + std::string(why) +
                        " (expected http(s)://host[:port][/path], without user, query or fragment)");
}

bool is_ascii_letter(char character) noexcept {
  return (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z');
}
bool is_digit(char character) noexcept { return character >= '0' && character <= '9'; }
bool is_hex_digit(char character) noexcept {
  return is_digit(character) || (character >= 'a' && character <= 'f') || (character >= 'A' && character <= 'F');
}

char lower(char character) noexcept {
  return character >= 'A' && character <= 'Z' ? static_cast<char>(character - 'A' + 'a') : character;
}

bool starts_with_case_insensitive(std::string_view text, std::string_view prefix) noexcept {
  if (text.size() < prefix.size()) return false;
  for (std::size_t index = 0; index < prefix.size(); ++index) {
    if (lower(text[index]) != prefix[index]) return false;
  }
  return true;
}

// A registered name: letters, digits, '-' and '.', labels not empty (RFC 1123). '_' is refused: it
// cannot appear in a certificate's DNS name either.
bool is_host_name(std::string_view host) noexcept {
  if (host.empty() || host.size() > 253) return false;
  std::size_t label_length = 0;
  char previous = '.';
  for (const char character : host) {
    // A label neither starts nor ends with '-'.
    if ((character == '-' && previous == '.') || (character == '.' && previous == '-')) return false;
    previous = character;
    if (character == '.') {
      if (label_length == 0) return false;
      label_length = 0;
    } else if (is_ascii_letter(character) || is_digit(character) || character == '-') {
      if (++label_length > 63) return false;
    } else {
      return false;
    }
  }
  if (previous == '-') return false;
  return label_length > 0 || host.size() > 1;  // one trailing dot ("example.com.") is a valid FQDN
}

// The inside of "[...]": hex digits, ':' and '.' (an embedded IPv4 tail); no zone ids.
bool is_ipv6_literal(std::string_view host) noexcept {
  if (host.size() < 2 || host.find(':') == std::string_view::npos) return false;
  for (const char character : host) {
    if (!is_hex_digit(character) && character != ':' && character != '.') return false;
  }
  return true;
}

// Path characters RFC 3986 allows unencoded (pchar minus '@', which only confuses readers), and
// complete %XX escapes.
bool is_path_character(char character) noexcept {
  constexpr std::string_view allowed = "-._~!$&'()*+,;=:/";
  return is_ascii_letter(character) || is_digit(character) || allowed.find(character) != std::string_view::npos;
}

}  // namespace

result<upstream_url> parse_upstream_url(std::string_view url) {
  upstream_url parsed;
  std::string_view rest;
  if (starts_with_case_insensitive(url, "https://")) {
    parsed.tls = true;
    rest = url.substr(8);
  } else if (starts_with_case_insensitive(url, "http://")) {
    parsed.tls = false;
    rest = url.substr(7);
  } else {
    return invalid(url, "the scheme must be http or https");
  }
  for (const char character : url) {
    const auto code = static_cast<unsigned char>(character);
    if (code <= 0x20 || code >= 0x7F) return invalid(url, "spaces, control and non-ASCII characters are not allowed");
  }
  if (url.find_first_of("?#") != std::string_view::npos) return invalid(url, "a query or fragment is not allowed");
  if (url.find('\\') != std::string_view::npos) return invalid(url, "backslashes are not allowed");

  const std::size_t authority_end = rest.find('/');
  const std::string_view authority = rest.substr(0, authority_end);
  const std::string_view path = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) return invalid(url, "user information is not allowed");
  if (authority.empty()) return invalid(url, "the host is missing");

  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid(url, "an IPv6 address needs a closing ']'");
    host = authority.substr(1, close - 1);
    if (!is_ipv6_literal(host)) return invalid(url, "the IPv6 address is not valid");
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalid(url, "only ':port' may follow an IPv6 address");
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
    if (!is_host_name(host)) return invalid(url, "the host is not a valid name or IPv4 address");
  }

  if (has_port) {
    unsigned port = 0;
    const char* end = port_text.data() + port_text.size();
    const auto [stop, failure] = std::from_chars(port_text.data(), end, port);
    if (port_text.empty() || port_text.size() > 5 || failure != std::errc{} || stop != end || port == 0 ||
        port > 65535) {
      return invalid(url, "the port must be a number from 1 to 65535");
    }
    parsed.port = std::to_string(port);  // "0443" and "443" name the same port
  } else {
    parsed.port = parsed.tls ? "443" : "80";
  }
  parsed.host = std::string(host);
  if (!parsed.host.empty() && parsed.host.back() == '.' && parsed.host.size() > 1) parsed.host.pop_back();
  for (char& character : parsed.host) character = lower(character);

  for (std::size_t index = 0; index < path.size(); ++index) {
    const char character = path[index];
    if (character == '%') {
      if (index + 2 >= path.size() || !is_hex_digit(path[index + 1]) || !is_hex_digit(path[index + 2])) {
        return invalid(url, "a '%' in the path must start a %XX escape");
      }
      index += 2;
    } else if (!is_path_character(character)) {
      return invalid(url, "the path holds a character that must be escaped");
    }
  }
  // Dot segments would be resolved differently by each hop, and an encoded slash is read as a
  // separator by some: neither has a reason to be in a base URL.
  std::string decoded_path;
  for (std::size_t index = 0; index < path.size(); ++index) {
    if (path[index] == '%') {
      const char first = path[index + 1];
      const char second = lower(path[index + 2]);
      if (first == '2' && second == 'f') return invalid(url, "the path must not hold an encoded '/'");
      decoded_path += first == '2' && second == 'e' ? '.' : '%';
      index += 2;
    } else {
      decoded_path += path[index];
    }
  }
  std::size_t segment_start = 0;
  while (segment_start < decoded_path.size()) {
    const std::size_t segment_end = std::min(decoded_path.find('/', segment_start + 1), decoded_path.size());
    const std::string_view segment =
        std::string_view(decoded_path).substr(segment_start + 1, segment_end - segment_start - 1);
    if (segment == "." || segment == "..") return invalid(url, "the path must not hold '.' or '..' segments");
    segment_start = segment_end;
  }
  std::string_view trimmed = path;
  while (!trimmed.empty() && trimmed.back() == '/') trimmed.remove_suffix(1);
  if (trimmed.find("//") != std::string_view::npos) return invalid(url, "the path must not hold empty segments");
  parsed.base_path = std::string(trimmed);
  return parsed;
}

}  // namespace mosaic::server
