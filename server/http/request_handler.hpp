#pragma once
// The whole HTTP application as one free function (the Beast example shape): tests call it with a
// request and check the response, no sockets needed. Routes:
//   GET  /api/health                 status, provider model, index generation and size
//   POST /api/embed                  {"inputs":[{"parts":[{"text":…}]}], "task", "dimensions"} -> vectors
//   POST /api/search                 {"text"|"vector", "k", "filter":{modality,label,tag}} -> results
//   GET  /index/…                    the index site: manifest.json (no-cache), content-addressed files
//                                    (immutable), ETag, Range
//   GET  /…                          the web app
#include <boost/beast/http.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "model/use_lite_model.hpp"
#include "site/site_reader.hpp"

namespace mosaic::server {

namespace http = boost::beast::http;
using string_request = http::request<http::string_body>;
using string_response = http::response<http::string_body>;

struct server_context {
  std::filesystem::path site_directory;     // empty: no index is served (a pure embedding proxy)
  std::filesystem::path web_directory;      // empty: no app is served
  const model::use_lite_model* local_model = nullptr;
  std::shared_ptr<const loaded_site> site;  // loaded index, for /api/search
  std::size_t max_text_bytes = 32 * 1024;   // per text part
  std::size_t max_inputs = 100;             // per /api/embed call
};

// Body limits per route, applied by the session before the body is read.
std::uint64_t body_limit_for(std::string_view target);

string_response handle_request(const server_context& context, const string_request& request);

}  // namespace mosaic::server
