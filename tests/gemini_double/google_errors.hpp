#pragma once
// Google's error body, the one shape every error of the double has:
//   {"error":{"code":400,"message":"...","status":"INVALID_ARGUMENT","details":[...]}}
// Clients (Mosaic's proxy, Google's SDKs) read `status` and `message`, and some the details.
#include <cstdint>
#include <string>
#include <string_view>

namespace mosaic::gemini_double {

std::string google_error_body(unsigned http_status, std::string_view status, std::string_view message);

// 400 for a wrong or missing key: Google's body, fields in its order, with its ErrorInfo detail.
std::string api_key_invalid_body();

// 429 RESOURCE_EXHAUSTED with a google.rpc.RetryInfo detail carrying the same delay as Retry-After.
std::string resource_exhausted_body(std::string_view message, std::uint64_t retry_after_seconds);

}  // namespace mosaic::gemini_double
