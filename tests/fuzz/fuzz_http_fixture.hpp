#pragma once
// What the two HTTP fuzz targets share (fuzz_http_request: the application with no embedding provider;
// fuzz_embed_routes: the same with one): a scratch folder holding a small web app, a file outside it
// that must never be served, and an index site written by the site writer (8-dimensional vectors under
// a model id Mosaic does not know, and a keyword index), loaded into a server_context; and the reading
// of raw HTTP/1.1 bytes by Beast's parser the way a session reads them (header first, then the body
// under the route's limit from body_limit_for), so method, target, headers and body are all fuzzed.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>

#include "http/metrics.hpp"
#include "http/request_handler.hpp"
#include "site/site_reader.hpp"
#include "site/site_writer.hpp"
#include "sync/served_site.hpp"

namespace mosaic::fuzz {

inline constexpr std::string_view secret_content = "SECRET-OUTSIDE-THE-WEB-FOLDER";
inline constexpr std::size_t fixture_dimensions = 8;

inline void write_file(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream stream(path, std::ios::binary);
  stream.write(content.data(), static_cast<std::streamsize>(content.size()));
}

[[noreturn]] inline void setup_failed(const std::string& message) {
  std::fprintf(stderr, "fuzz HTTP fixture set-up: %s\n", message.c_str());
  std::abort();
}

// Six items in two shards, each with a vector along one axis (or two) and words for the keyword index.
inline void write_index_site(const std::filesystem::path& directory) {
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
  std::vector<mosaic::server::indexed_item> items;
  for (std::size_t index = 0; index < entries.size(); ++index) {
    mosaic::server::indexed_item item;
    item.metadata.id = 0x1000 + index;
    item.metadata.title = entries[index].title;
    item.metadata.source = "collection/item" + std::to_string(index) + ".txt";
    item.metadata.kind = entries[index].kind;
    item.metadata.mime_type = "text/plain";
    item.metadata.label = entries[index].label;
    item.metadata.tags = {index % 2 == 0 ? "even" : "odd"};
    item.metadata.snippet = entries[index].body;
    item.vector.assign(fixture_dimensions, 0.0f);
    item.vector[index % fixture_dimensions] = 1.0f;
    item.keyword_title = entries[index].title;
    item.keyword_body = entries[index].body;
    items.push_back(std::move(item));
  }
  mosaic::server::site_layout layout;
  layout.model_id = "fuzz-model";
  layout.dimensions = fixture_dimensions;
  layout.full_dimensions = fixture_dimensions;
  layout.items_per_shard = 4;
  auto written = mosaic::server::write_site(directory, layout, items);
  if (!written) setup_failed(written.failure().message);
}

// The scratch folder and the context handle_request answers from; the folder is removed at exit.
struct http_fixture {
  std::filesystem::path folder;
  mosaic::server::metrics_registry metrics;
  mosaic::server::server_context context;

  explicit http_fixture(std::string_view name) {
    folder = std::filesystem::temp_directory_path() / ("mosaic-fuzz-" + std::string(name) + "-" + std::to_string(::getpid()));
    write_file(folder / "web" / "index.html", "<!doctype html><title>Mosaic</title>");
    write_file(folder / "web" / "app.js", "export const answer = 42;\n");
    write_file(folder / "web" / "styles" / "site.css", "body { margin: 0 }\n");
    write_file(folder / "web" / "mosaic.wasm", std::string("\0asm\1\0\0\0", 8));
    write_file(folder / "secret.txt", secret_content);
    write_index_site(folder / "site");
    auto loaded = mosaic::server::load_site(folder / "site");
    if (!loaded) setup_failed(loaded.failure().message);
    context.site_directory = folder / "site";
    context.site = std::make_shared<mosaic::server::served_site>(
        std::make_shared<const mosaic::server::loaded_site>(std::move(loaded).value()));
    mosaic::server::declare_server_metrics(metrics);
    context.web_directory = folder / "web";
    context.provider_name = "none";
    context.metrics = &metrics;
    context.allowed_origins = {"https://example.org"};
  }
  ~http_fixture() {
    std::error_code ignored;
    std::filesystem::remove_all(folder, ignored);
  }
  http_fixture(const http_fixture&) = delete;
  http_fixture& operator=(const http_fixture&) = delete;
};

// A request from raw bytes as the session reads it, or nothing when Beast's parser refuses them.
inline std::optional<mosaic::server::string_request> parse_raw_request(const std::uint8_t* data, std::size_t size) {
  namespace http = boost::beast::http;
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
  if (failure || !parser.is_header_done()) return std::nullopt;
  const auto target = parser.get().target();
  parser.body_limit(mosaic::server::body_limit_for(std::string_view(target.data(), target.size())));
  parser.eager(true);
  while (!failure && !parser.is_done() && used < size) {
    const std::size_t consumed = parser.put(boost::asio::buffer(data + used, size - used), failure);
    if (consumed == 0) break;
    used += consumed;
  }
  if (!failure && !parser.is_done()) parser.put_eof(failure);
  if (failure || !parser.is_done()) return std::nullopt;
  return parser.release();
}

}  // namespace mosaic::fuzz
