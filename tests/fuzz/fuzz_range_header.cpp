// Range and If-None-Match handling of served files (server/http/static_files: parse_range through
// serve_static_content, which the index and shard routes use). The input's first byte sizes the
// content (0..255 bytes), its first line is the Range header, its second If-None-Match. A 206 answer
// must carry exactly the bytes its Content-Range names, inside the content; a 200 the whole content; a
// 416 names the size; Content-Length always matches what would be sent.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "http/static_files.hpp"

using namespace mosaic::server;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string content(data[0], 'x');
  for (std::size_t index = 0; index < content.size(); ++index) content[index] = static_cast<char>('a' + index % 26);
  std::string_view rest = mosaic::fuzz::as_text(data + 1, size - 1);
  const std::size_t newline = rest.find('\n');
  static_request request;
  request.range = rest.substr(0, newline);
  request.if_none_match = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
  request.head = (data[0] & 1U) != 0 && data[0] > 200;
  const static_response response = serve_static_content(content, "text/plain", "\"fuzz-etag\"", request);
  MOSAIC_FUZZ_CHECK(response.full_size == content.size(), "full size is not the content's");
  switch (response.status) {
    case 200:
      MOSAIC_FUZZ_CHECK(response.content_length == content.size(), "a 200 must send everything");
      MOSAIC_FUZZ_CHECK(request.head ? response.body.empty() : response.body == content, "a 200 body differs");
      break;
    case 206: {
      MOSAIC_FUZZ_CHECK(response.content_length >= 1 && response.content_length <= content.size(), response.content_range);
      MOSAIC_FUZZ_CHECK(request.head || response.body.size() == response.content_length, response.content_range);
      // "bytes first-last/size"
      std::uint64_t first = 0, last = 0, total = 0;
      MOSAIC_FUZZ_CHECK(std::sscanf(response.content_range.c_str(), "bytes %lu-%lu/%lu", &first, &last, &total) == 3,
                        response.content_range);
      MOSAIC_FUZZ_CHECK(first <= last && last < content.size() && total == content.size() &&
                            last - first + 1 == response.content_length,
                        response.content_range);
      MOSAIC_FUZZ_CHECK(request.head || response.body == content.substr(first, last - first + 1), response.content_range);
      break;
    }
    case 304:
      MOSAIC_FUZZ_CHECK(response.body.empty(), "a 304 has no body");
      break;
    case 416:
      MOSAIC_FUZZ_CHECK(response.content_range == "bytes */" + std::to_string(content.size()), response.content_range);
      break;
    default:
      MOSAIC_FUZZ_CHECK(false, "unexpected status " + std::to_string(response.status));
  }
  return 0;
}
