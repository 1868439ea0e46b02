#include "cli/provider_setup.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>

#include <unistd.h>

#include "embed/local_model_loader.hpp"

namespace mosaic::server {
namespace {

std::string trim(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

result<std::string> read_api_key(const parsed_options& options) {
  if (auto file = options.value("--api-key-file")) {
    std::ifstream stream(*file);
    if (!stream) return make_error(error_code::io_error, "cannot read the API key file " + *file);
    std::string line;
    std::getline(stream, line);
    std::string key = trim(line);
    if (key.empty()) return make_error(error_code::invalid_argument, "the API key file " + *file + " is empty");
    return key;
  }
  const char* environment = std::getenv("GEMINI_API_KEY");
  return environment == nullptr ? std::string() : trim(environment);
}

std::filesystem::path default_cache_directory() {
  if (const char* mosaic_cache = std::getenv("MOSAIC_CACHE_DIR"); mosaic_cache != nullptr && *mosaic_cache != '\0') {
    return std::filesystem::path(mosaic_cache) / "embeddings";
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::filesystem::path(xdg) / "mosaic" / "embeddings";
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr ? home : ".") / ".cache" / "mosaic" / "embeddings";
}

// The cache file name carries the model, so a folder can hold several models' caches side by side.
std::string cache_file_name(std::string_view model) {
  std::string name = "embeddings-";
  for (char character : model) {
    const bool plain = (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
                       (character >= '0' && character <= '9') || character == '-' || character == '.';
    name += plain ? character : '_';
  }
  return name + ".log";
}

}  // namespace

std::set<std::string_view> provider_valued_options() {
  return {"--provider", "--api-key-file", "--gemini-base-url", "--gemini-model", "--gemini-dimensions", "--task-prefix",
          "--max-upstream-calls", "--upstream-attempts", "--upstream-initial-delay-ms", "--upstream-timeout-ms",
          "--upstream-retry-budget-ms", "--batch-idle-ms", "--batch-max-wait-ms",
          "--rpm", "--ca-file", "--model-dir", "--cache-dir", "--cache-memory-mb",
          "--cache-file-mb", "--redis", "--redis-ttl-days", "--redis-timeout-ms", "--redis-fallback-rpm", "--redis-lock-ms"};
}

std::set<std::string_view> provider_flag_options() { return {"--no-cache"}; }

embedding_provider& provider_setup::uncached() const {
  if (gemini) return *gemini;
  return *local;
}

embedding_provider& provider_setup::behind_local_cache() const {
  if (shared) return *shared;
  return uncached();
}

embedding_provider& provider_setup::provider() const {
  if (cached) return *cached;
  return behind_local_cache();
}

result<std::unique_ptr<provider_setup>> set_up_provider(parsed_options& options, unsigned local_threads,
                                                        std::chrono::milliseconds retry_budget_default) {
  auto key = read_api_key(options);
  if (!key) return std::move(key).failure();
  std::string name = options.value("--provider").value_or(key->empty() ? "local" : "gemini");
  if (name != "gemini" && name != "local") {
    return make_error(error_code::invalid_argument, "--provider must be gemini or local, not '" + name + "'");
  }
  auto setup = std::make_unique<provider_setup>();
  setup->name = name;
  std::string salt;
  if (name == "gemini") {
    if (key->empty()) {
      return make_error(error_code::invalid_argument,
                        "--provider gemini needs an API key: set GEMINI_API_KEY or pass --api-key-file FILE");
    }
    gemini_provider_options gemini;
    gemini.api_key = std::move(key).value();
    if (auto url = options.value("--gemini-base-url")) gemini.base_url = *url;
    if (auto model = options.value("--gemini-model")) gemini.model = *model;
    const auto dimensions = options.number("--gemini-dimensions", 3072, 1, 65536);
    const auto calls = options.number("--max-upstream-calls", 4, 1, 256);
    const auto requests_per_minute = options.number("--rpm", 0, 0, 1'000'000);
    const auto attempts = options.number("--upstream-attempts", gemini.retries.max_attempts, 1, 20);
    const auto initial_delay = options.number("--upstream-initial-delay-ms",
                                              static_cast<std::size_t>(gemini.retries.initial_delay.count()), 1, 600'000);
    const auto call_timeout = options.number("--upstream-timeout-ms",
                                             static_cast<std::size_t>(gemini.http.call_timeout.count()), 100, 3'600'000);
    const auto retry_budget = options.number("--upstream-retry-budget-ms",
                                             static_cast<std::size_t>(retry_budget_default.count()), 0, 86'400'000);
    const auto batch_idle = options.number("--batch-idle-ms", static_cast<std::size_t>(gemini.batch_idle.count()), 0, 10'000);
    const auto batch_max_wait =
        options.number("--batch-max-wait-ms", static_cast<std::size_t>(gemini.batch_max_wait.count()), 0, 60'000);
    if (!dimensions || !calls || !requests_per_minute || !attempts || !initial_delay || !call_timeout || !retry_budget || !batch_idle || !batch_max_wait) {
      return make_error(error_code::invalid_argument, *options.error());
    }
    gemini.full_dimensions = *dimensions;
    gemini.max_calls_in_flight = *calls;
    gemini.requests_per_minute = *requests_per_minute;
    gemini.retries.max_attempts = static_cast<unsigned>(*attempts);
    gemini.retries.initial_delay = std::chrono::milliseconds(*initial_delay);
    gemini.http.call_timeout = std::chrono::milliseconds(*call_timeout);
    gemini.retries.total_budget = std::chrono::milliseconds(*retry_budget);
    gemini.batch_idle = std::chrono::milliseconds(*batch_idle);
    gemini.batch_max_wait = std::chrono::milliseconds(*batch_max_wait);
    // A read never outlasts the call it belongs to.
    gemini.http.read_timeout = std::min(gemini.http.read_timeout, gemini.http.call_timeout);
    if (auto ca_file = options.value("--ca-file")) gemini.http.ca_file = *ca_file;
    gemini.task_prefixes = default_gemini_task_prefixes();
    for (const std::string& assignment : options.values("--task-prefix")) {
      const auto equals = assignment.find('=');
      auto task = parse_embedding_task(assignment.substr(0, equals));
      if (equals == std::string::npos || !task) {
        return make_error(error_code::invalid_argument,
                          "--task-prefix takes TASK=TEXT with TASK query, document or a Gemini task type, not '" +
                              assignment.substr(0, equals) + "'");
      }
      gemini.task_prefixes[task.value()] = assignment.substr(equals + 1);
    }
    // The prefixes change the vectors, so they are part of every cache key.
    for (const auto& [task, prefix] : gemini.task_prefixes) {
      salt += std::string(embedding_task_api_name(task)) + "=" + prefix + "\n";
    }
    shared_embedding_options shared;
    if (auto url = options.value("--redis")) {
      auto address = parse_redis_url(*url);
      if (!address) return std::move(address).failure();
      const auto days = options.number("--redis-ttl-days", 30, 1, 3650);
      const auto timeout = options.number("--redis-timeout-ms", 250, 1, 60'000);
      const auto fallback_rpm = options.number("--redis-fallback-rpm", *requests_per_minute, 0, 1'000'000);
      const auto lock = options.number("--redis-lock-ms", 30'000, 100, 3'600'000);
      if (!days || !timeout || !fallback_rpm || !lock) return make_error(error_code::invalid_argument, *options.error());
      redis_client_options redis;
      redis.address = std::move(address).value();
      redis.connect_timeout = std::chrono::milliseconds(*timeout);
      redis.command_timeout = std::chrono::milliseconds(*timeout);
      setup->redis = std::make_unique<redis_client>(std::move(redis));
      // One quota per model: the proxies of one Gemini project share its per-model limit.
      setup->shared_pacer = std::make_unique<shared_upstream_pacer>(*setup->redis, gemini.requests_per_minute, *fallback_rpm,
                                                                    "mosaic:v1:upstream-slot:" + gemini.model);
      gemini.call_slots = [pacer = setup->shared_pacer.get()](std::function<void(std::chrono::milliseconds)> ready) {
        pacer->reserve(std::move(ready));
      };
      shared.time_to_live = std::chrono::hours(24 * *days);
      // A fetch's lock, and how long others wait on it: a proxy killed mid-fetch costs them this much.
      shared.lock_time_to_live = std::chrono::milliseconds(*lock);
      shared.wait_limit = std::chrono::milliseconds(*lock);
      // A proxy's name in the locks it takes: unique per process, and no secret.
      shared.owner = std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
    }
    setup->gemini_options = gemini;
    auto created = gemini_provider::create(std::move(gemini));
    if (!created) return std::move(created).failure();
    setup->gemini = std::move(created).value();
    if (setup->redis) {
      setup->shared = std::make_unique<shared_embedding_provider>(*setup->gemini, *setup->redis,
                                                                  embedding_key_model(setup->gemini->model_id(), salt), shared);
    }
  } else {
    if (options.value("--redis")) {
      return make_error(error_code::invalid_argument, "--redis shares Gemini's cache and quota: it needs --provider gemini");
    }
    auto model = load_local_model(options.value("--model-dir").value_or(default_model_directory().string()));
    if (!model) return std::move(model).failure();
    setup->local_model.emplace(std::move(model).value());
    local_provider_options local;
    local.threads = local_threads;
    setup->local = std::make_unique<local_provider>(*setup->local_model, local);
  }
  setup->key_salt = salt;
  if (options.has("--no-cache")) {
    setup->cache_note = "embedding cache off (--no-cache)";
    return setup;
  }
  const auto memory_megabytes = options.number("--cache-memory-mb", 256, 1, 1024 * 1024);
  if (!memory_megabytes) return make_error(error_code::invalid_argument, *options.error());
  const auto file_megabytes = options.number("--cache-file-mb", 2048, 1, 1024 * 1024);
  if (!file_megabytes) return make_error(error_code::invalid_argument, *options.error());
  embedding_cache_options cache;
  cache.memory_bytes = *memory_megabytes * 1024 * 1024;
  cache.file_max_bytes = static_cast<std::uint64_t>(*file_megabytes) * 1024 * 1024;
  const std::filesystem::path folder = options.value("--cache-dir").value_or(default_cache_directory().string());
  std::error_code ignored;
  std::filesystem::create_directories(folder, ignored);
  cache.file = folder / cache_file_name(setup->uncached().model_id());
  auto opened = embedding_cache::open(cache);
  if (!opened) {
    // A cache is an optimisation: when its file cannot be used (another process holds it, a
    // read-only disk), the server still runs, with the memory level only, and says so.
    setup->cache_note = "embedding cache in memory only: " + opened.failure().message;
    cache.file.clear();
    opened = embedding_cache::open(cache);
    if (!opened) return std::move(opened).failure();
  } else {
    setup->cache_file = cache.file;
    const auto statistics = opened.value()->statistics();
    setup->cache_note = "embedding cache " + cache.file.string() + " (" + std::to_string(statistics.file_entries) + " entries";
    if (statistics.dropped_records > 0) {
      setup->cache_note += ", " + std::to_string(statistics.dropped_records) + " damaged records dropped";
    }
    setup->cache_note += ")";
  }
  setup->cache = std::move(opened).value();
  setup->cached = std::make_unique<caching_provider>(setup->behind_local_cache(), *setup->cache, salt);
  return setup;
}

std::filesystem::path default_cache_folder() { return default_cache_directory(); }

}  // namespace mosaic::server
