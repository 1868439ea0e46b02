#pragma once
// The JSON answers every API route shares: one function maps core error codes to HTTP statuses
// (ARCHITECTURE rule 3), errors have one shape ({"error":{"code","message"}}), answers that mean
// "later" carry Retry-After, and bodies are parsed as hostile input.
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mosaic::server {

namespace http = boost::beast::http;
using string_request = http::request<http::string_body>;
using string_response = http::response<http::string_body>;

http::status status_for(error_code code);

string_response json_response(const string_request& request, http::status status, const nlohmann::json& body);
// The same headers for a body already serialized.
string_response json_text_response(const string_request& request, http::status status, std::string body);
string_response error_response(const string_request& request, http::status status, std::string_view code,
                               const std::string& message);
// Status from status_for; Retry-After from the error's retry_after_seconds when it has one.
string_response error_response(const string_request& request, const error& failure);
// RFC 9110 requires a 405 to list the methods the resource does support.
string_response method_not_allowed(const string_request& request, std::string_view allowed);

// The body as a JSON object; invalid_json with a message telling malformed from wrongly shaped.
result<nlohmann::json> parse_json_body(const string_request& request);

}  // namespace mosaic::server
