#include "http/request_handler.hpp"

#include <array>
#include <chrono>
#include <future>

#include "http/api_routes.hpp"
#include "http/cors.hpp"
#include "http/site_events.hpp"
#include "http/static_files.hpp"

namespace mosaic::server {
namespace {

using nlohmann::json;

string_response handle_health(const server_context& context, const string_request& request) {
  json health{{"status", "ok"}};
  const std::shared_ptr<const loaded_site> site = context.site ? context.site->current() : nullptr;
  if (context.provider != nullptr) {
    health["provider"] = {{"name", context.provider_name}, {"model", context.provider->model_id()},
                          {"dimensions", context.provider->dimensions()}};
  }
  if (site) {
    health["index"] = {{"model", site->manifest().model_id},
                       {"generation", site->manifest().generation},
                       {"items", site->manifest().item_count()}};
  }
  if (context.append_health) context.append_health(health);
  return json_response(request, http::status::ok, health);
}

string_response handle_metrics(const server_context& context, const string_request& request) {
  string_response response{http::status::ok, request.version()};
  response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  std::string text = context.metrics->render_prometheus();
  if (context.append_metrics) context.append_metrics(text);
  response.body() = std::move(text);
  response.prepare_payload();
  return response;
}

static_request file_request_of(const string_request& request, std::string_view relative, cache_policy policy) {
  static_request file_request;
  file_request.relative_path = relative;
  const auto if_none_match = request[http::field::if_none_match];
  const auto range = request[http::field::range];
  file_request.if_none_match = std::string_view(if_none_match.data(), if_none_match.size());
  file_request.range = std::string_view(range.data(), range.size());
  file_request.head = request.method() == http::verb::head;
  file_request.policy = policy;
  return file_request;
}

string_response file_response(static_response file, const string_request& request) {
  string_response response{static_cast<http::status>(file.status), request.version()};
  response.keep_alive(request.keep_alive());
  if (!file.content_type.empty()) response.set(http::field::content_type, file.content_type);
  if (!file.etag.empty()) response.set(http::field::etag, file.etag);
  if (!file.cache_control.empty()) response.set(http::field::cache_control, file.cache_control);
  if (!file.content_range.empty()) response.set(http::field::content_range, file.content_range);
  if (file.status == 200 || file.status == 206) response.set(http::field::accept_ranges, "bytes");
  response.set("X-Content-Type-Options", "nosniff");
  response.body() = std::move(file.body);
  if (file.status != 304) response.content_length(file.content_length);
  return response;
}

string_response serve_file(const std::filesystem::path& root, std::string_view relative, cache_policy policy,
                           const string_request& request) {
  return file_response(serve_static_file(root, file_request_of(request, relative, policy)), request);
}

// manifest.json from the loaded site, not from disk: a browser always gets the manifest of the
// generation /api/search and /api/events speak of, and never one the server refused.
string_response serve_manifest(const loaded_site& site, const string_request& request) {
  const std::string etag = "\"" + site.manifest_hash.substr(0, 16) + "\"";
  return file_response(serve_static_content(site.manifest_text, "application/json", etag,
                                            file_request_of(request, "manifest.json", cache_policy::revalidate)),
                       request);
}

// GET /api/events without a connection to keep (handle_request called directly): the stream's head
// and its first event. The server's sessions send the same head and then keep the stream open
// (http/event_hub.hpp).
string_response handle_events(const server_context& context, const string_request& request) {
  if (!context.site) return error_response(request, http::status::not_found, "no_index", "this server serves no index (--site)");
  string_response response{http::status::ok, request.version()};
  response.set(http::field::content_type, "text/event-stream; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  response.set("X-Accel-Buffering", "no");  // proxies such as nginx would otherwise hold events back
  response.keep_alive(false);
  response.body() = generation_event(*context.site->current());
  return response;
}

// Every route once: how a path finds it (first match wins), the methods it takes and the fixed name
// a request is counted under in /metrics (never the raw target, which a client chooses).
enum class route_kind : std::uint8_t { health, events, metrics, embed, search, gemini, unknown_api, files };

struct route {
  std::string_view path;     // the whole path, or its beginning when `prefix`
  bool prefix;
  route_kind kind;
  std::string_view methods;  // "GET, HEAD" or "POST" (the Allow header of a 405); empty: none (an unknown route)
  std::string_view name;     // in /metrics
};

constexpr std::string_view get_or_head = "GET, HEAD";
constexpr std::string_view gemini_prefix = "/v1beta/models/";

constexpr std::array<route, 9> routes = {{
    {"/api/health", false, route_kind::health, get_or_head, "/api/health"},
    {"/api/events", false, route_kind::events, get_or_head, "/api/events"},
    {"/metrics", false, route_kind::metrics, get_or_head, "/metrics"},
    {"/api/embed", false, route_kind::embed, "POST", "/api/embed"},
    {"/api/search", false, route_kind::search, "POST", "/api/search"},
    {gemini_prefix, true, route_kind::gemini, "POST", "/v1beta/other"},  // named by method: gemini_route_name
    // An unknown API route is missing whatever the method: 405 would claim the resource exists.
    {"/api/", true, route_kind::unknown_api, "", "/api/other"},
    {"/index/", true, route_kind::files, get_or_head, "/index"},
    {"/", true, route_kind::files, get_or_head, "/app"},
}};

const route& find_route(std::string_view path) {
  for (const route& candidate : routes) {
    if (candidate.prefix ? path.starts_with(candidate.path) : path == candidate.path) return candidate;
  }
  return routes.back();  // a target that does not start with '/' is the app's (and decode_url_path refuses it)
}

std::string_view route_name(const route& matched, std::string_view path) {
  if (matched.kind != route_kind::gemini) return matched.name;
  if (path.ends_with(":batchEmbedContents")) return "/v1beta/batchEmbedContents";
  if (path.ends_with(":embedContent")) return "/v1beta/embedContent";
  return matched.name;
}

bool takes_method(const route& matched, http::verb method) {
  if (matched.methods == "POST") return method == http::verb::post;
  return method == http::verb::get || method == http::verb::head;
}

// /index/… from the site (the manifest from the loaded site), anything else from the web app.
void serve_files(const server_context& context, const string_request& request, const response_callback& done) {
  const std::string_view target(request.target().data(), request.target().size());
  auto decoded = decode_url_path(target);
  if (!decoded) return done(error_response(request, http::status::bad_request, "bad_path", decoded.failure().message));
  const std::string& relative = decoded.value();
  constexpr std::string_view index_prefix = "index/";
  if (relative.starts_with(index_prefix)) {
    if (context.site_directory.empty()) return done(error_response(request, http::status::not_found, "no_index", "no index is served"));
    const std::string inside = relative.substr(index_prefix.size());
    // Everything but the manifest is content-addressed, so it can be cached forever.
    if (inside == "manifest.json") {
      if (context.site) return done(serve_manifest(*context.site->current(), request));
      return done(serve_file(context.site_directory, inside, cache_policy::revalidate, request));
    }
    return done(serve_file(context.site_directory, inside, cache_policy::immutable, request));
  }
  if (context.web_directory.empty()) return done(error_response(request, http::status::not_found, "not_found", "no web app is served"));
  done(serve_file(context.web_directory, relative, cache_policy::revalidate, request));
}

// Routes a request; API routes that embed or search answer later, through `done`.
void route_request(const server_context& context, const route& matched, shared_request request,
                   const std::string& client_address, response_callback done) {
  const std::string_view target(request->target().data(), request->target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  if (matched.kind == route_kind::unknown_api) {
    return done(error_response(*request, http::status::not_found, "not_found", "no such API route"));
  }
  if (!takes_method(matched, request->method())) return done(method_not_allowed(*request, matched.methods));
  switch (matched.kind) {
    case route_kind::health: return done(handle_health(context, *request));
    case route_kind::events: return done(handle_events(context, *request));
    case route_kind::metrics:
      if (context.metrics == nullptr) return done(error_response(*request, http::status::not_found, "not_found", "metrics are off"));
      return done(handle_metrics(context, *request));
    case route_kind::embed: return handle_api_embed(context, std::move(request), client_address, std::move(done));
    case route_kind::search: return handle_api_search(context, std::move(request), std::move(done));
    case route_kind::gemini: {
      const std::string_view name_and_method = path.substr(gemini_prefix.size());
      const std::size_t colon = name_and_method.rfind(':');
      if (colon == std::string_view::npos || colon == 0) {
        return done(error_response(*request, http::status::not_found, "not_found", "use /v1beta/models/{model}:embedContent"));
      }
      return handle_gemini_pass_through(context, std::move(request), std::string(name_and_method.substr(0, colon)),
                                        std::string(name_and_method.substr(colon + 1)), client_address, std::move(done));
    }
    case route_kind::unknown_api:
    case route_kind::files: break;
  }
  serve_files(context, *request, done);
}

// A CORS preflight: allowed origins learn which methods and headers they may use; others get 403.
string_response preflight(const string_request& request, const std::optional<std::string>& allowed) {
  if (!allowed) {
    return error_response(request, http::status::forbidden, "origin_not_allowed",
                          "this origin may not call this server (see mosaic serve --allow-origin)");
  }
  string_response response{http::status::no_content, request.version()};
  response.set(http::field::access_control_allow_methods, "GET, HEAD, POST, OPTIONS");
  response.set(http::field::access_control_allow_headers, "content-type, x-goog-api-key, x-goog-api-client, range, if-none-match");
  response.set(http::field::access_control_max_age, "600");
  response.keep_alive(request.keep_alive());
  return response;
}

}  // namespace

void declare_server_metrics(metrics_registry& metrics) {
  metrics.declare_counter("mosaic_http_requests_total", "HTTP requests answered, by route and status");
  metrics.declare_histogram("mosaic_http_request_duration_seconds", "Time from a whole request to its answer, by route",
                            default_latency_buckets());
  metrics.declare_gauge("mosaic_http_connections", "Open HTTP connections (event streams not counted)");
  metrics.declare_counter("mosaic_http_connections_evicted_total",
                          "Connections closed to make room at the cap while they waited on their client");
  metrics.declare_counter("mosaic_http_connections_refused_total",
                          "Connections answered 503 at the cap because every connection was answering a request");
  // Shown from the start (as 0): a scrape tells "none yet" from "not counted".
  metrics.increment("mosaic_http_connections_evicted_total", {}, 0);
  metrics.increment("mosaic_http_connections_refused_total", {}, 0);
}

std::uint64_t body_limit_for(std::string_view target) {
  // Inline media arrive as base64 (4/3 of 20 MB) inside JSON.
  if (target.starts_with("/api/embed") || target.starts_with("/v1beta/")) return 32ULL * 1024 * 1024;
  if (target.starts_with("/api/")) return 1024 * 1024;
  return 16 * 1024;  // GET requests carry no body
}

void handle_request(const server_context& context, string_request request, std::string client_address,
                    response_callback done) {
  const auto started = std::chrono::steady_clock::now();
  auto shared = std::make_shared<const string_request>(std::move(request));
  const std::string_view target(shared->target().data(), shared->target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  const route& matched = find_route(path);
  const std::string route(route_name(matched, path));
  const auto origin_header = (*shared)[http::field::origin];
  std::optional<std::string> allowed = allowed_cors_origin(context.allowed_origins, std::string_view(origin_header.data(), origin_header.size()));
  // Every answer passes here: CORS headers, HEAD without a body, and the request counted.
  auto finish = [&context, shared, route, allowed, started, done = std::move(done)](string_response response) {
    if (allowed) {
      response.set(http::field::access_control_allow_origin, *allowed);
      response.set(http::field::access_control_expose_headers, "etag, content-range, retry-after");
      if (*allowed != "*") response.set(http::field::vary, "Origin");
    }
    // A HEAD answer has the headers a GET would get (Content-Length included) but never a body: the
    // serializer writes whatever the body holds, and a client would read it as the next response.
    if (shared->method() == http::verb::head) response.body().clear();
    if (context.metrics != nullptr) {
      const std::string status = std::to_string(response.result_int());
      context.metrics->increment("mosaic_http_requests_total", {{"route", route}, {"status", status}});
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
      context.metrics->observe("mosaic_http_request_duration_seconds", {{"route", route}}, elapsed.count());
    }
    done(std::move(response));
  };
  // Only a request with an Origin is a CORS preflight; any other OPTIONS is routed (and gets 405 + Allow).
  if (shared->method() == http::verb::options && !origin_header.empty()) return finish(preflight(*shared, allowed));
  route_request(context, matched, std::move(shared), client_address, std::move(finish));
}

string_response handle_request(const server_context& context, const string_request& request, std::string client_address) {
  auto answer = std::make_shared<std::promise<string_response>>();
  auto future = answer->get_future();
  handle_request(context, request, std::move(client_address), [answer](string_response response) { answer->set_value(std::move(response)); });
  return future.get();
}

}  // namespace mosaic::server
