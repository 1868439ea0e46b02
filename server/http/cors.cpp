#include "http/cors.hpp"

#include <algorithm>

namespace mosaic::server {

std::optional<std::string> allowed_cors_origin(const std::vector<std::string>& allow_list, std::string_view origin) {
  if (origin.empty()) return std::nullopt;  // not a cross-origin request
  if (std::find(allow_list.begin(), allow_list.end(), "*") != allow_list.end()) return std::string("*");
  if (std::find(allow_list.begin(), allow_list.end(), origin) != allow_list.end()) return std::string(origin);
  return std::nullopt;
}

std::string check_allowed_origin_syntax(std::string_view origin) {
  if (origin == "*") return {};
  const bool has_scheme = origin.starts_with("http://") || origin.starts_with("https://");
  if (!has_scheme) return "an origin starts with http:// or https://";
  const std::string_view rest = origin.substr(origin.find("://") + 3);
  if (rest.empty()) return "an origin names a host";
  if (rest.find_first_of("/?#") != std::string_view::npos) return "an origin has no path, query or trailing slash";
  return {};
}

}  // namespace mosaic::server
