// mosaic serve: the HTTP server (the embedding proxy, the index, the web app).
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "cli/command_options.hpp"
#include "cli/command_failure.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/provider_setup.hpp"
#include "http/cors.hpp"
#include "http/http_server.hpp"
#include "shared_state/shared_rate_limiter.hpp"
#include "sync/site_watcher.hpp"

namespace mosaic::server {
namespace {

constexpr const char* serve_usage = R"(usage: mosaic serve [--site DIR] [--port 8080] [options]
  Serves the web app at /, the index site at /index/, the embedding API (/api/embed, and Google's
  /v1beta/models/{model}:embedContent and :batchEmbedContents for Google's SDKs), /api/search,
  /api/health and /metrics. Without --site it is a pure embedding proxy for sites hosted elsewhere.
  The Gemini API key stays here: browsers and SDK clients never need it.
options:
  --site DIR            the index site to serve (written by mosaic index)
  --web DIR             the web app folder
  --port N              0 picks a free port; default 8080
  --address IP          default 127.0.0.1
  --threads N           io threads, default: the number of cores
  --workers N           threads for CPU work (image preparation, search), default: the number of cores
  --read-timeout S      seconds a client may take to send a request head (idle time before it on a
                        kept-alive connection included), default 30. A request body or an answer being
                        read may take this long plus a second per --min-transfer-rate bytes, and may
                        never stall for longer
  --min-transfer-rate B bytes per second a body or an answer must average to earn more time, default
                        1024; 0: only stalls are bounded
  --max-connections N   HTTP connections at once, default 2048 (event streams not counted). At the cap
                        the connection that has waited longest on its client (idle, sending or
                        reading slowly) is closed to make room; when all are answering requests, a
                        new one gets 503
  --allow-origin URL    let pages of this origin (https://example.org) call the API and read the
                        index; repeatable; * allows any
  --rate-limit N        /api/embed and /v1beta requests per second per client, default 20; 0: no limit;
                        with --redis one bucket per client for every proxy on that Redis
  --rate-burst N        requests a client may send at once before the limit applies, default 40
  --image-max-side N    images with a longer side are resized before embedding, default 1024
  --json                print the start-up line as JSON ({"listening": URL, "port": N, ...}; notes go to
                        stderr) and failures as {"error": {"code": ..., "message": ...}}
  --watch-ms N          how often to look for a new generation of the site (mosaic index rewrote it);
                        default 1000; 0: never (the site loaded at start is served until a restart)
  --max-event-streams N open /api/events streams at most, default 1000
  --heartbeat S         seconds between heartbeat comments on an idle /api/events stream, default 15
)";

// The server's own checks of an index, at start and on every new generation: the provider must embed
// queries in the index's space.
status check_site_fits_provider(const loaded_site& site, const std::string& site_directory, const std::string& provider_name,
                                const embedding_provider& provider) {
  if (site.manifest().model_id != provider.model_id()) {
    return make_error(error_code::invalid_manifest,
                      "the index in " + site_directory + " needs model '" + site.manifest().model_id + "', but the " +
                          provider_name + " provider embeds with '" + provider.model_id() + "'" +
                          (provider_name == "local" ? " (set GEMINI_API_KEY for a Gemini index)" : ""));
  }
  if (site.manifest().dimensions > provider.dimensions()) {
    return make_error(error_code::dimension_mismatch,
                      "the index in " + site_directory + " has " + std::to_string(site.manifest().dimensions) +
                          " dimensions, more than the provider's " + std::to_string(provider.dimensions()));
  }
  return success{};
}

// Every connection and event stream is a file descriptor. The soft limit is raised to the hard one
// (as Go's runtime does), and a cap the limit cannot hold is lowered, with a note, so that the cap
// (which a slow client cannot fill) is what runs out, not the descriptors (which would refuse
// everyone). Room is kept for files, the upstream pool and the watcher.
void fit_connections_to_descriptor_limit(server_options& server, std::FILE* information) {
  constexpr std::size_t reserve = 128;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY) return;
  const std::size_t descriptors = static_cast<std::size_t>(limit.rlim_cur);
  const std::size_t connections = server.max_connections;
  const std::size_t streams = server.events.max_streams;
  if (connections + streams + reserve <= descriptors) return;
  // Both caps share what the limit leaves, in their asked proportion; each keeps at least 8.
  const std::size_t available = descriptors > reserve ? descriptors - reserve : 0;
  server.max_connections = std::max<std::size_t>(8, available * connections / (connections + streams));
  server.events.max_streams = std::max<std::size_t>(8, available - std::min(available, server.max_connections));
  std::fprintf(information, "mosaic serve: note: %zu open files allowed (ulimit -n): at most %zu connections (not %zu) and %zu event streams "
              "(not %zu)\n", descriptors, server.max_connections, connections, server.events.max_streams, streams);
}

}  // namespace

int run_serve_command(std::span<const std::string_view> arguments) {
  const command_option_table& table = command_options("serve");
  parsed_options options(arguments, table.valued, table.flags);
  if (options.has("--help")) {
    std::printf("%s%s", serve_usage, provider_options_help);
    return 0;
  }
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const auto port = options.number("--port", 8080, 0, 65535);
  const auto threads = options.number("--threads", cores, 1, 256);
  const auto workers = options.number("--workers", cores, 1, 256);
  const auto read_timeout = options.number("--read-timeout", 30, 1, 3600);
  const auto minimum_transfer_rate = options.number("--min-transfer-rate", 1024, 0, 1'000'000'000);
  const auto rate = options.number("--rate-limit", 20, 0, 1'000'000);
  const auto burst = options.number("--rate-burst", 40, 1, 1'000'000);
  const auto image_max_side = options.number("--image-max-side", 1024, 16, 16384);
  const auto watch_milliseconds = options.number("--watch-ms", 1000, 0, 3'600'000);
  const auto max_event_streams = options.number("--max-event-streams", 1000, 1, 1'000'000);
  const auto heartbeat = options.number("--heartbeat", 15, 1, 3600);
  const auto max_connections = options.number("--max-connections", 2048, 1, 1'000'000);
  std::string usage_error;
  if (options.error()) usage_error = *options.error();
  else if (!options.positional().empty()) usage_error = "unexpected argument '" + options.positional().front() + "'";
  for (const std::string& origin : options.values("--allow-origin")) {
    if (const std::string problem = check_allowed_origin_syntax(origin); !problem.empty() && usage_error.empty()) {
      usage_error = "--allow-origin " + origin + ": " + problem;
    }
  }
  if (!usage_error.empty()) {
    return report_usage_failure("serve", usage_error, serve_usage);
  }
  // Declared before the provider, so they outlive it: a provider shutting down still answers its
  // callers, and their answers are counted.
  metrics_registry metrics;
  declare_server_metrics(metrics);
  rate_limit_options limits;
  limits.per_second = static_cast<double>(*rate);
  limits.burst = static_cast<double>(*burst);
  rate_limiter limiter(limits);
  // A person is waiting for a query: past 20 s of retrying, an honest 503 with Retry-After is better.
  auto setup = set_up_provider(options, static_cast<unsigned>(*workers), std::chrono::seconds(20));
  if (!setup) {
    return report_failure("serve", setup.failure(), setup.failure().code == error_code::invalid_argument ? 2 : 1);
  }
  embedding_provider& provider = setup.value()->provider();
  // The first log line says which provider answers embedding calls, with its model id.
  // With --json, stdout carries only the start-up line as JSON; the notes go to stderr.
  const bool json = options.has("--json");
  std::FILE* information = json ? stderr : stdout;
  std::fprintf(information, "mosaic serve: provider %s, model %s\n", setup.value()->name.c_str(), provider.model_id().c_str());
  std::fprintf(information, "mosaic serve: %s\n", setup.value()->cache_note.c_str());
  if (setup.value()->redis) {
    // The address without its password: the log never holds a secret.
    std::fprintf(information, "mosaic serve: sharing the embedding cache, fetches, the upstream quota%s through %s\n",
                 *rate > 0 ? " and the per-client rate limit" : "", setup.value()->redis->address().description().c_str());
  }
  server_context context;
  context.provider = &provider;
  context.provider_name = setup.value()->name;
  if (auto site = options.value("--site")) {
    auto loaded = load_site(*site);
    if (!loaded) {
      return report_failure("serve", error_code_name(loaded.failure().code),
                            "cannot load the index in " + *site + ": " + loaded.failure().message, 1);
    }
    if (auto fits = check_site_fits_provider(loaded.value(), *site, setup.value()->name, provider); !fits) {
      return report_failure("serve", fits.failure(), 1);
    }
    context.site_directory = *site;
    context.site = std::make_shared<served_site>(std::make_shared<const loaded_site>(std::move(loaded).value()));
  }
  // A new generation written by `mosaic index` is noticed, checked like the first one, and swapped in.
  std::optional<site_watcher> watcher;
  if (context.site && *watch_milliseconds > 0) {
    site_watch_options watch;
    watch.interval = std::chrono::milliseconds(*watch_milliseconds);
    watch.accept = [directory = context.site_directory.string(), name = setup.value()->name, &provider](const loaded_site& site) {
      return check_site_fits_provider(site, directory, name, provider);
    };
    watcher.emplace(context.site_directory, *context.site, std::move(watch));
    watcher->start();
  }
  if (auto web = options.value("--web")) context.web_directory = *web;
  context.limits.image_max_side = static_cast<std::uint32_t>(*image_max_side);
  context.allowed_origins = options.values("--allow-origin");
  worker_pool pool(static_cast<unsigned>(*workers), 4096);
  context.workers = &pool;
  if (*rate > 0) context.embed_rate_limiter = &limiter;
  // --redis: one bucket per client for every proxy, the local limiter deciding while Redis is away.
  // Declared after the workers it hands requests to, so it waits for its last decision before they go.
  std::optional<shared_rate_limiter> shared_limiter;
  if (*rate > 0 && setup.value()->redis) {
    shared_limiter.emplace(*setup.value()->redis, limits, limiter);
    context.shared_embed_rate_limit = [&shared_limiter](const std::string& client, std::function<void(rate_decision)> decided) {
      shared_limiter->try_acquire(client, std::move(decided));
    };
  }
  context.metrics = &metrics;
  float_array_text_memo vector_text_memo(16u * 1024 * 1024);
  context.vector_text_memo = &vector_text_memo;
  const provider_setup& owned = *setup.value();
  context.append_metrics = [&owned, &vector_text_memo, &shared_limiter](std::string& text) {
    // Statistics the provider and the cache keep themselves, read at scrape time.
    const auto family = [&text](std::string_view name, std::string_view type, std::string_view help) {
      text += "# HELP " + std::string(name) + " " + std::string(help) + "\n# TYPE " + std::string(name) + " " +
              std::string(type) + "\n";
    };
    const auto sample = [&text](std::string_view name, std::uint64_t value, std::string_view labels = {}) {
      text += std::string(name) + std::string(labels) + " " + std::to_string(value) + "\n";
    };
    if (owned.gemini) {
      const gemini_call_statistics calls = owned.gemini->statistics();
      family("mosaic_upstream_calls_total", "counter", "HTTP calls made to the Gemini API (each attempt counts)");
      sample("mosaic_upstream_calls_total", calls.calls);
      family("mosaic_upstream_retries_total", "counter", "Gemini calls that were retries");
      sample("mosaic_upstream_retries_total", calls.retries);
      family("mosaic_upstream_inputs_total", "counter", "Inputs sent to the Gemini API");
      sample("mosaic_upstream_inputs_total", calls.inputs);
      family("mosaic_upstream_failures_total", "counter", "Gemini batches that ended in an error");
      sample("mosaic_upstream_failures_total", calls.failures);
      family("mosaic_upstream_queued_inputs", "gauge", "Inputs waiting in the coalescer for a Gemini call");
      sample("mosaic_upstream_queued_inputs", calls.queued_inputs);
    }
    if (owned.redis) {
      const redis_client_statistics redis = owned.redis->statistics();
      family("mosaic_redis_available", "gauge", "1 while Redis answers; 0: the proxy runs on its local cache and quota");
      sample("mosaic_redis_available", redis.available ? 1 : 0);
      family("mosaic_redis_commands_total", "counter", "Commands Redis answered");
      sample("mosaic_redis_commands_total", redis.commands);
      family("mosaic_redis_failures_total", "counter", "Redis commands or connections that failed or timed out");
      sample("mosaic_redis_failures_total", redis.failures);
      family("mosaic_redis_connections_total", "counter", "Connections made to Redis (reconnections included)");
      sample("mosaic_redis_connections_total", redis.connections);
      const shared_embedding_statistics shared = owned.shared->statistics();
      family("mosaic_shared_cache_inputs_total", "counter",
             "Inputs past the local cache, by outcome: hit (Redis had it), fetched (this proxy called Gemini holding the "
             "shared lock), waited (another proxy was fetching it), peer (answered by that proxy), fallback (embedded "
             "without Redis), miss (Redis did not have it)");
      sample("mosaic_shared_cache_inputs_total", shared.hits, "{outcome=\"hit\"}");
      sample("mosaic_shared_cache_inputs_total", shared.misses, "{outcome=\"miss\"}");
      sample("mosaic_shared_cache_inputs_total", shared.fetched, "{outcome=\"fetched\"}");
      sample("mosaic_shared_cache_inputs_total", shared.waited, "{outcome=\"waited\"}");
      sample("mosaic_shared_cache_inputs_total", shared.answered_by_peer, "{outcome=\"peer\"}");
      sample("mosaic_shared_cache_inputs_total", shared.fallbacks, "{outcome=\"fallback\"}");
      family("mosaic_shared_cache_stores_total", "counter", "Vectors written to Redis, by result");
      sample("mosaic_shared_cache_stores_total", shared.stores, "{result=\"stored\"}");
      sample("mosaic_shared_cache_stores_total", shared.store_failures, "{result=\"failed\"}");
      family("mosaic_shared_cache_invalid_values_total", "counter", "Values in Redis that were not a vector of the asked size");
      sample("mosaic_shared_cache_invalid_values_total", shared.invalid_values);
      family("mosaic_upstream_slots_total", "counter", "Gemini call slots taken, by quota: shared (Redis) or local (Redis down)");
      sample("mosaic_upstream_slots_total", owned.shared_pacer->shared_slots(), "{quota=\"shared\"}");
      sample("mosaic_upstream_slots_total", owned.shared_pacer->local_slots(), "{quota=\"local\"}");
      if (shared_limiter) {
        family("mosaic_client_rate_decisions_total", "counter",
               "Per-client rate limit decisions, by bucket: shared (Redis) or local (Redis down)");
        sample("mosaic_client_rate_decisions_total", shared_limiter->shared_decisions(), "{bucket=\"shared\"}");
        sample("mosaic_client_rate_decisions_total", shared_limiter->local_decisions(), "{bucket=\"local\"}");
      }
    }
    if (owned.cache) {
      const embedding_cache_statistics cache = owned.cache->statistics();
      family("mosaic_cache_hits_total", "counter", "Embeddings answered from the cache");
      sample("mosaic_cache_hits_total", cache.hits);
      family("mosaic_cache_misses_total", "counter", "Embeddings the cache did not have");
      sample("mosaic_cache_misses_total", cache.misses);
      family("mosaic_cache_entries", "gauge", "Embeddings held, by level");
      sample("mosaic_cache_entries", cache.memory_entries, "{level=\"memory\"}");
      sample("mosaic_cache_entries", cache.file_entries, "{level=\"file\"}");
      family("mosaic_cache_bytes", "gauge", "Bytes held, by level");
      sample("mosaic_cache_bytes", cache.memory_bytes, "{level=\"memory\"}");
      sample("mosaic_cache_bytes", cache.file_bytes, "{level=\"file\"}");
    }
    const float_array_text_memo_statistics memo = vector_text_memo.statistics();
    family("mosaic_vector_text_memo_hits_total", "counter", "Answer vectors whose JSON text was remembered, not rewritten");
    sample("mosaic_vector_text_memo_hits_total", memo.hits);
    family("mosaic_vector_text_memo_misses_total", "counter", "Answer vectors written as JSON text afresh");
    sample("mosaic_vector_text_memo_misses_total", memo.misses);
  };
  if (owned.redis) {
    context.append_health = [&owned](nlohmann::json& health) {
      const redis_client_statistics redis = owned.redis->statistics();
      health["redis"] = {{"address", owned.redis->address().description()}, {"available", redis.available}};
      if (!redis.available) {
        health["status"] = "degraded";
        health["redis"]["error"] = redis.last_error;
        health["redis"]["note"] = "answering from the local cache, the local quota and local rate limits until Redis answers again";
      }
    };
  }
  server_options server;
  server.address = options.value("--address").value_or("127.0.0.1");
  server.port = static_cast<std::uint16_t>(*port);
  server.threads = static_cast<unsigned>(*threads);
  server.read_timeout_seconds = static_cast<unsigned>(*read_timeout);
  server.minimum_transfer_rate = static_cast<std::uint64_t>(*minimum_transfer_rate);
  server.events.max_streams = static_cast<std::size_t>(*max_event_streams);
  server.events.heartbeat = std::chrono::seconds(*heartbeat);
  server.events.write_timeout = std::chrono::seconds(*read_timeout);
  server.max_connections = static_cast<std::size_t>(*max_connections);
  fit_connections_to_descriptor_limit(server, information);
  std::fflush(stdout);
  return run_http_server(context, server, [&](std::uint16_t bound) {
    const std::string url = "http://" + server.address + ":" + std::to_string(bound) + "/";
    if (json) {
      nlohmann::json started{{"listening", url}, {"address", server.address}, {"port", bound},
                             {"provider", setup.value()->name}, {"model", provider.model_id()},
                             {"site", context.site ? nlohmann::json(context.site_directory.string()) : nlohmann::json()},
                             {"generation", context.site ? nlohmann::json(context.site->current()->manifest().generation) : nlohmann::json()}};
      std::printf("%s\n", started.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
      std::printf("listening on %s\n", url.c_str());
    }
    std::fflush(stdout);
  });
}

}  // namespace mosaic::server
