// The whole HTTP application (server/http/request_handler: handle_request, routes, CORS, static files,
// /api/* with no provider, /metrics) for any request a client can send. Inputs are raw HTTP/1.1 bytes
// read by Beast's parser the way a session reads them (header first, then the body under the route's
// limit from body_limit_for), so method, target, headers and body are all fuzzed. The served web folder
// is a scratch folder with a few files; no index and no embedding provider are configured, so every
// route answers without network or model. Every request gets exactly one answer with a real status, and
// nothing outside the web folder is ever served.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>

#include "fuzz_support.hpp"
#include "http/metrics.hpp"
#include "http/request_handler.hpp"

namespace http = boost::beast::http;
using namespace mosaic::server;

namespace {

constexpr std::string_view secret_content = "SECRET-OUTSIDE-THE-WEB-FOLDER";

void write_file(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream stream(path, std::ios::binary);
  stream.write(content.data(), static_cast<std::streamsize>(content.size()));
}

struct fuzz_server {
  std::filesystem::path folder;
  metrics_registry metrics;
  server_context context;

  fuzz_server() {
    folder = std::filesystem::temp_directory_path() / ("mosaic-fuzz-http-" + std::to_string(::getpid()));
    write_file(folder / "web" / "index.html", "<!doctype html><title>Mosaic</title>");
    write_file(folder / "web" / "app.js", "export const answer = 42;\n");
    write_file(folder / "web" / "styles" / "site.css", "body { margin: 0 }\n");
    write_file(folder / "web" / "mosaic.wasm", std::string("\0asm\1\0\0\0", 8));
    write_file(folder / "secret.txt", secret_content);
    declare_server_metrics(metrics);
    context.web_directory = folder / "web";
    context.provider_name = "none";
    context.metrics = &metrics;
    context.allowed_origins = {"https://example.org"};
  }
  ~fuzz_server() {
    std::error_code ignored;
    std::filesystem::remove_all(folder, ignored);
  }
  fuzz_server(const fuzz_server&) = delete;
  fuzz_server& operator=(const fuzz_server&) = delete;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fuzz_server server;
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  boost::beast::error_code failure;
  // The header alone first, as the session does, so the route's body limit applies to the body.
  parser.eager(false);
  std::size_t used = 0;
  while (!failure && !parser.is_header_done() && used < size) {
    const std::size_t consumed = parser.put(boost::asio::buffer(data + used, size - used), failure);
    if (consumed == 0) break;
    used += consumed;
  }
  if (failure || !parser.is_header_done()) return 0;
  const auto target = parser.get().target();
  parser.body_limit(body_limit_for(std::string_view(target.data(), target.size())));
  parser.eager(true);
  while (!failure && !parser.is_done() && used < size) {
    const std::size_t consumed = parser.put(boost::asio::buffer(data + used, size - used), failure);
    if (consumed == 0) break;
    used += consumed;
  }
  if (!failure && !parser.is_done()) parser.put_eof(failure);
  if (failure || !parser.is_done()) return 0;

  const string_request request = parser.release();
  const string_response response = handle_request(server.context, request, "192.0.2.1");
  const unsigned status = response.result_int();
  MOSAIC_FUZZ_CHECK(status >= 100 && status <= 599, "no real status");
  MOSAIC_FUZZ_CHECK(response.body().find(secret_content) == std::string::npos, "a file outside the web folder was served");
  return 0;
}
