// The static file helper on its own: URL path decoding and its refusals, MIME types, and
// serve_static_file's ETags, conditional requests, byte ranges, HEAD and the symlink check.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "http/static_files.hpp"
#include "server_test_support.hpp"

namespace {

namespace fs = std::filesystem;
using mosaic::server::cache_policy;
using mosaic::server::decode_url_path;
using mosaic::server::mime_type_for;
using mosaic::server::serve_static_file;
using mosaic::server::static_request;
using mosaic::server::static_response;
using mosaic::server::testing::temporary_folder;
using mosaic::server::testing::write_text_file;

// 26 letters then 10 digits: every byte range of it is easy to write down.
constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

// A served folder holding one known file, and a secret outside it.
struct served_folder {
  temporary_folder folder{"static-files"};
  fs::path root = folder.path() / "root";
  fs::path secret = folder.path() / "secret.txt";

  served_folder() {
    write_text_file(root / "letters.txt", alphabet);
    write_text_file(root / "empty.bin", "");
    write_text_file(root / "nested" / "page.html", "<p>nested</p>");
    write_text_file(secret, "the secret outside the served folder");
  }

  [[nodiscard]] static_response get(std::string_view relative, std::string_view range = {},
                                    std::string_view if_none_match = {}, bool head = false,
                                    cache_policy policy = cache_policy::revalidate) const {
    static_request request;
    request.relative_path = relative;
    request.range = range;
    request.if_none_match = if_none_match;
    request.head = head;
    request.policy = policy;
    return serve_static_file(root, request);
  }
};

void check_not_found(const static_response& response) {
  CHECK(response.status == 404);
  CHECK(response.etag.empty());
  CHECK(response.body.find("secret") == std::string::npos);
}

}  // namespace

TEST_CASE("decode_url_path maps URL paths to relative file paths", "[server][static]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/", "index.html"},
      {"/app.js", "app.js"},
      {"/index/manifest.json", "index/manifest.json"},
      {"/docs/", "docs/index.html"},
      {"/app.js?version=3", "app.js"},
      {"/app.js#top", "app.js"},
      {"/?query", "index.html"},
      {"/a%20b.txt", "a b.txt"},
      {"/%41%62c", "Abc"},
      {"/%4a%4A", "JJ"},
      {"/caf%C3%A9.html", "caf\xC3\xA9.html"},
      {"/dir%2Ffile.txt", "dir/file.txt"},  // an encoded '/' is just a separator, checked like one
      {"/..hidden", "..hidden"},            // only a whole ".." segment climbs
      {"/file..txt", "file..txt"},
  };
  for (const auto& [target, expected] : cases) {
    INFO("target " << target);
    auto decoded = decode_url_path(target);
    REQUIRE(decoded.ok());
    CHECK(decoded.value() == expected);
  }
}

TEST_CASE("decode_url_path refuses traversal, absolute paths and malformed escapes", "[server][static][traversal]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "must start with '/'"},
      {"app.js", "must start with '/'"},
      {"http://example.com/app.js", "must start with '/'"},
      {"/../etc/passwd", "leaves the served folder"},
      {"/index/../../etc/passwd", "leaves the served folder"},
      {"/%2e%2e/%2e%2e/etc/passwd", "leaves the served folder"},
      {"/%2E%2E/secret.txt", "leaves the served folder"},
      {"/index/%2e%2e%2fmanifest.json", "leaves the served folder"},
      {"/..%2fsecret", "leaves the served folder"},
      {"/.%2e/secret", "leaves the served folder"},
      {"/./app.js", "leaves the served folder"},
      {"/index/.", "leaves the served folder"},
      {"/..", "leaves the served folder"},
      {"/a%00b", "leaves the served folder"},
      {"/a%0Ab", "leaves the served folder"},
      {"/a%7Fb", "leaves the served folder"},
      {"/a\\b", "leaves the served folder"},
      {"/a%5Cb", "leaves the served folder"},
      {"/..\\secret.txt", "leaves the served folder"},
      {"//etc/passwd", "leaves the served folder"},
      {"/%2Fetc/passwd", "leaves the served folder"},
      {"/index//manifest.json", "leaves the served folder"},
      {"/C:/windows", "leaves the served folder"},
      {"/app.js%", "'%' escape is cut off"},
      {"/app.js%2", "'%' escape is cut off"},
      {"/%2", "'%' escape is cut off"},
      {"/app%zzjs", "not two hex digits"},
      {"/app%2gjs", "not two hex digits"},
      {"/app%-1js", "not two hex digits"},
  };
  for (const auto& [target, message] : cases) {
    INFO("target " << target);
    auto decoded = decode_url_path(target);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.failure().code == mosaic::error_code::invalid_argument);
    CHECK_THAT(decoded.failure().message, Catch::Matchers::Contains(message));
  }
}

TEST_CASE("mime_type_for names the types browsers need, application/wasm included", "[server][static]") {
  CHECK(mime_type_for("mosaic.wasm") == "application/wasm");
  CHECK(mime_type_for("index.html") == "text/html; charset=utf-8");
  CHECK(mime_type_for("app.js") == "text/javascript; charset=utf-8");
  CHECK(mime_type_for("mosaic.mjs") == "text/javascript; charset=utf-8");
  CHECK(mime_type_for("style.css") == "text/css; charset=utf-8");
  CHECK(mime_type_for("index/manifest.json") == "application/json");
  CHECK(mime_type_for("icon.svg") == "image/svg+xml");
  CHECK(mime_type_for("thumbnail.png") == "image/png");
  CHECK(mime_type_for("photo.jpg") == "image/jpeg");
  CHECK(mime_type_for("photo.jpeg") == "image/jpeg");
  CHECK(mime_type_for("photo.webp") == "image/webp");
  CHECK(mime_type_for("favicon.ico") == "image/x-icon");
  CHECK(mime_type_for("notes.txt") == "text/plain; charset=utf-8");
  CHECK(mime_type_for("README.md") == "text/plain; charset=utf-8");
  CHECK(mime_type_for("bird.wav") == "audio/wav");
  CHECK(mime_type_for("song.mp3") == "audio/mpeg");
  CHECK(mime_type_for("clip.mp4") == "video/mp4");
  CHECK(mime_type_for("media/clip.mov") == "video/quicktime");
  CHECK(mime_type_for("paper.pdf") == "application/pdf");
  // Shards, files without an extension and unknown kinds are plain bytes, never sniffed as HTML.
  CHECK(mime_type_for("shards/0123abcd.bin") == "application/octet-stream");
  CHECK(mime_type_for("LICENSE") == "application/octet-stream");
  CHECK(mime_type_for("archive.tar.gz") == "application/octet-stream");
}

TEST_CASE("serve_static_file answers a whole file with a strong ETag and the cache policy", "[server][static]") {
  const served_folder served;
  const static_response response = served.get("letters.txt");
  CHECK(response.status == 200);
  CHECK(response.body == alphabet);
  CHECK(response.full_size == alphabet.size());
  CHECK(response.content_length == alphabet.size());
  CHECK(response.content_type == "text/plain; charset=utf-8");
  CHECK(response.cache_control == "no-cache");
  CHECK(response.content_range.empty());
  CHECK(std::regex_match(response.etag, std::regex(R"("[0-9a-f]{16}")")));

  // The ETag depends on the content only: the same bytes elsewhere give the same tag, other bytes another.
  write_text_file(served.root / "copy.txt", alphabet);
  write_text_file(served.root / "other.txt", "abcdefghijklmnopqrstuvwxyz012345678X");
  CHECK(served.get("copy.txt").etag == response.etag);
  CHECK(served.get("other.txt").etag != response.etag);

  const static_response immutable = served.get("letters.txt", {}, {}, false, cache_policy::immutable);
  CHECK(immutable.cache_control == "public, max-age=31536000, immutable");

  const static_response nested = served.get("nested/page.html");
  CHECK(nested.status == 200);
  CHECK(nested.content_type == "text/html; charset=utf-8");
  CHECK(nested.body == "<p>nested</p>");

  const static_response empty = served.get("empty.bin");
  CHECK(empty.status == 200);
  CHECK(empty.body.empty());
  CHECK(empty.content_length == 0);
}

TEST_CASE("serve_static_file answers If-None-Match with 304 when a tag matches", "[server][static]") {
  const served_folder served;
  const std::string etag = served.get("letters.txt").etag;
  for (const std::string& header : {etag, std::string("*"), "\"0000000000000000\", " + etag, "W/" + etag}) {
    INFO("If-None-Match: " << header);
    const static_response response = served.get("letters.txt", {}, header);
    CHECK(response.status == 304);
    CHECK(response.body.empty());
    CHECK(response.content_length == 0);
    CHECK(response.etag == etag);  // a 304 repeats the validator and the cache policy
    CHECK(response.cache_control == "no-cache");
  }
  const static_response changed = served.get("letters.txt", {}, "\"0000000000000000\"");
  CHECK(changed.status == 200);
  CHECK(changed.body == alphabet);
  // A conditional request wins over a range: the client already holds the whole file.
  CHECK(served.get("letters.txt", "bytes=0-9", etag).status == 304);
}

TEST_CASE("serve_static_file answers single byte ranges with 206", "[server][static][range]") {
  const served_folder served;
  const std::string size = std::to_string(alphabet.size());
  struct range_case {
    std::string header;
    std::size_t first;
    std::size_t last;
  };
  const std::vector<range_case> cases = {
      {"bytes=0-9", 0, 9},
      {"bytes=0-0", 0, 0},
      {"bytes=26-35", 26, 35},
      {"bytes=30-", 30, 35},
      {"bytes=0-", 0, 35},
      {"bytes=-5", 31, 35},
      {"bytes=-36", 0, 35},
      {"bytes=-1000", 0, 35},    // a suffix longer than the file is the whole file
      {"bytes=10-99999", 10, 35},  // the end is clamped to the last byte
      {"bytes=35-35", 35, 35},
  };
  for (const range_case& expected : cases) {
    INFO("Range: " << expected.header);
    const static_response response = served.get("letters.txt", expected.header);
    CHECK(response.status == 206);
    CHECK(response.content_range ==
          "bytes " + std::to_string(expected.first) + "-" + std::to_string(expected.last) + "/" + size);
    CHECK(response.content_length == expected.last - expected.first + 1);
    CHECK(response.body == alphabet.substr(expected.first, expected.last - expected.first + 1));
    CHECK(response.full_size == alphabet.size());
    CHECK_FALSE(response.etag.empty());
  }
  // HEAD: the same status and lengths, no body.
  const static_response head = served.get("letters.txt", "bytes=0-9", {}, true);
  CHECK(head.status == 206);
  CHECK(head.content_range == "bytes 0-9/" + size);
  CHECK(head.content_length == 10);
  CHECK(head.body.empty());
}

TEST_CASE("serve_static_file answers an unsatisfiable range with 416", "[server][static][range]") {
  const served_folder served;
  for (const std::string header : {"bytes=36-", "bytes=36-40", "bytes=1000-2000", "bytes=-0"}) {
    INFO("Range: " << header);
    const static_response response = served.get("letters.txt", header);
    CHECK(response.status == 416);
    CHECK(response.content_range == "bytes */36");
    CHECK(response.body.empty());
    CHECK(response.content_length == 0);
  }
  // Any range of an empty file is unsatisfiable.
  for (const std::string header : {"bytes=0-0", "bytes=0-", "bytes=-1"}) {
    INFO("Range on an empty file: " << header);
    const static_response response = served.get("empty.bin", header);
    CHECK(response.status == 416);
    CHECK(response.content_range == "bytes */0");
  }
}

TEST_CASE("serve_static_file ignores several ranges, other units and malformed ranges", "[server][static][range]") {
  const served_folder served;
  for (const std::string header : {"bytes=0-9,20-29", "bytes=0-0, -1", "items=0-9", "bytes 0-9", "bytes=",
                                   "bytes=abc", "bytes=x-5", "bytes=5-x", "bytes=9-0", "bytes=-", "bytes=-x",
                                   "bytes=--5", "bytes=0-99999999999999999999999", "bytes= 0-9", "garbage"}) {
    INFO("Range: " << header);
    const static_response response = served.get("letters.txt", header);
    CHECK(response.status == 200);
    CHECK(response.content_range.empty());
    CHECK(response.body == alphabet);
    CHECK(response.content_length == alphabet.size());
  }
}

TEST_CASE("serve_static_file answers HEAD with the lengths a GET would have and no body", "[server][static]") {
  const served_folder served;
  const static_response get = served.get("letters.txt");
  const static_response head = served.get("letters.txt", {}, {}, true);
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.content_length == alphabet.size());
  CHECK(head.full_size == alphabet.size());
  CHECK(head.etag == get.etag);
  CHECK(head.content_type == get.content_type);
  CHECK(head.cache_control == get.cache_control);
}

TEST_CASE("serve_static_file answers missing files, folders and escapes through symlinks with 404",
          "[server][static][traversal]") {
  const served_folder served;
  check_not_found(served.get("missing.txt"));
  check_not_found(served.get("nested"));            // a folder is not a file
  check_not_found(served.get("nested/missing.html"));
  check_not_found(served.get("letters.txt/more"));

  // A symlink inside the folder to a file outside it, and one to a folder outside it.
  fs::create_symlink(served.secret, served.root / "leak.txt");
  fs::create_symlink(served.folder.path(), served.root / "outside");
  check_not_found(served.get("leak.txt"));
  check_not_found(served.get("outside/secret.txt"));
  check_not_found(served.get("leak.txt", "bytes=0-9"));

  // A symlink that stays inside the folder is served like the file it names.
  fs::create_symlink(served.root / "letters.txt", served.root / "alias.txt");
  const static_response alias = served.get("alias.txt");
  CHECK(alias.status == 200);
  CHECK(alias.body == alphabet);

  // Even if a caller skipped decode_url_path, ".." cannot leave the folder.
  check_not_found(served.get("../secret.txt"));
  check_not_found(served.get("nested/../../secret.txt"));

  // A folder that is not there serves nothing.
  static_request request;
  request.relative_path = "letters.txt";
  CHECK(serve_static_file(served.folder.path() / "no-such-root", request).status == 404);

  // A sibling folder whose name starts with the root's name is still outside it.
  write_text_file(served.folder.path() / "root-sibling" / "secret.txt", "the secret outside the served folder");
  check_not_found(served.get("../root-sibling/secret.txt"));
}
