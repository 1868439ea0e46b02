#include "google_errors.hpp"

#include <nlohmann/json.hpp>

namespace mosaic::gemini_double {
namespace {

nlohmann::ordered_json error_object(unsigned http_status, std::string_view status, std::string_view message) {
  return {{"code", http_status}, {"message", message}, {"status", status}};
}

}  // namespace

std::string google_error_body(unsigned http_status, std::string_view status, std::string_view message) {
  // Messages may quote client text cut at a byte limit: replace rather than throw on broken UTF-8.
  return nlohmann::ordered_json{{"error", error_object(http_status, status, message)}}.dump(
      -1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string api_key_invalid_body() {
  nlohmann::ordered_json error = error_object(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.");
  error["details"] = nlohmann::ordered_json::array({{{"@type", "type.googleapis.com/google.rpc.ErrorInfo"},
                                             {"reason", "API_KEY_INVALID"},
                                             {"domain", "googleapis.com"}}});
  return nlohmann::ordered_json{{"error", error}}.dump();
}

std::string resource_exhausted_body(std::string_view message, std::uint64_t retry_after_seconds) {
  nlohmann::ordered_json error = error_object(429, "RESOURCE_EXHAUSTED", message);
  error["details"] = nlohmann::ordered_json::array({{{"@type", "type.googleapis.com/google.rpc.RetryInfo"},
                                             {"retryDelay", std::to_string(retry_after_seconds) + "s"}}});
  return nlohmann::ordered_json{{"error", error}}.dump();
}

}  // namespace mosaic::gemini_double
