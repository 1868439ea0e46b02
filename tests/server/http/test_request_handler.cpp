// The whole HTTP application through handle_request(), without sockets: static files and the index
// (MIME types, cache policy, ETag, Range, HEAD), traversal refusals, methods, /api/health, /api/embed
// with the local model, /api/search with filters, and keep-alive and version echoing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <boost/beast/http.hpp>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <tuple>
#include <vector>

#include "embed/local_model_loader.hpp"
#include "embed/local_provider.hpp"
#include "embed/unicode_normalization.hpp"
#include "http/request_handler.hpp"
#include "installed_model.hpp"
#include "server_test_support.hpp"
#include "site/site_reader.hpp"
#include "site/site_writer.hpp"

namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;
using nlohmann::json;
using mosaic::server::handle_request;
using mosaic::server::server_context;
using mosaic::server::string_request;
using mosaic::server::string_response;
using mosaic::server::testing::read_text_file;
using mosaic::server::testing::temporary_folder;
using mosaic::server::testing::write_text_file;
using Catch::Matchers::Contains;

const std::string model_id(mosaic::model::use_lite_model_id);
constexpr std::string_view immutable_policy = "public, max-age=31536000, immutable";
constexpr std::string_view secret_content = "TOP-SECRET-CONTENT-OUTSIDE-THE-SERVED-FOLDERS";

// ---------------------------------------------------------------------------------------------
// The local model, loaded once per test binary (it takes a while and never changes).

const mosaic::model::use_lite_model& local_model() {
  static const auto loaded = [] {
    const char* directory = model_directory_setting();
    if (directory == nullptr) {
      return mosaic::result<mosaic::model::use_lite_model>(mosaic::make_error(
          mosaic::error_code::model_not_installed, "set MOSAIC_MODEL_DIR or configure MOSAIC_MODEL_CACHE_PREFIX"));
    }
    return mosaic::server::load_local_model(directory);
  }();
  if (!loaded.ok()) FAIL("the local model did not load: " << loaded.failure().message);
  return loaded.value();
}

// The local model behind the provider interface, as mosaic serve runs it (two workers).
mosaic::server::local_provider& local_embedding_provider() {
  static mosaic::server::local_provider provider(local_model(), mosaic::server::local_provider_options{2, 64, 32 * 1024});
  return provider;
}

// What the model itself says for a text: the reference the handler's vectors are compared with.
std::vector<float> reference_embedding(const std::string& text) {
  static std::map<std::string, std::vector<float>> cache;
  if (const auto found = cache.find(text); found != cache.end()) return found->second;
  auto normalized = mosaic::server::normalize_nfkc(text);
  REQUIRE(normalized.ok());
  auto embedding = local_model().embed(normalized.value());
  REQUIRE(embedding.ok());
  cache.emplace(text, embedding->vector);
  return embedding->vector;
}

double dot(const std::vector<float>& left, const std::vector<float>& right) {
  REQUIRE(left.size() == right.size());
  double sum = 0.0;
  for (std::size_t i = 0; i < left.size(); ++i) sum += static_cast<double>(left[i]) * static_cast<double>(right[i]);
  return sum;
}

double norm(const std::vector<float>& values) { return std::sqrt(dot(values, values)); }

std::vector<float> normalized(std::vector<float> values) {
  const double length = norm(values);
  for (float& value : values) value = static_cast<float>(static_cast<double>(value) / length);
  return values;
}

double largest_difference(const std::vector<float>& left, const std::vector<float>& right) {
  REQUIRE(left.size() == right.size());
  double largest = 0.0;
  for (std::size_t i = 0; i < left.size(); ++i) {
    largest = std::max(largest, std::fabs(static_cast<double>(left[i]) - static_cast<double>(right[i])));
  }
  return largest;
}

std::vector<float> as_floats(const json& values) {
  std::vector<float> result;
  for (const json& value : values) result.push_back(value.get<float>());
  return result;
}

// ---------------------------------------------------------------------------------------------
// The collection: items far apart in meaning, with labels, tags and every modality, so each search
// and filter has one unambiguous answer.

struct catalogue_entry {
  std::uint64_t id;
  std::string title;
  std::string source;
  mosaic::index::modality kind;
  std::string mime_type;
  std::string label;
  std::vector<std::string> tags;
  std::string thumbnail;
  std::string text;  // what is embedded, also the snippet
};

const std::vector<catalogue_entry>& catalogue() {
  using mosaic::index::modality;
  static const std::vector<catalogue_entry> entries = {
      {0xc0ffee0000000001, "Cheetah", "animals/cheetah.txt", modality::text, "text/plain", "animals", {"fast", "wildlife"}, "",
       "The cheetah is the fastest land animal, sprinting at over 100 kilometres per hour."},
      {0xc0ffee0000000002, "Tomato soup", "cooking/tomato-soup.txt", modality::text, "text/plain", "cooking", {"food"}, "",
       "A recipe for tomato soup: simmer tomatoes with garlic, onion and basil, then blend until smooth."},
      {0xc0ffee0000000003, "Race car", "vehicles/race-car.jpg", modality::image, "image/jpeg", "vehicles", {"fast"},
       "thumbnails/race-car.jpg", "A red racing car speeding around a motor racing track."},
      {0xc0ffee0000000004, "Birdsong", "animals/birdsong.wav", modality::audio, "audio/wav", "animals", {"wildlife"}, "",
       "Birds singing in a forest at dawn."},
      {0xc0ffee0000000005, "Bicycle repair", "manuals/bicycle.pdf", modality::pdf, "application/pdf", "", {}, "",
       "How to fix a flat bicycle tire with a patch kit and a pump."},
      {0xc0ffee0000000006, "Ocean waves", "nature/waves.mp4", modality::video, "video/mp4", "nature", {"water"}, "",
       "Waves crashing on a sandy beach by the sea."},
  };
  return entries;
}

const catalogue_entry& entry_titled(std::string_view title) {
  for (const catalogue_entry& entry : catalogue()) {
    if (entry.title == title) return entry;
  }
  FAIL("no catalogue entry titled " << title);
  return catalogue().front();
}

std::vector<mosaic::server::indexed_item> indexed_items() {
  std::vector<mosaic::server::indexed_item> items;
  for (const catalogue_entry& entry : catalogue()) {
    mosaic::server::indexed_item item;
    item.metadata.id = entry.id;
    item.metadata.title = entry.title;
    item.metadata.source = entry.source;
    item.metadata.kind = entry.kind;
    item.metadata.mime_type = entry.mime_type;
    item.metadata.label = entry.label;
    item.metadata.tags = entry.tags;
    item.metadata.thumbnail = entry.thumbnail;
    item.metadata.snippet = entry.text;
    item.vector = reference_embedding(entry.text);
    items.push_back(std::move(item));
  }
  return items;
}

// The JSON /api/search answers for an entry, less its score and close-match judgement: {id, item}, the item exactly as in
// items/<hash>.json (paths relative to the index, which is served under index/).
json expected_result(const catalogue_entry& entry) {
  json item{{"id", mosaic::index::format_item_id(entry.id)}, {"title", entry.title}, {"source", entry.source},
            {"modality", std::string(mosaic::index::modality_name(entry.kind))}, {"mime_type", entry.mime_type},
            {"snippet", entry.text}};
  if (!entry.label.empty()) item["label"] = entry.label;
  if (!entry.tags.empty()) item["tags"] = entry.tags;
  if (!entry.thumbnail.empty()) item["thumbnail"] = entry.thumbnail;
  return json{{"id", item["id"]}, {"item", item}};
}

// ---------------------------------------------------------------------------------------------
// One served tree per test: <temporary>/site (the index), <temporary>/web (the app),
// <temporary>/outside/secret.txt and <temporary>/secret (what traversal must never reach).

struct served_tree {
  temporary_folder folder{"request-handler"};
  fs::path site_directory = folder.path() / "site";
  fs::path web_directory = folder.path() / "web";
  fs::path outside_directory = folder.path() / "outside";
  std::string index_html = "<!doctype html>\n<title>Mosaic</title>\n<script type=\"module\" src=\"app.js\"></script>\n";
  std::string app_js = "import init from './mosaic.mjs';\nconsole.log('mosaic');\n";
  std::string wasm_bytes;
  mosaic::index::manifest manifest;
  server_context context;

  served_tree() {
    // Every byte value, after the wasm magic, so nothing on the way may treat the body as text.
    wasm_bytes = std::string("\0asm\x01\0\0\0", 8);
    for (int value = 0; value < 256; ++value) wasm_bytes.push_back(static_cast<char>(value));
    write_text_file(web_directory / "index.html", index_html);
    write_text_file(web_directory / "app.js", app_js);
    write_text_file(web_directory / "mosaic.wasm", wasm_bytes);
    write_text_file(outside_directory / "secret.txt", secret_content);
    write_text_file(folder.path() / "secret", secret_content);

    mosaic::server::site_layout layout;
    layout.model_id = std::string(model_id);
    layout.dimensions = 512;
    layout.full_dimensions = 512;
    layout.items_per_shard = 4;  // two shards, so results are merged across shards
    const auto items = indexed_items();
    auto written = mosaic::server::write_site(site_directory, layout, items);
    INFO((written.ok() ? std::string() : written.failure().message));
    REQUIRE(written.ok());
    manifest = written.value();
    REQUIRE(manifest.shards.size() == 2);

    context.site_directory = site_directory;
    context.web_directory = web_directory;
    context.provider = &local_embedding_provider();
    context.provider_name = "local";
    context.site = load(site_directory);
  }

  // What a re-run of the indexer leaves on disk: the site rewritten as a new generation of the first
  // three items only (one shard). The server sees it once it is loaded and swapped in.
  void rewrite_site_with_three_items() const {
    mosaic::server::site_layout layout;
    layout.model_id = std::string(model_id);
    layout.dimensions = 512;
    layout.full_dimensions = 512;
    auto items = indexed_items();
    items.resize(3);
    REQUIRE(mosaic::server::write_site(site_directory, layout, items).ok());
  }

  static std::shared_ptr<mosaic::server::served_site> load(const fs::path& directory) {
    auto loaded = mosaic::server::load_site(directory);
    INFO((loaded.ok() ? std::string() : loaded.failure().message));
    REQUIRE(loaded.ok());
    return std::make_shared<mosaic::server::served_site>(std::make_shared<const mosaic::server::loaded_site>(std::move(loaded).value()));
  }
};

// ---------------------------------------------------------------------------------------------
// Requests and responses.

string_request make_request(http::verb method, std::string_view target, unsigned version = 11) {
  string_request request{method, boost::beast::string_view(target.data(), target.size()), version};
  request.set(http::field::host, "localhost");
  return request;
}

string_request get_request(std::string_view target) { return make_request(http::verb::get, target); }

string_request post_request(std::string_view target, std::string body) {
  string_request request = make_request(http::verb::post, target);
  request.set(http::field::content_type, "application/json");
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

string_request post_request(std::string_view target, const json& body) { return post_request(target, body.dump()); }

std::string header(const string_response& response, http::field field) {
  const auto value = response[field];
  return {value.data(), value.size()};
}

std::string header(const string_response& response, std::string_view name) {
  const auto value = response[boost::beast::string_view(name.data(), name.size())];
  return {value.data(), value.size()};
}

bool has_header(const string_response& response, http::field field) { return response.find(field) != response.end(); }

json json_body(const string_response& response) {
  CHECK(header(response, http::field::content_type) == "application/json");
  CHECK(header(response, http::field::cache_control) == "no-store");
  const json body = json::parse(response.body(), nullptr, false);
  INFO("body: " << response.body());
  REQUIRE_FALSE(body.is_discarded());
  return body;
}

// An error answer: the status, and exactly {"error": {"code", "message"}} with a message naming the problem.
void check_error(const string_response& response, http::status status, const std::string& code,
                 const std::string& message_part) {
  INFO("body: " << response.body());
  CHECK(response.result() == status);
  const json body = json_body(response);
  REQUIRE(body.is_object());
  REQUIRE(body.size() == 1);
  REQUIRE(body.contains("error"));
  const json& failure = body["error"];
  REQUIRE(failure.is_object());
  CHECK(failure.size() == 2);
  REQUIRE(failure.contains("code"));
  REQUIRE(failure.contains("message"));
  CHECK(failure["code"].get<std::string>() == code);
  CHECK_THAT(failure["message"].get<std::string>(), Contains(message_part));
}

// Headers every successful file answer carries.
void check_file_headers(const string_response& response, const std::string& content_type,
                        std::string_view cache_control, std::size_t content_length) {
  CHECK(header(response, http::field::content_type) == content_type);
  CHECK(header(response, http::field::cache_control) == cache_control);
  CHECK(std::regex_match(header(response, http::field::etag), std::regex(R"("[0-9a-f]{16}")")));
  CHECK(header(response, http::field::accept_ranges) == "bytes");
  CHECK(header(response, "X-Content-Type-Options") == "nosniff");
  CHECK(header(response, http::field::content_length) == std::to_string(content_length));
}

// A traversal attempt: refused (400 or 404), and nothing secret in the answer.
void check_refused(const server_context& context, std::string_view target) {
  INFO("target " << target);
  for (const http::verb method : {http::verb::get, http::verb::head}) {
    const string_response response = handle_request(context, make_request(method, target));
    CHECK((response.result() == http::status::bad_request || response.result() == http::status::not_found));
    CHECK(response.body().find(secret_content) == std::string::npos);
    CHECK(response.body().find("root:") == std::string::npos);
    CHECK_FALSE(has_header(response, http::field::etag));
  }
}

string_response embed(const server_context& context, const json& body) {
  return handle_request(context, post_request("/api/embed", body));
}

json text_input(const std::string& text) { return json{{"parts", json::array({json{{"text", text}}})}}; }

json embed_body(const std::vector<std::string>& texts) {
  json inputs = json::array();
  for (const std::string& text : texts) inputs.push_back(text_input(text));
  return json{{"inputs", inputs}};
}

// Answers a successful /api/embed and returns its vectors after checking the envelope.
std::vector<std::vector<float>> embeddings_of(const string_response& response, std::size_t dimensions) {
  INFO("body: " << response.body().substr(0, 400));
  REQUIRE(response.result() == http::status::ok);
  const json body = json_body(response);
  CHECK(body.size() == 3);
  CHECK(body.at("model") == model_id);
  CHECK(body.at("dimensions") == dimensions);
  std::vector<std::vector<float>> vectors;
  for (const json& values : body.at("embeddings")) {
    vectors.push_back(as_floats(values));
    CHECK(vectors.back().size() == dimensions);
    CHECK(norm(vectors.back()) == Approx(1.0).margin(1e-5));
  }
  return vectors;
}

string_response search(const server_context& context, const json& body) {
  return handle_request(context, post_request("/api/search", body));
}

// The ids of a successful /api/search answer, best first, after checking its envelope and order.
std::vector<std::string> result_ids(const string_response& response) {
  INFO("body: " << response.body());
  REQUIRE(response.result() == http::status::ok);
  const json body = json_body(response);
  CHECK(body.at("model") == model_id);
  CHECK(body.at("generation") == 1);
  std::vector<std::string> ids;
  double previous = 2.0;
  for (const json& result : body.at("results")) {
    const double score = result.at("score").get<double>();
    CHECK(score <= previous);
    CHECK(score >= -1.01);
    CHECK(score <= 1.01);
    previous = score;
    ids.push_back(result.at("id").get<std::string>());
  }
  return ids;
}

std::string id_of(std::string_view title) { return mosaic::index::format_item_id(entry_titled(title).id); }

}  // namespace

// =============================================================================================
// Static files and the index

TEST_CASE("the web app is served with its MIME types, validators and no-cache", "[server][handler][static]") {
  const served_tree tree;
  struct file_case {
    std::string target;
    std::string content_type;
    const std::string* content;
  };
  for (const file_case& expected : {file_case{"/", "text/html; charset=utf-8", &tree.index_html},
                                    file_case{"/index.html", "text/html; charset=utf-8", &tree.index_html},
                                    file_case{"/app.js", "text/javascript; charset=utf-8", &tree.app_js},
                                    file_case{"/app.js?version=2", "text/javascript; charset=utf-8", &tree.app_js},
                                    file_case{"/mosaic.wasm", "application/wasm", &tree.wasm_bytes}}) {
    INFO("target " << expected.target);
    const string_response response = handle_request(tree.context, get_request(expected.target));
    CHECK(response.result() == http::status::ok);
    check_file_headers(response, expected.content_type, "no-cache", expected.content->size());
    CHECK(response.body() == *expected.content);
  }
  // The ETag is stable across requests for the same bytes and differs between files.
  const string_response first = handle_request(tree.context, get_request("/app.js"));
  const string_response again = handle_request(tree.context, get_request("/app.js"));
  const string_response other = handle_request(tree.context, get_request("/mosaic.wasm"));
  CHECK(header(first, http::field::etag) == header(again, http::field::etag));
  CHECK(header(first, http::field::etag) != header(other, http::field::etag));
}

TEST_CASE("the index is served: manifest no-cache, content-addressed files immutable", "[server][handler][static]") {
  const served_tree tree;
  const string_response manifest = handle_request(tree.context, get_request("/index/manifest.json"));
  CHECK(manifest.result() == http::status::ok);
  const std::string manifest_text = read_text_file(tree.site_directory / "manifest.json");
  check_file_headers(manifest, "application/json", "no-cache", manifest_text.size());
  CHECK(manifest.body() == manifest_text);

  for (const mosaic::index::manifest_shard& shard : tree.manifest.shards) {
    const string_response vectors = handle_request(tree.context, get_request("/index/" + shard.vectors.path));
    INFO("shard " << shard.vectors.path);
    CHECK(vectors.result() == http::status::ok);
    check_file_headers(vectors, "application/octet-stream", immutable_policy, shard.vectors.bytes);
    CHECK(vectors.body() == read_text_file(tree.site_directory / shard.vectors.path));

    const string_response items = handle_request(tree.context, get_request("/index/" + shard.metadata.path));
    INFO("items " << shard.metadata.path);
    CHECK(items.result() == http::status::ok);
    check_file_headers(items, "application/json", immutable_policy, shard.metadata.bytes);
    CHECK(items.body() == read_text_file(tree.site_directory / shard.metadata.path));
  }
}

TEST_CASE("the manifest comes from the served site: a rewrite on disk shows only once it is swapped in", "[server][handler][sync]") {
  served_tree tree;
  const string_response before = handle_request(tree.context, get_request("/index/manifest.json"));
  REQUIRE(before.result() == http::status::ok);
  const std::string etag = header(before, http::field::etag);
  tree.rewrite_site_with_three_items();
  // Not swapped in yet (the watcher has not looked, or refused it): the old generation, still 304.
  CHECK(handle_request(tree.context, get_request("/index/manifest.json")).body() == before.body());
  string_request conditional = get_request("/index/manifest.json");
  conditional.set(http::field::if_none_match, etag);
  CHECK(handle_request(tree.context, conditional).result() == http::status::not_modified);
  tree.context.site->replace(served_tree::load(tree.site_directory)->current());
  const string_response after = handle_request(tree.context, get_request("/index/manifest.json"));
  CHECK(after.body() == read_text_file(tree.site_directory / "manifest.json"));
  CHECK(header(after, http::field::etag) != etag);
  CHECK(handle_request(tree.context, conditional).result() == http::status::ok);
  CHECK(json_body(handle_request(tree.context, get_request("/api/health"))).at("index").at("generation") == 2);
}

TEST_CASE("GET /api/events answers the served generation as a server-sent event", "[server][handler][sync]") {
  served_tree tree;
  const string_response events = handle_request(tree.context, get_request("/api/events"));
  CHECK(events.result() == http::status::ok);
  CHECK(header(events, http::field::content_type) == "text/event-stream; charset=utf-8");
  CHECK(header(events, http::field::cache_control) == "no-store");
  const std::string& body = events.body();
  REQUIRE(body.find("event: generation\ndata: ") != std::string::npos);
  CHECK(body.ends_with("\n\n"));
  const std::size_t data_at = body.find("data: ") + 6;
  const json data = json::parse(body.substr(data_at, body.find('\n', data_at) - data_at));
  const auto site = tree.context.site->current();
  CHECK(data == json{{"generation", 1}, {"manifest", site->manifest_hash}, {"items", 6}, {"shards", 2}});
  CHECK(site->manifest_hash.size() == 64);

  check_error(handle_request(tree.context, make_request(http::verb::post, "/api/events")), http::status::method_not_allowed,
              "method_not_allowed", "");
  server_context proxy_only;
  check_error(handle_request(proxy_only, get_request("/api/events")), http::status::not_found, "no_index", "no index");
}

TEST_CASE("If-None-Match with the current ETag answers 304 with an empty body", "[server][handler][static]") {
  const served_tree tree;
  const std::string shard_target = "/index/" + tree.manifest.shards[0].vectors.path;
  for (const std::string target : {"/", "/mosaic.wasm", "/index/manifest.json", shard_target.c_str()}) {
    INFO("target " << target);
    const string_response first = handle_request(tree.context, get_request(target));
    REQUIRE(first.result() == http::status::ok);
    const std::string etag = header(first, http::field::etag);

    string_request conditional = get_request(target);
    conditional.set(http::field::if_none_match, etag);
    const string_response not_modified = handle_request(tree.context, conditional);
    CHECK(not_modified.result() == http::status::not_modified);
    CHECK(not_modified.body().empty());
    CHECK(header(not_modified, http::field::etag) == etag);
    CHECK(header(not_modified, http::field::cache_control) == header(first, http::field::cache_control));
    CHECK(header(not_modified, "X-Content-Type-Options") == "nosniff");
    CHECK_FALSE(has_header(not_modified, http::field::content_length));  // a 304 has no payload to measure

    string_request stale = get_request(target);
    stale.set(http::field::if_none_match, "\"0123456789abcdef\"");
    const string_response modified = handle_request(tree.context, stale);
    CHECK(modified.result() == http::status::ok);
    CHECK(modified.body() == first.body());
  }
}

TEST_CASE("Range requests get 206, 416 or the whole file", "[server][handler][static][range]") {
  const served_tree tree;
  const std::string target = "/index/" + tree.manifest.shards[0].vectors.path;
  const std::string content = read_text_file(tree.site_directory / tree.manifest.shards[0].vectors.path);
  const std::string size = std::to_string(content.size());
  REQUIRE(content.size() > 64);
  auto ranged = [&](std::string_view range) {
    string_request request = get_request(target);
    request.set(http::field::range, boost::beast::string_view(range.data(), range.size()));
    return handle_request(tree.context, request);
  };

  SECTION("the first ten bytes") {
    const string_response response = ranged("bytes=0-9");
    CHECK(response.result() == http::status::partial_content);
    CHECK(header(response, http::field::content_range) == "bytes 0-9/" + size);
    CHECK(response.body() == content.substr(0, 10));
    check_file_headers(response, "application/octet-stream", immutable_policy, 10);
  }
  SECTION("a suffix: the last five bytes") {
    const string_response response = ranged("bytes=-5");
    CHECK(response.result() == http::status::partial_content);
    CHECK(header(response, http::field::content_range) ==
          "bytes " + std::to_string(content.size() - 5) + "-" + std::to_string(content.size() - 1) + "/" + size);
    CHECK(response.body() == content.substr(content.size() - 5));
    check_file_headers(response, "application/octet-stream", immutable_policy, 5);
  }
  SECTION("an open range from the middle") {
    const string_response response = ranged("bytes=64-");
    CHECK(response.result() == http::status::partial_content);
    CHECK(header(response, http::field::content_range) == "bytes 64-" + std::to_string(content.size() - 1) + "/" + size);
    CHECK(response.body() == content.substr(64));
  }
  SECTION("a start past the end is unsatisfiable") {
    for (const std::string& range : {"bytes=" + size + "-", "bytes=" + std::to_string(content.size() + 100) + "-"}) {
      INFO("Range: " << range);
      const string_response response = ranged(range);
      CHECK(response.result() == http::status::range_not_satisfiable);
      CHECK(header(response, http::field::content_range) == "bytes */" + size);
      CHECK(response.body().empty());
      CHECK(header(response, "X-Content-Type-Options") == "nosniff");
    }
  }
  SECTION("several ranges or a malformed one get the whole file") {
    for (const std::string range : {"bytes=0-9,20-29", "bytes=0-9, 20-29", "bytes=zebra", "pages=1-2", "bytes=-",
                                    "bytes=9-0", "bytes=0x10-20"}) {
      INFO("Range: " << range);
      const string_response response = ranged(range);
      CHECK(response.result() == http::status::ok);
      CHECK_FALSE(has_header(response, http::field::content_range));
      CHECK(response.body() == content);
      check_file_headers(response, "application/octet-stream", immutable_policy, content.size());
    }
  }
  SECTION("a range of the web app") {
    string_request request = get_request("/mosaic.wasm");
    request.set(http::field::range, "bytes=0-3");
    const string_response response = handle_request(tree.context, request);
    CHECK(response.result() == http::status::partial_content);
    CHECK(response.body() == std::string("\0asm", 4));
    CHECK(header(response, http::field::content_range) == "bytes 0-3/" + std::to_string(tree.wasm_bytes.size()));
    check_file_headers(response, "application/wasm", "no-cache", 4);
  }
}

TEST_CASE("HEAD answers the headers of a GET with an empty body", "[server][handler][static]") {
  const served_tree tree;
  const std::string shard_target = "/index/" + tree.manifest.shards[0].vectors.path;
  for (const std::string target : {"/", "/mosaic.wasm", "/index/manifest.json", shard_target.c_str()}) {
    INFO("target " << target);
    const string_response full = handle_request(tree.context, get_request(target));
    const string_response head = handle_request(tree.context, make_request(http::verb::head, target));
    CHECK(head.result() == http::status::ok);
    CHECK(head.body().empty());
    for (const http::field field : {http::field::content_type, http::field::content_length, http::field::etag,
                                    http::field::cache_control, http::field::accept_ranges}) {
      INFO("field " << http::to_string(field));
      CHECK(header(head, field) == header(full, field));
    }
    CHECK(header(head, http::field::content_length) == std::to_string(full.body().size()));
    CHECK(header(head, "X-Content-Type-Options") == "nosniff");
  }
  // A ranged HEAD measures the range.
  string_request ranged = make_request(http::verb::head, shard_target);
  ranged.set(http::field::range, "bytes=0-9");
  const string_response response = handle_request(tree.context, ranged);
  CHECK(response.result() == http::status::partial_content);
  CHECK(header(response, http::field::content_length) == "10");
  CHECK(response.body().empty());
  // Errors to HEAD have no body either: the bytes would be read as the next response.
  for (const std::string target : {"/missing.html", "/../etc/passwd", "/api/health"}) {
    INFO("target " << target);
    const string_response answer = handle_request(tree.context, make_request(http::verb::head, target));
    CHECK(answer.body().empty());
    CHECK(has_header(answer, http::field::content_length));
  }
}

TEST_CASE("missing files answer 404", "[server][handler][static]") {
  const served_tree tree;
  for (const std::string target : {"/missing.html", "/missing/", "/app.js/more", "/index/shards/0000.bin",
                                   "/index/items/missing.json", "/index/missing/", "/index"}) {
    INFO("target " << target);
    const string_response response = handle_request(tree.context, get_request(target));
    CHECK(response.result() == http::status::not_found);
    CHECK(header(response, "X-Content-Type-Options") == "nosniff");
    CHECK_FALSE(has_header(response, http::field::etag));
  }
  // A server without an index or without an app serves neither.
  server_context proxy_only;
  proxy_only.provider = &local_embedding_provider();
  check_error(handle_request(proxy_only, get_request("/index/manifest.json")), http::status::not_found, "no_index", "no index");
  check_error(handle_request(proxy_only, get_request("/")), http::status::not_found, "not_found", "no web app");
}

TEST_CASE("traversal in any spelling is refused and never reads the file", "[server][handler][traversal]") {
  const served_tree tree;
  for (const std::string target :
       {"/../etc/passwd", "/index/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/%2E%2E/secret",
        "/index/%2e%2e%2fmanifest.json", "/index/%2e%2e/%2e%2e/secret", "/..%2fsecret", "/..%2Foutside%2Fsecret.txt",
        "/index/..%2f..%2fsecret", "/a%00b", "/app.js%00.html", "/a\\b", "/..\\secret", "/%5c..%5csecret",
        "//etc/passwd", "/%2fetc/passwd", "/index//manifest.json", "/index/manifest.json%", "/index/manifest.json%2",
        "/app.js%zz", "/./app.js", "/index/./manifest.json", "/..", "/index/..", "/%2e%2e"}) {
    check_refused(tree.context, target);
  }
  // The decoding errors are 400 with a message, the one function's answer for a bad path.
  check_error(handle_request(tree.context, get_request("/..%2fsecret")), http::status::bad_request, "bad_path",
              "leaves the served folder");
  check_error(handle_request(tree.context, get_request("/index/manifest.json%2")), http::status::bad_request, "bad_path",
              "cut off");
  check_error(handle_request(tree.context, get_request("/app.js%zz")), http::status::bad_request, "bad_path", "hex digits");
}

TEST_CASE("a symlink in the web folder that leads outside it is answered as missing", "[server][handler][traversal]") {
  const served_tree tree;
  fs::create_symlink(tree.outside_directory / "secret.txt", tree.web_directory / "leak.txt");
  fs::create_symlink(tree.outside_directory, tree.web_directory / "outside");
  fs::create_symlink(tree.outside_directory / "secret.txt", tree.site_directory / "shards" / "leak.bin");
  for (const std::string target : {"/leak.txt", "/outside/secret.txt", "/index/shards/leak.bin"}) {
    INFO("target " << target);
    const string_response response = handle_request(tree.context, get_request(target));
    CHECK(response.result() == http::status::not_found);
    CHECK(response.body().find(secret_content) == std::string::npos);
    string_request ranged = get_request(target);
    ranged.set(http::field::range, "bytes=0-9");
    const string_response partial = handle_request(tree.context, ranged);
    CHECK(partial.result() == http::status::not_found);
    CHECK(partial.body().find(secret_content.substr(0, 10)) == std::string::npos);
  }
  // A symlink that stays inside the folder is fine.
  fs::create_symlink(tree.web_directory / "app.js", tree.web_directory / "alias.js");
  const string_response alias = handle_request(tree.context, get_request("/alias.js"));
  CHECK(alias.result() == http::status::ok);
  CHECK(alias.body() == tree.app_js);
}

// =============================================================================================
// Methods and routes

TEST_CASE("methods a route does not take answer 405 with Allow and unknown API routes 404", "[server][handler][methods]") {
  const served_tree tree;
  struct method_case {
    http::verb method;
    std::string target;
    std::string allow;
  };
  for (const method_case& expected : {method_case{http::verb::post, "/", "GET, HEAD"},
                                      method_case{http::verb::post, "/app.js", "GET, HEAD"},
                                      method_case{http::verb::post, "/index/manifest.json", "GET, HEAD"},
                                      method_case{http::verb::put, "/app.js", "GET, HEAD"},
                                      method_case{http::verb::delete_, "/index/manifest.json", "GET, HEAD"},
                                      method_case{http::verb::options, "/", "GET, HEAD"},
                                      method_case{http::verb::get, "/api/embed", "POST"},
                                      method_case{http::verb::head, "/api/embed", "POST"},
                                      method_case{http::verb::put, "/api/embed", "POST"},
                                      method_case{http::verb::get, "/api/search", "POST"},
                                      method_case{http::verb::delete_, "/api/search", "POST"},
                                      method_case{http::verb::post, "/api/health", "GET, HEAD"},
                                      method_case{http::verb::put, "/api/health", "GET, HEAD"}}) {
    INFO(http::to_string(expected.method) << " " << expected.target);
    const string_response response = handle_request(tree.context, make_request(expected.method, expected.target));
    if (expected.method == http::verb::head) {
      CHECK(response.result() == http::status::method_not_allowed);
      CHECK(response.body().empty());
    } else {
      check_error(response, http::status::method_not_allowed, "method_not_allowed", "use " + expected.allow);
    }
    CHECK(header(response, http::field::allow) == expected.allow);
  }
  for (const http::verb method : {http::verb::get, http::verb::post, http::verb::put}) {
    for (const std::string target : {"/api/nope", "/api/", "/api/embed/extra", "/api/healthz"}) {
      INFO(http::to_string(method) << " " << target);
      check_error(handle_request(tree.context, make_request(method, target)), http::status::not_found, "not_found",
                  "no such API route");
    }
  }
}

TEST_CASE("body limits are set per route", "[server][handler]") {
  CHECK(mosaic::server::body_limit_for("/api/embed") == 32ULL * 1024 * 1024);
  CHECK(mosaic::server::body_limit_for("/api/search") == 1024 * 1024);
  CHECK(mosaic::server::body_limit_for("/api/health") == 1024 * 1024);
  CHECK(mosaic::server::body_limit_for("/") == 16 * 1024);
  CHECK(mosaic::server::body_limit_for("/index/manifest.json") == 16 * 1024);
}

// =============================================================================================
// /api/health

TEST_CASE("/api/health names the provider and the index", "[server][handler][health]") {
  const served_tree tree;
  const string_response response = handle_request(tree.context, get_request("/api/health"));
  CHECK(response.result() == http::status::ok);
  const json expected{{"status", "ok"},
                      {"provider", {{"name", "local"}, {"model", "use-lite-512@energetic-ai-0.2.0"}, {"dimensions", 512}}},
                      {"index", {{"model", "use-lite-512@energetic-ai-0.2.0"}, {"generation", 1}, {"items", 6}}}};
  CHECK(json_body(response) == expected);
  CHECK(header(response, http::field::content_length) == std::to_string(response.body().size()));

  SECTION("a rebuilt index reports its new generation and size") {
    tree.rewrite_site_with_three_items();
    server_context rebuilt = tree.context;
    rebuilt.site = served_tree::load(tree.site_directory);
    const json health = json_body(handle_request(rebuilt, get_request("/api/health")));
    CHECK(health.at("index") == json{{"model", model_id}, {"generation", 2}, {"items", 3}});
  }
  SECTION("a pure proxy has no index; a server without a provider names none") {
    server_context proxy_only;
    proxy_only.provider = &local_embedding_provider();
    proxy_only.provider_name = "local";
    CHECK(json_body(handle_request(proxy_only, get_request("/api/health"))) ==
          json{{"status", "ok"}, {"provider", {{"name", "local"}, {"model", model_id}, {"dimensions", 512}}}});
    CHECK(json_body(handle_request(server_context{}, get_request("/api/health"))) == json{{"status", "ok"}});
  }
  SECTION("a query string does not change the route") {
    CHECK(handle_request(tree.context, get_request("/api/health?verbose=1")).result() == http::status::ok);
  }
}

// =============================================================================================
// /api/embed

TEST_CASE("/api/embed embeds one text as a unit vector of 512", "[server][handler][embed]") {
  const served_tree tree;
  const std::string text = "The cheetah is the fastest land animal";
  const auto vectors = embeddings_of(embed(tree.context, embed_body({text})), 512);
  REQUIRE(vectors.size() == 1);
  CHECK(largest_difference(vectors[0], reference_embedding(text)) < 1e-5);

  SECTION("task query and document are accepted and give the local model's one vector") {
    for (const std::string task : {"query", "document"}) {
      json body = embed_body({text});
      body["task"] = task;
      const auto with_task = embeddings_of(embed(tree.context, body), 512);
      REQUIRE(with_task.size() == 1);
      CHECK(largest_difference(with_task[0], vectors[0]) < 1e-6);
    }
  }
  SECTION("text is NFKC-normalized before it is embedded") {
    const auto ligature = embeddings_of(embed(tree.context, embed_body({"\xEF\xAC\x81ne caf\xC3\xA9"})), 512);  // "ﬁne café"
    const auto plain = embeddings_of(embed(tree.context, embed_body({"fine caf\xC3\xA9"})), 512);
    CHECK(largest_difference(ligature[0], plain[0]) < 1e-6);
  }
  SECTION("512 dimensions may be asked for explicitly") {
    json body = embed_body({text});
    body["dimensions"] = 512;
    CHECK(largest_difference(embeddings_of(embed(tree.context, body), 512)[0], vectors[0]) < 1e-6);
  }
}

TEST_CASE("/api/embed truncates to the asked dimensions and renormalizes", "[server][handler][embed]") {
  const served_tree tree;
  const std::string text = "A recipe for tomato soup";
  for (const std::size_t dimensions : {std::size_t{1}, std::size_t{64}, std::size_t{128}, std::size_t{256}}) {
    INFO("dimensions " << dimensions);
    json body = embed_body({text});
    body["dimensions"] = dimensions;
    const auto vectors = embeddings_of(embed(tree.context, body), dimensions);
    REQUIRE(vectors.size() == 1);
    const std::vector<float> full = reference_embedding(text);
    const std::vector<float> expected =
        normalized(std::vector<float>(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(dimensions)));
    CHECK(largest_difference(vectors[0], expected) < 1e-5);
  }
}

TEST_CASE("/api/embed answers several inputs with several vectors in input order", "[server][handler][embed]") {
  const served_tree tree;
  const std::vector<std::string> texts = {"Birds singing at dawn", "How to fix a bicycle tire", "Waves on a beach"};
  const auto vectors = embeddings_of(embed(tree.context, embed_body(texts)), 512);
  REQUIRE(vectors.size() == 3);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    INFO("input " << i);
    CHECK(largest_difference(vectors[i], reference_embedding(texts[i])) < 1e-5);
  }
  CHECK(dot(vectors[0], vectors[1]) < 0.9);

  // Swapping the inputs swaps the vectors.
  const auto swapped = embeddings_of(embed(tree.context, embed_body({texts[1], texts[0], texts[2]})), 512);
  REQUIRE(swapped.size() == 3);
  CHECK(largest_difference(swapped[0], vectors[1]) < 1e-6);
  CHECK(largest_difference(swapped[1], vectors[0]) < 1e-6);
  CHECK(largest_difference(swapped[2], vectors[2]) < 1e-6);

  // The limit itself is accepted: 100 inputs give 100 vectors.
  const auto hundred = embeddings_of(embed(tree.context, embed_body(std::vector<std::string>(100, "hello"))), 512);
  CHECK(hundred.size() == 100);
}

TEST_CASE("/api/embed fuses the parts of one input into one vector", "[server][handler][embed]") {
  const served_tree tree;
  const std::string first = "A red racing car", second = "Tomato soup with basil";
  const json body{{"inputs", json::array({json{{"parts", json::array({json{{"text", first}}, json{{"text", second}}})}}})}};
  const auto fused = embeddings_of(embed(tree.context, body), 512);
  REQUIRE(fused.size() == 1);
  const std::vector<float> first_alone = reference_embedding(first), second_alone = reference_embedding(second);
  CHECK(dot(fused[0], first_alone) < 0.99);
  CHECK(dot(fused[0], second_alone) < 0.99);
  // The normalized mean of the parts: closer to each part than the parts are to each other.
  std::vector<float> sum(512);
  for (std::size_t i = 0; i < sum.size(); ++i) sum[i] = first_alone[i] + second_alone[i];
  CHECK(largest_difference(fused[0], normalized(sum)) < 1e-5);
  CHECK(dot(fused[0], first_alone) > dot(first_alone, second_alone));
}

TEST_CASE("/api/embed refuses bad requests with 400 and a message naming the problem", "[server][handler][embed]") {
  const served_tree tree;
  const std::string dimensions_message = "\"dimensions\" must be a whole number from 1 to 512";

  SECTION("the body") {
    check_error(handle_request(tree.context, post_request("/api/embed", std::string("{\"inputs\": ["))),
                http::status::bad_request, "invalid_json", "not valid JSON");
    check_error(handle_request(tree.context, post_request("/api/embed", std::string())), http::status::bad_request,
                "invalid_json", "not valid JSON");
    check_error(handle_request(tree.context, post_request("/api/embed", std::string("[{\"parts\":[{\"text\":\"a\"}]}]"))),
                http::status::bad_request, "invalid_json", "must be a JSON object");
    check_error(handle_request(tree.context, post_request("/api/embed", std::string("\"text\""))), http::status::bad_request,
                "invalid_json", "must be a JSON object");
  }
  SECTION("the inputs") {
    for (const json& body : {json::object(), json{{"inputs", json::array()}}, json{{"inputs", "hello"}},
                             json{{"inputs", nullptr}}, json{{"input", embed_body({"hello"})["inputs"]}}}) {
      INFO("body " << body.dump());
      check_error(embed(tree.context, body), http::status::bad_request, "invalid_argument",
                  "\"inputs\" must be a non-empty array");
    }
    check_error(embed(tree.context, embed_body(std::vector<std::string>(101, "hello"))), http::status::bad_request,
                "invalid_argument", "at most 100 inputs");
    for (const json& input : {json(42), json::object(), json{{"parts", json::array()}}, json{{"parts", "hello"}},
                              json{{"text", "hello"}}}) {
      INFO("input " << input.dump());
      check_error(embed(tree.context, json{{"inputs", json::array({text_input("fine"), input})}}),
                  http::status::bad_request, "invalid_argument", "inputs[1] needs a non-empty \"parts\" array");
    }
  }
  SECTION("the parts") {
    const json gemini_shaped{{"inlineData", {{"mimeType", "image/png"}, {"data", "iVBORw0KGgo="}}}};
    for (const json& part : {gemini_shaped, json{{"text", 42}}, json{{"text", nullptr}}, json("hello"), json::object(),
                             json{{"mime_type", "image/png"}}, json{{"data", "iVBORw0KGgo="}},
                             json{{"mime_type", "image/png"}, {"data", "not base64!"}},
                             json{{"mime_type", ""}, {"data", "iVBORw0KGgo="}}, json{{"text", "a"}, {"data", "YQ=="}}}) {
      INFO("part " << part.dump());
      const json body{{"inputs", json::array({json{{"parts", json::array({json{{"text", "fine"}}, part})}}})}};
      check_error(embed(tree.context, body), http::status::bad_request, "invalid_argument", "inputs[0].parts[1]");
    }
  }
  SECTION("media sent to the local model: 415 naming the gemini provider") {
    const json body{{"inputs", json::array({json{{"parts", json::array({json{{"mime_type", "image/png"}, {"data", "iVBORw0KGgo="}}})}}})}};
    check_error(embed(tree.context, body), http::status::unsupported_media_type, "unsupported_media", "text only");
    check_error(embed(tree.context, body), http::status::unsupported_media_type, "unsupported_media", "gemini provider");
  }
  SECTION("the text") {
    check_error(embed(tree.context, embed_body({std::string(32 * 1024 + 1, 'a')})), http::status::bad_request,
                "invalid_argument", "text is longer than 32768 bytes");
    check_error(embed(tree.context, embed_body({""})), http::status::bad_request, "invalid_argument", "empty text");
    // Exactly at the cap is accepted.
    std::string longest;
    while (longest.size() + 5 <= 32 * 1024) longest += "word ";
    longest.resize(32 * 1024, 'x');
    CHECK(embeddings_of(embed(tree.context, embed_body({longest})), 512).size() == 1);
  }
  SECTION("invalid UTF-8 in the text is a 400 and the answer is valid JSON") {
    const std::string body = std::string(R"({"inputs":[{"parts":[{"text":"caf)") + "\xC3(" + R"("}]}]})";
    const string_response response = handle_request(tree.context, post_request("/api/embed", body));
    check_error(response, http::status::bad_request, "invalid_json", "not valid JSON");
    const std::string lone_continuation = std::string(R"({"inputs":[{"parts":[{"text":")") + "\x80\xFF" + R"("}]}]})";
    check_error(handle_request(tree.context, post_request("/api/embed", lone_continuation)), http::status::bad_request,
                "invalid_json", "UTF-8");
  }
  SECTION("dimensions") {
    for (const json& dimensions : {json(0), json(513), json("64"), json(-1), json(64.5), json(nullptr), json::array({64})}) {
      INFO("dimensions " << dimensions.dump());
      json body = embed_body({"hello"});
      body["dimensions"] = dimensions;
      check_error(embed(tree.context, body), http::status::bad_request, "invalid_argument", dimensions_message);
    }
  }
  SECTION("task") {
    for (const json& task : {json("banana"), json("QUERY"), json(1), json(nullptr)}) {
      INFO("task " << task.dump());
      json body = embed_body({"hello"});
      body["task"] = task;
      check_error(embed(tree.context, body), http::status::bad_request, "invalid_argument",
                  "\"task\" must be \"query\", \"document\"");
    }
  }
  SECTION("without a provider the answer is 503") {
    server_context no_provider = tree.context;
    no_provider.provider = nullptr;
    check_error(embed(no_provider, embed_body({"hello"})), http::status::service_unavailable, "no_provider",
                "no embedding provider");
  }
}

// =============================================================================================
// /api/search

TEST_CASE("/api/search finds the item a text query means", "[server][handler][search]") {
  const served_tree tree;
  const string_response response = search(tree.context, json{{"text", "How fast can a cheetah run?"}});
  const std::vector<std::string> ids = result_ids(response);
  REQUIRE(ids.size() == 6);  // k defaults to 10, the index holds 6
  CHECK(ids[0] == id_of("Cheetah"));
  json first = json_body(response).at("results").at(0);
  // The core's close-match decision and the meaning similarity travel with every result; this index's
  // test model has no measured figure, so every result counts as close.
  CHECK(first.at("close") == true);
  CHECK(first.at("similarity").get<double>() > 0.0);
  for (const char* judged : {"score", "close", "similarity"}) first.erase(judged);
  CHECK(first == expected_result(entry_titled("Cheetah")));

  struct query_case {
    std::string text;
    std::string title;
  };
  for (const query_case& expected : {query_case{"soup recipe with tomatoes", "Tomato soup"},
                                     query_case{"fixing a punctured bike wheel", "Bicycle repair"},
                                     query_case{"waves crashing on the sea shore", "Ocean waves"},
                                     query_case{"birds singing in a forest", "Birdsong"}}) {
    INFO("query " << expected.text);
    const auto found = result_ids(search(tree.context, json{{"text", expected.text}}));
    REQUIRE_FALSE(found.empty());
    CHECK(found[0] == id_of(expected.title));
  }

  // The thumbnail is a path inside the index, which the answer says is served under index/.
  const json car_answer = json_body(search(tree.context, json{{"text", "a red racing car"}, {"k", 1}}));
  const json& car = car_answer.at("results");
  REQUIRE(car.size() == 1);
  json car_result = car.at(0);
  for (const char* judged : {"score", "close", "similarity"}) car_result.erase(judged);
  CHECK(car_result == expected_result(entry_titled("Race car")));
  CHECK(car_answer.at("index_path").get<std::string>() + car_result.at("item").at("thumbnail").get<std::string>() ==
        "index/thumbnails/race-car.jpg");
}

TEST_CASE("/api/search returns at most k results", "[server][handler][search]") {
  const served_tree tree;
  for (const std::size_t k : {std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{6}, std::size_t{1000}}) {
    INFO("k " << k);
    const auto ids = result_ids(search(tree.context, json{{"text", "animals"}, {"k", k}}));
    CHECK(ids.size() == std::min<std::size_t>(k, 6));
  }
}

TEST_CASE("/api/search votes on a label from the same scan when classify is asked", "[server][handler][search]") {
  const served_tree tree;
  const json answer = json_body(search(tree.context, json{{"text", "recipe for tomato soup"}, {"k", 0},
                                                          {"classify", {{"k", 1}}}}));
  CHECK(answer.at("results").empty());
  const json& vote = answer.at("classification");
  CHECK(vote.at("known") == true);
  CHECK(vote.at("label") == "cooking");
  CHECK(vote.at("votes") == 1);
  REQUIRE(vote.at("neighbours").size() == 1);
  CHECK(vote.at("neighbours").at(0).at("id") == id_of("Tomato soup"));

  // The vote counts only labelled items: the unlabelled manual is nearest, the voter is the next one.
  const json bicycle = json_body(search(tree.context, json{{"text", "fix a flat bicycle tire"}, {"k", 1},
                                                           {"classify", {{"k", 1}}}}));
  CHECK(bicycle.at("results").at(0).at("id") == id_of("Bicycle repair"));
  CHECK(bicycle.at("classification").at("neighbours").at(0).at("id") != id_of("Bicycle repair"));
  CHECK_FALSE(bicycle.at("classification").at("neighbours").at(0).at("item").at("label").get<std::string>().empty());

  check_error(search(tree.context, json{{"text", "x"}, {"classify", {{"k", 0}}}}), http::status::bad_request,
              "invalid_argument", "classify.k");
}

TEST_CASE("/api/search takes a query vector of the index's dimensions", "[server][handler][search]") {
  const served_tree tree;
  const std::vector<float> soup = reference_embedding(entry_titled("Tomato soup").text);
  const string_response response = search(tree.context, json{{"vector", soup}, {"k", 3}});
  const auto ids = result_ids(response);
  REQUIRE(ids.size() == 3);
  CHECK(ids[0] == id_of("Tomato soup"));
  CHECK(json_body(response).at("results").at(0).at("score").get<double>() > 0.99);

  // A vector need not be normalized: the direction is what counts.
  std::vector<float> scaled = soup;
  for (float& value : scaled) value *= 7.0f;
  CHECK(result_ids(search(tree.context, json{{"vector", scaled}, {"k", 3}})) == ids);

  // A vector wins over text when both are given.
  CHECK(result_ids(search(tree.context, json{{"vector", soup}, {"text", "cheetah"}, {"k", 3}})) == ids);

  const std::string size_message = "\"vector\" must hold 512 numbers";
  for (const std::size_t size : {std::size_t{0}, std::size_t{64}, std::size_t{511}, std::size_t{513}}) {
    INFO("size " << size);
    check_error(search(tree.context, json{{"vector", std::vector<float>(size, 0.1f)}}), http::status::bad_request,
                "invalid_argument", size_message);
  }
  check_error(search(tree.context, json{{"vector", "0.1,0.2"}}), http::status::bad_request, "invalid_argument",
              size_message);
  json with_text = json(std::vector<float>(512, 0.1f));
  with_text[7] = "x";
  check_error(search(tree.context, json{{"vector", with_text}}), http::status::bad_request, "invalid_argument",
              "\"vector\" must hold numbers");
  check_error(search(tree.context, json{{"vector", std::vector<float>(512, 0.0f)}}), http::status::bad_request,
              "zero_vector", "zero vector");
  // Beyond float range: refused, never a crash or a nonsense ranking.
  json huge = json(std::vector<float>(512, 0.1f));
  huge[0] = 1e300;
  check_error(search(tree.context, json{{"vector", huge}}), http::status::bad_request, "invalid_argument",
              "within the float range");
  huge[0] = -1e39;
  check_error(search(tree.context, json{{"vector", huge}}), http::status::bad_request, "invalid_argument",
              "within the float range");
  huge[0] = 3e38;  // the largest floats are fine
  CHECK(search(tree.context, json{{"vector", huge}}).result() == http::status::ok);
}

TEST_CASE("/api/search filters by label, modality and tag", "[server][handler][search]") {
  const served_tree tree;
  auto filtered = [&](const json& filter) {
    std::vector<std::string> ids = result_ids(search(tree.context, json{{"text", "something"}, {"k", 100}, {"filter", filter}}));
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  auto sorted_ids = [](std::initializer_list<std::string_view> titles) {
    std::vector<std::string> ids;
    for (const std::string_view title : titles) ids.push_back(id_of(title));
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  CHECK(filtered(json{{"label", "animals"}}) == sorted_ids({"Cheetah", "Birdsong"}));
  CHECK(filtered(json{{"label", json::array({"animals", "cooking"})}}) == sorted_ids({"Cheetah", "Birdsong", "Tomato soup"}));
  CHECK(filtered(json{{"modality", "image"}}) == sorted_ids({"Race car"}));
  CHECK(filtered(json{{"modality", json::array({"audio", "video"})}}) == sorted_ids({"Birdsong", "Ocean waves"}));
  CHECK(filtered(json{{"modality", "text"}}) == sorted_ids({"Cheetah", "Tomato soup"}));
  CHECK(filtered(json{{"tag", "fast"}}) == sorted_ids({"Cheetah", "Race car"}));
  CHECK(filtered(json{{"tag", json::array({"fast", "wildlife"})}}) == sorted_ids({"Cheetah"}));  // all of them
  CHECK(filtered(json{{"label", "animals"}, {"modality", "audio"}}) == sorted_ids({"Birdsong"}));
  CHECK(filtered(json{{"label", "animals"}, {"tag", "fast"}}) == sorted_ids({"Cheetah"}));
  CHECK(filtered(json::object()) == sorted_ids({"Cheetah", "Tomato soup", "Race car", "Birdsong", "Bicycle repair", "Ocean waves"}));
  CHECK(filtered(nullptr).size() == 6);

  // Names the index does not know match nothing: an empty list, not an error.
  CHECK(filtered(json{{"label", "dinosaurs"}}).empty());
  CHECK(filtered(json{{"tag", "slow"}}).empty());
  CHECK(filtered(json{{"tag", json::array({"fast", "slow"})}}).empty());
  // "" is the dictionary's reserved "no label" id: it selects the unlabelled items.
  CHECK(filtered(json{{"label", ""}}) == sorted_ids({"Bicycle repair"}));

  // The filtered answer ranks within the filter: the best text item for "cheetah" among text items.
  const auto text_only = result_ids(search(tree.context, json{{"text", "cheetah speed"}, {"filter", {{"modality", "text"}}}}));
  REQUIRE(text_only.size() == 2);
  CHECK(text_only[0] == id_of("Cheetah"));

  // Malformed filters are 400s.
  check_error(search(tree.context, json{{"text", "x"}, {"filter", "animals"}}), http::status::bad_request,
              "invalid_argument", "\"filter\" must be an object");
  check_error(search(tree.context, json{{"text", "x"}, {"filter", {{"label", 3}}}}), http::status::bad_request,
              "invalid_argument", "filter.label must be a string or an array of strings");
  check_error(search(tree.context, json{{"text", "x"}, {"filter", {{"tag", json::array({"fast", 3})}}}}),
              http::status::bad_request, "invalid_argument", "filter.tag must be a string or an array of strings");
  check_error(search(tree.context, json{{"text", "x"}, {"filter", {{"lable", "animals"}}}}), http::status::bad_request,
              "invalid_argument", "unknown filter key 'lable'");
  check_error(search(tree.context, json{{"text", "x"}, {"filter", {{"modality", "banana"}}}}),
              http::status::bad_request, "invalid_argument", "banana");
}

TEST_CASE("/api/search refuses bad requests", "[server][handler][search]") {
  const served_tree tree;
  const std::string k_message = "\"k\" must be a whole number from 1 to 10000";
  for (const json& k : {json(0), json(10001), json(-1), json("3"), json(2.5), json(nullptr)}) {
    INFO("k " << k.dump());
    check_error(search(tree.context, json{{"text", "cheetah"}, {"k", k}}), http::status::bad_request,
                "invalid_argument", k_message);
  }
  for (const json& body : {json::object(), json{{"k", 3}}, json{{"text", 42}}, json{{"query", "cheetah"}}}) {
    INFO("body " << body.dump());
    check_error(search(tree.context, body), http::status::bad_request, "invalid_argument", "give \"text\" or \"vector\"");
  }
  check_error(search(tree.context, json{{"text", ""}}), http::status::bad_request, "invalid_argument", "empty text");
  check_error(search(tree.context, json{{"text", std::string(40000, 'a')}}), http::status::bad_request,
              "invalid_argument", "longer than 32768 bytes");
  check_error(handle_request(tree.context, post_request("/api/search", std::string("cheetah"))), http::status::bad_request,
              "invalid_json", "not valid JSON");

  SECTION("a server without an index answers 404 no_index") {
    server_context proxy_only;
    proxy_only.provider = &local_embedding_provider();
    check_error(search(proxy_only, json{{"text", "cheetah"}}), http::status::not_found, "no_index", "serves no index");
  }
  SECTION("text cannot be embedded without the index's model") {
    server_context no_provider = tree.context;
    no_provider.provider = nullptr;
    check_error(search(no_provider, json{{"text", "cheetah"}}), http::status::bad_request, "model_mismatch",
                "cannot embed text");
    // A vector still works.
    const auto ids = result_ids(search(no_provider, json{{"vector", reference_embedding(entry_titled("Cheetah").text)}}));
    REQUIRE_FALSE(ids.empty());
    CHECK(ids[0] == id_of("Cheetah"));
  }
}

TEST_CASE("/api/search truncates a text query to a Matryoshka index's dimensions", "[server][handler][search]") {
  const temporary_folder folder("matryoshka-site");
  mosaic::server::site_layout layout;
  layout.model_id = std::string(model_id);
  layout.dimensions = 128;
  layout.full_dimensions = 512;
  auto items = indexed_items();
  for (auto& item : items) {
    item.vector.resize(128);
    item.vector = normalized(item.vector);
  }
  REQUIRE(mosaic::server::write_site(folder.path(), layout, items).ok());
  server_context context;
  context.provider = &local_embedding_provider();
  context.site = served_tree::load(folder.path());
  const auto ids = result_ids(search(context, json{{"text", "How fast can a cheetah run?"}}));
  REQUIRE_FALSE(ids.empty());
  CHECK(ids[0] == id_of("Cheetah"));
  check_error(search(context, json{{"vector", std::vector<float>(512, 0.1f)}}), http::status::bad_request,
              "invalid_argument", "\"vector\" must hold 128 numbers");
}

// =============================================================================================
// Connection handling

TEST_CASE("responses keep the request's HTTP version and keep-alive setting", "[server][handler][keep-alive]") {
  const served_tree tree;
  struct connection_case {
    unsigned version;
    int keep_alive;  // -1: leave the request's default, 0/1: set it
    bool expected;
  };
  for (const connection_case& expected : {connection_case{11, -1, true}, connection_case{11, 0, false},
                                          connection_case{10, -1, false}, connection_case{10, 1, true}}) {
    const std::vector<std::tuple<http::verb, std::string, std::string>> requests = {
        {http::verb::get, "/", ""},
          {http::verb::get, "/index/manifest.json", ""},
          {http::verb::get, "/missing.html", ""},
          {http::verb::get, "/../etc/passwd", ""},
          {http::verb::post, "/app.js", ""},
          {http::verb::get, "/api/health", ""},
          {http::verb::get, "/api/nope", ""},
          {http::verb::post, "/api/embed", embed_body({"hello"}).dump()},
          {http::verb::post, "/api/embed", "not json"},
          {http::verb::post, "/api/search", json{{"text", "cheetah"}}.dump()}};
    for (const auto& [method, target, body] : requests) {
      INFO("HTTP/" << expected.version / 10 << "." << expected.version % 10 << " keep-alive " << expected.keep_alive
                   << " " << http::to_string(method) << " " << target);
      string_request request = make_request(method, target, expected.version);
      if (expected.keep_alive >= 0) request.keep_alive(expected.keep_alive == 1);
      request.body() = body;
      request.prepare_payload();
      const string_response response = handle_request(tree.context, request);
      CHECK(response.version() == expected.version);
      CHECK(response.keep_alive() == expected.expected);
    }
  }
  // The conditional and ranged answers too.
  string_request conditional = make_request(http::verb::get, "/app.js", 10);
  conditional.set(http::field::if_none_match, "*");
  const string_response not_modified = handle_request(tree.context, conditional);
  CHECK(not_modified.result() == http::status::not_modified);
  CHECK(not_modified.version() == 10);
  CHECK_FALSE(not_modified.keep_alive());
  string_request ranged = make_request(http::verb::get, "/app.js", 11);
  ranged.set(http::field::range, "bytes=0-1");
  const string_response partial = handle_request(tree.context, ranged);
  CHECK(partial.result() == http::status::partial_content);
  CHECK(partial.version() == 11);
  CHECK(partial.keep_alive());
}
