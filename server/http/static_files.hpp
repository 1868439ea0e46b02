#pragma once
// Serving files from a folder to browsers: URL paths decoded and checked so nothing outside the folder
// is ever read ("..", encoded traversal, absolute paths, NUL and backslashes are refused), MIME types
// (application/wasm included), strong ETags with If-None-Match, single byte ranges, and the cache
// policy of each kind of file. Pure I/O helper with no sockets, so tests call it directly.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mosaic::server {

// Percent-decodes a URL path (the part before '?') and checks it: the result is a relative path with
// no empty, "." or ".." segments, no backslash and no control characters. A trailing '/' maps to
// "index.html". Refusals are invalid_argument errors.
result<std::string> decode_url_path(std::string_view target);

std::string_view mime_type_for(const std::filesystem::path& path);

enum class cache_policy : std::uint8_t {
  revalidate,  // "no-cache": manifest.json and the app itself, so updates show at once
  immutable,   // content-addressed files: "public, max-age=31536000, immutable"
};

struct static_request {
  std::string_view relative_path;  // from decode_url_path
  std::string_view if_none_match;  // header value, may be empty
  std::string_view range;          // header value, may be empty
  bool head = false;
  cache_policy policy = cache_policy::revalidate;
};

struct static_response {
  unsigned status = 200;         // 200, 206, 304, 404, 416
  std::string content_type;
  std::string etag;              // quoted strong validator
  std::string cache_control;
  std::string content_range;     // for 206 and 416
  std::uint64_t full_size = 0;
  std::uint64_t content_length = 0;  // what Content-Length says (also for HEAD, whose body is empty)
  std::string body;              // empty for HEAD and 304
};

// Reads `request.relative_path` under `root`. A path that resolves (through symlinks) outside `root`
// is answered as missing, like a file that is not there.
static_response serve_static_file(const std::filesystem::path& root, const static_request& request);

// The same answer for content held in memory (the served manifest), with the given quoted ETag;
// request.relative_path is not used.
static_response serve_static_content(std::string_view content, std::string_view content_type, std::string etag,
                                     const static_request& request);

}  // namespace mosaic::server
