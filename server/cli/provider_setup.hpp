#pragma once
// Choosing and building the embedding provider from command-line options, shared by `mosaic serve`
// and `mosaic index` so both read the same flags the same way:
//   --provider gemini|local   default: gemini when GEMINI_API_KEY (or --api-key-file) gives a key,
//                             otherwise local
//   --api-key-file FILE       the Gemini API key (first line); GEMINI_API_KEY is read otherwise
//   --gemini-base-url URL     default https://generativelanguage.googleapis.com/v1beta (tests: the double)
//   --gemini-model NAME       default gemini-embedding-2
//   --gemini-dimensions N     the model's full output size, default 3072
//   --task-prefix TASK=TEXT   gemini-embedding-2's instruction text for a task (repeatable; TEXT may be empty)
//   --max-upstream-calls N    Gemini calls in flight at once, default 4
//   --rpm N                   at most N Gemini requests per minute, client-side (0: no limit)
//   --upstream-attempts N, --upstream-initial-delay-ms MS, --upstream-timeout-ms MS   the retry policy
//   --batch-idle-ms MS, --batch-max-wait-ms MS   the coalescing window
//   --ca-file FILE            trust these certificates instead of the system's (a TLS-intercepting proxy)
//   --model-dir DIR           the local model's files
//   --cache-dir DIR           the embedding cache's folder (default ~/.cache/mosaic/embeddings); --no-cache
//   --cache-memory-mb N       the in-memory level's bound, default 256
//   --cache-file-mb N         the cache file's bound, default 2048 (its index in memory grows with it)
//   --redis URL               share the embedding cache, in-flight fetches and the --rpm quota with
//                             every proxy on this Redis (gemini provider); --redis-ttl-days N (30),
//                             --redis-timeout-ms MS (250), --redis-fallback-rpm N (default --rpm),
//                             --redis-lock-ms MS (30000)
// The key is read once and kept only in the gemini provider's options: it is never printed.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "cli/options.hpp"
#include "core/result.hpp"
#include "embed/caching_provider.hpp"
#include "embed/embedding_cache.hpp"
#include "embed/embedding_provider.hpp"
#include "embed/gemini_provider.hpp"
#include "embed/local_provider.hpp"
#include "model/use_lite_model.hpp"
#include "shared_state/redis_client.hpp"
#include "shared_state/shared_embedding_provider.hpp"
#include "shared_state/shared_upstream_pacer.hpp"

namespace mosaic::server {

// The options above, for a command's parsed_options lists.
std::set<std::string_view> provider_valued_options();
std::set<std::string_view> provider_flag_options();
inline constexpr const char* provider_options_help = R"(provider options:
  --provider gemini|local   gemini when GEMINI_API_KEY or --api-key-file gives a key, else local
  --api-key-file FILE       read the Gemini API key from FILE (else from $GEMINI_API_KEY)
  --gemini-base-url URL     default https://generativelanguage.googleapis.com/v1beta
  --gemini-model NAME       default gemini-embedding-2
  --gemini-dimensions N     the model's full output size, default 3072
  --task-prefix TASK=TEXT   instruction text gemini-embedding-2 gets for a task (query, document,
                            RETRIEVAL_QUERY, ...); repeatable; an empty TEXT sends none
  --max-upstream-calls N    Gemini calls in flight at once, default 4
  --rpm N                   at most N Gemini requests per minute (evenly spaced, retries
                            included); default 0, no limit
  --upstream-attempts N     tries per Gemini call (429/500/503/504 and network errors), default 5
  --upstream-initial-delay-ms MS   first wait before a retry (doubling, with jitter), default 1000
  --upstream-timeout-ms MS  a whole Gemini call, connecting included, default 120000
  --upstream-retry-budget-ms MS   how long a call may keep retrying; a Retry-After beyond it is
                            answered at once (serve: 503 with that Retry-After); serve 20000,
                            index 600000
  --batch-idle-ms MS        coalescing: with no call out, a partial batch leaves after MS ms without
                            a new input (default 10; 0 sends at once, for lowest latency)
  --batch-max-wait-ms MS    coalescing: the longest an input waits for its batch to fill (default 200)
  --ca-file FILE            trust these CA certificates instead of the system's
  --model-dir DIR           the local model's files (default: the install-model.sh cache)
  --cache-dir DIR           embedding cache folder, default ~/.cache/mosaic/embeddings
  --no-cache                do not cache embeddings
  --cache-memory-mb N       in-memory cache bound, default 256
  --cache-file-mb N         cache file bound, default 2048; past it the file is compacted to its most
                            recently used half. Each record on file also costs about 200 bytes of
                            memory (its index), which --cache-memory-mb does not count
  --redis URL               redis://[[user]:password@]host[:port][/db]: share the embedding cache,
                            fetches in flight and the --rpm quota with every proxy on this Redis
                            (gemini provider). Without it nothing is shared
  --redis-ttl-days N        how long a vector stays in Redis, default 30
  --redis-timeout-ms MS     a Redis connection or command taking longer counts as Redis down: the
                            proxy answers from its local cache and quota meanwhile; default 250
  --redis-fallback-rpm N    the --rpm this proxy keeps alone while Redis is down; default --rpm
                            (set it to --rpm divided by the number of proxies to keep their sum)
  --redis-lock-ms MS        how long a proxy fetching an input holds its lock, and how long the
                            others wait for it before fetching it themselves (a proxy killed
                            mid-fetch costs them this much); default 30000
)";

// Everything a command needs to embed: the provider it should call (the cache in front of the real
// one), and what owns it.
struct provider_setup {
  std::string name;  // "gemini" or "local"
  std::optional<model::use_lite_model> local_model;
  std::unique_ptr<local_provider> local;
  // Declared before the gemini provider, which asks the shared pacer for its call slots: they outlive it.
  std::unique_ptr<redis_client> redis;
  std::unique_ptr<shared_upstream_pacer> shared_pacer;
  std::unique_ptr<gemini_provider> gemini;
  std::unique_ptr<shared_embedding_provider> shared;  // --redis: between the local cache and gemini
  std::unique_ptr<embedding_cache> cache;
  std::unique_ptr<caching_provider> cached;
  std::string cache_note;  // one line for the log: where the cache is, or why it is memory-only
  std::filesystem::path cache_file;  // the cache's file; empty when it is memory-only or off
  // What makes the cache keys (embedding_key_model(model id, salt)) and, for gemini, the provider's
  // settings as given (key included): mosaic index --batch-jobs asks Gemini the same questions
  // through its batch endpoints and files the answers under the same keys.
  std::string key_salt;
  std::optional<gemini_provider_options> gemini_options;

  [[nodiscard]] embedding_provider& provider() const;   // the cache when there is one, else the provider
  [[nodiscard]] embedding_provider& uncached() const;   // the provider itself
  [[nodiscard]] embedding_provider& behind_local_cache() const;  // the shared level when there is one, else uncached()
};

// The embedding cache's folder when --cache-dir does not name one: $MOSAIC_CACHE_DIR/embeddings, else
// $XDG_CACHE_HOME/mosaic/embeddings, else ~/.cache/mosaic/embeddings.
std::filesystem::path default_cache_folder();

// Builds the provider the options ask for. Errors name the option or file at fault (never the key).
// `retry_budget_default`: how long one Gemini call may spend retrying unless --upstream-retry-budget-ms
// says otherwise; short for the server (a person waits), long for the indexer (a batch job).
result<std::unique_ptr<provider_setup>> set_up_provider(parsed_options& options, unsigned local_threads,
                                                        std::chrono::milliseconds retry_budget_default);

}  // namespace mosaic::server
