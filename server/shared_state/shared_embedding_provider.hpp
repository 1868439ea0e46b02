#pragma once
// The embedding cache and in-flight de-duplication shared by every proxy on one Redis (mosaic serve
// --redis). A provider decorator placed between the in-process cache (caching_provider, which answers
// hits from memory and joins identical inputs of this process) and the gemini provider:
//
//   1. the misses of this process are looked up in Redis under the same key the local cache uses
//      (model, dimensions, task, content hash); a hit is answered from Redis;
//   2. for each remaining input the proxy tries to become its fetcher (SET lock NX PX, in the same Lua
//      script as the look-up, so no vector can land between the two). The fetcher
//      calls Gemini and then, in one Lua script, stores the vector (with the TTL) and deletes its lock;
//   3. a proxy that finds the lock taken waits for the fetcher's answer: it polls the value every
//      `poll_interval` and takes the lock itself when it disappears without a value (the fetcher
//      failed; errors are not shared) or after `wait_limit` (a fetcher stuck or killed: its lock also
//      expires after `lock_time_to_live`).
//
// Values are compact binary: "MEV1", u32 dimensions, then the floats, little-endian (4 bytes a
// dimension: 3 KB for 768). Every key carries the TTL; nothing here needs Redis to keep a key, so
// Redis may evict any of them (maxmemory-policy volatile-lru or allkeys-lru) and the cost is a miss.
//
// Redis down or slow (a command timing out): every input that cannot go through Redis is embedded
// directly by the inner provider (counted as a fallback), so answers continue from the local cache and
// Gemini; the shared path resumes as soon as Redis answers again (redis_client reconnects).
// Redis work runs on the redis_client's thread, never on the caller's. The destructor waits until every
// job and inner call it started has ended, so the inner provider and the Redis client must outlive it.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "embed/embedding_provider.hpp"
#include "shared_state/redis_client.hpp"

namespace mosaic::server {

struct shared_embedding_options {
  std::chrono::seconds time_to_live{std::chrono::hours(24 * 30)};
  std::chrono::milliseconds lock_time_to_live{30'000};
  std::chrono::milliseconds poll_interval{10};
  std::chrono::milliseconds wait_limit{25'000};
  std::string key_prefix = "mosaic:v1:";
  std::string owner;  // this proxy's name in the locks it takes (unique per process)
};

struct shared_embedding_statistics {
  std::uint64_t hits = 0;             // inputs answered from Redis' cache
  std::uint64_t misses = 0;           // inputs Redis did not have when first asked
  std::uint64_t fetched = 0;          // inputs this proxy embedded holding the shared lock
  std::uint64_t waited = 0;           // inputs that waited for another proxy's fetch
  std::uint64_t answered_by_peer = 0; // of those, answered by the other proxy's stored vector
  std::uint64_t fallbacks = 0;        // inputs embedded without Redis (down, slow or an error reply)
  std::uint64_t stores = 0;           // vectors written to Redis
  std::uint64_t store_failures = 0;
  std::uint64_t invalid_values = 0;   // values in Redis that were not a vector of the asked size
};

class shared_embedding_provider final : public embedding_provider {
 public:
  // `key_model` is what caching_provider mixes into its keys (the model id's length and id, then the
  // salt), so both levels name an input the same way.
  shared_embedding_provider(embedding_provider& inner, redis_client& redis, std::string key_model,
                            shared_embedding_options options);
  ~shared_embedding_provider() override;

  [[nodiscard]] const std::string& model_id() const noexcept override;
  [[nodiscard]] std::size_t dimensions() const noexcept override;
  [[nodiscard]] bool accepts_mime_type(std::string_view mime_type) const noexcept override;
  void embed(embedding_batch batch, embedding_callback done) override;

  [[nodiscard]] shared_embedding_statistics statistics() const;

 private:
  class implementation;
  std::unique_ptr<implementation> implementation_;
};

// caching_provider's key model text for a provider and salt, for both levels to share.
std::string embedding_key_model(std::string_view model_id, std::string_view salt);

}  // namespace mosaic::server
