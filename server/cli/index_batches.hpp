#pragma once
// mosaic index, step 3: embedding the prepared items in batches of at most 100 inputs (one Gemini
// batchEmbedContents call each), several batches in flight, through the caching provider. A returning
// batch is replaced by the next one at once; then its vectors are filed and the embedding cache is
// synced (fsync), so a `kill -9` loses at most the batches in flight (a machine crash at most those and
// the one being filed) and the next run finds everything else in the cache.
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cli/index_items.hpp"
#include "cli/item_feed.hpp"
#include "core/result.hpp"
#include "embed/embedding_cache.hpp"
#include "embed/embedding_provider.hpp"

namespace mosaic::server {

inline constexpr std::size_t index_batch_inputs = 100;

struct batch_run_settings {
  std::size_t batch_inputs = index_batch_inputs;
  std::size_t batches_in_flight = 4;
  std::size_t dimensions = 0;  // the stored size (the provider truncates and renormalizes)
};

struct embedded_items {
  std::vector<std::optional<std::vector<float>>> vectors;  // per item; nullopt: it failed
  std::vector<std::pair<std::size_t, std::string>> failures;  // item position, the provider's reason
};

// Called on the calling thread after each completed batch with the items finished so far.
using batch_progress = std::function<void(std::size_t items_done)>;

// Embeds every item's input. A batch refused as a whole (one bad input spoils a batch) is retried one
// input at a time, so only the bad inputs fail; when the provider is unavailable (retries exhausted)
// the run stops with that error after the batches in flight have answered. `cache` may be null.
// Items are taken from the feed as they arrive: a batch goes when 100 are there, or the rest once the
// feed is closed. When the run stops the feed is cancelled (its producer should stop); the returned
// vectors are indexed by feed position.
result<embedded_items> embed_in_batches(embedding_provider& provider, embedding_cache* cache, item_feed& items,
                                        const batch_run_settings& settings, const batch_progress& progress);

}  // namespace mosaic::server
