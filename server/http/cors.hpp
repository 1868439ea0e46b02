#pragma once
// CORS for static sites hosted elsewhere: only origins on the allow-list (--allow-origin, repeatable;
// "*" allows any) get Access-Control-Allow-Origin, so a page on another origin can call /api/embed
// and read the index, and every other page cannot read the answers.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic::server {

// The value for Access-Control-Allow-Origin when `origin` (the request's Origin header) may read
// the answer: the origin itself (or "*" when any may, since no credentials are involved); nullopt when not.
std::optional<std::string> allowed_cors_origin(const std::vector<std::string>& allow_list, std::string_view origin);

// Origins are compared as the browser sends them: scheme://host[:port], no path, no trailing slash.
// invalid_argument-style validation for --allow-origin values: "" when fine, else the reason.
std::string check_allowed_origin_syntax(std::string_view origin);

}  // namespace mosaic::server
