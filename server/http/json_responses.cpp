#include "http/json_responses.hpp"

namespace mosaic::server {

using nlohmann::json;

http::status status_for(error_code code) {
  switch (code) {
    case error_code::model_not_installed:
    case error_code::io_error:
    case error_code::upstream_unavailable: return http::status::service_unavailable;
    case error_code::upstream_rejected: return http::status::bad_gateway;
    case error_code::rate_limited: return http::status::too_many_requests;
    case error_code::checksum_mismatch:
    case error_code::invalid_manifest: return http::status::internal_server_error;
    case error_code::media_too_large: return http::status::payload_too_large;
    case error_code::unsupported_media: return http::status::unsupported_media_type;
    default: return http::status::bad_request;
  }
}

string_response json_text_response(const string_request& request, http::status status, std::string body) {
  string_response response{status, request.version()};
  response.set(http::field::content_type, "application/json");
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

string_response json_response(const string_request& request, http::status status, const json& body) {
  // Invalid UTF-8 that reached a message (it cannot, by construction, but a body is no place to throw)
  // is replaced rather than aborting the answer.
  return json_text_response(request, status, body.dump(-1, ' ', false, json::error_handler_t::replace));
}

string_response error_response(const string_request& request, http::status status, std::string_view code,
                               const std::string& message) {
  return json_response(request, status, json{{"error", {{"code", code}, {"message", message}}}});
}

string_response error_response(const string_request& request, const error& failure) {
  string_response response = error_response(request, status_for(failure.code), error_code_name(failure.code), failure.message);
  if (failure.retry_after_seconds > 0) response.set(http::field::retry_after, std::to_string(failure.retry_after_seconds));
  return response;
}

string_response method_not_allowed(const string_request& request, std::string_view allowed) {
  string_response response = error_response(request, http::status::method_not_allowed, "method_not_allowed",
                                             "use " + std::string(allowed));
  response.set(http::field::allow, std::string(allowed));
  return response;
}

result<json> parse_json_body(const string_request& request) {
  json body = json::parse(request.body(), nullptr, false);
  if (body.is_discarded()) return make_error(error_code::invalid_json, "the request body is not valid JSON (or not UTF-8)");
  if (!body.is_object()) return make_error(error_code::invalid_json, "the request body must be a JSON object");
  return body;
}

}  // namespace mosaic::server
