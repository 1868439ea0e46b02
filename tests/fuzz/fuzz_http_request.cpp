// The whole HTTP application (server/http/request_handler: handle_request, routes, CORS, static files,
// /api/* with no provider, /metrics) for any request a client can send. Inputs are raw HTTP/1.1 bytes
// read by Beast's parser the way a session reads them (header first, then the body under the route's
// limit from body_limit_for), so method, target, headers and body are all fuzzed. A scratch folder holds
// a small web app and an index site written by the site writer (8-dimensional vectors under a model id
// Mosaic does not know, and a keyword index), so /index/ files, /api/search by vector and by keyword
// (which needs no provider) answer from a real index. No embedding provider is configured: routes that
// need one answer 503 without network or model. Every request gets an answer with a real status, and
// nothing outside the served folders is ever sent.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>

#include "fuzz_support.hpp"
#include "http/metrics.hpp"
#include "http/request_handler.hpp"
#include "site/site_reader.hpp"
#include "site/site_writer.hpp"
#include "sync/served_site.hpp"

namespace http = boost::beast::http;
using namespace mosaic::server;

namespace {

constexpr std::string_view secret_content = "SECRET-OUTSIDE-THE-WEB-FOLDER";

void write_file(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream stream(path, std::ios::binary);
  stream.write(content.data(), static_cast<std::streamsize>(content.size()));
}

[[noreturn]] void setup_failed(const std::string& message) {
  std::fprintf(stderr, "fuzz_http_request setup: %s\n", message.c_str());
  std::abort();
}

// Six items in two shards, each with a vector along one axis (or two) and words for the keyword index.
void write_index_site(const std::filesystem::path& directory) {
  struct entry {
    const char* title;
    const char* body;
    mosaic::index::modality kind;
    const char* label;
  };
  const std::vector<entry> entries = {
      {"Green frog", "a green frog sits on a leaf by the pond", mosaic::index::modality::image, "animals"},
      {"Error codes", "error AB-1234 means the disk is full", mosaic::index::modality::text, ""},
      {"Tokyo trip", "東京 2024年 trains, temples and ramen", mosaic::index::modality::text, "travel"},
      {"Frogs and toads", "toads are frogs with dry skin", mosaic::index::modality::text, "animals"},
      {"Zebra", "zebra crossing at the quiet road", mosaic::index::modality::audio, ""},
      {"Song", "a short song about the pond", mosaic::index::modality::audio, "music"},
  };
  std::vector<indexed_item> items;
  for (std::size_t index = 0; index < entries.size(); ++index) {
    indexed_item item;
    item.metadata.id = 0x1000 + index;
    item.metadata.title = entries[index].title;
    item.metadata.source = "collection/item" + std::to_string(index) + ".txt";
    item.metadata.kind = entries[index].kind;
    item.metadata.mime_type = "text/plain";
    item.metadata.label = entries[index].label;
    item.metadata.tags = {index % 2 == 0 ? "even" : "odd"};
    item.metadata.snippet = entries[index].body;
    item.vector.assign(8, 0.0f);
    item.vector[index % 8] = 1.0f;
    item.keyword_title = entries[index].title;
    item.keyword_body = entries[index].body;
    items.push_back(std::move(item));
  }
  site_layout layout;
  layout.model_id = "fuzz-model";
  layout.dimensions = 8;
  layout.full_dimensions = 8;
  layout.items_per_shard = 4;
  auto written = write_site(directory, layout, items);
  if (!written) setup_failed(written.failure().message);
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
    write_index_site(folder / "site");
    auto loaded = load_site(folder / "site");
    if (!loaded) setup_failed(loaded.failure().message);
    context.site_directory = folder / "site";
    context.site = std::make_shared<served_site>(std::make_shared<const loaded_site>(std::move(loaded).value()));
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
