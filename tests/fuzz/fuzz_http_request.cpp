// The whole HTTP application (server/http/request_handler: handle_request, routes, CORS, static files,
// /api/* with no provider, /metrics) for any request a client can send, as raw HTTP/1.1 bytes read the
// way a session reads them (fuzz_http_fixture.hpp: a small web app and a real index site, so /index/
// files, /api/search by vector and by keyword, which needs no provider, answer from a real index). No
// embedding provider is configured: routes that need one answer 503 without network or model
// (fuzz_embed_routes has one). Every request gets an answer with a real status, and nothing outside the
// served folders is ever sent.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_http_fixture.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static mosaic::fuzz::http_fixture server("http-request");
  const auto request = mosaic::fuzz::parse_raw_request(data, size);
  if (!request) return 0;
  const auto response = mosaic::server::handle_request(server.context, *request, "192.0.2.1");
  const unsigned status = response.result_int();
  MOSAIC_FUZZ_CHECK(status >= 100 && status <= 599, "no real status");
  // An error may quote the request (a MIME type it refuses, say): only a request without the secret's
  // text proves, by an answer holding it, that the file outside the web folder was read.
  const bool asked_with_secret = mosaic::fuzz::as_text(data, size).find(mosaic::fuzz::secret_content) != std::string_view::npos;
  MOSAIC_FUZZ_CHECK(asked_with_secret || response.body().find(mosaic::fuzz::secret_content) == std::string::npos,
                    "a file outside the web folder was served");
  return 0;
}
