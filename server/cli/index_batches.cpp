#include "cli/index_batches.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "cli/item_feed.hpp"

namespace mosaic::server {
namespace {

struct finished_batch {
  std::size_t first = 0;
  std::size_t count = 0;
  result<embedding_vectors> outcome;
};

// Errors that the next call would meet too: there is no point asking input by input.
bool stops_the_run(const error& failure) {
  return failure.code == error_code::upstream_unavailable || failure.code == error_code::io_error;
}

embedding_batch batch_of(const item_feed& items, std::size_t first, std::size_t count, std::size_t dimensions) {
  embedding_batch batch;
  batch.task = embedding_task::retrieval_document;
  batch.dimensions = dimensions;
  batch.inputs = items.inputs(first, count);
  return batch;
}

}  // namespace

result<embedded_items> embed_in_batches(embedding_provider& provider, embedding_cache* cache, item_feed& items,
                                        const batch_run_settings& settings, const batch_progress& progress) {
  embedded_items embedded;
  std::mutex mutex;
  std::condition_variable answered;  // a batch came back, or the feed grew or closed
  std::deque<finished_batch> finished;
  std::size_t next = 0, in_flight = 0, done = 0;
  std::optional<error> stopped;
  const std::size_t per_batch = std::clamp<std::size_t>(settings.batch_inputs, 1, index_batch_inputs);
  const std::size_t most_in_flight = std::max<std::size_t>(1, settings.batches_in_flight);
  items.set_listener([&mutex, &answered] {
    const std::lock_guard guard(mutex);
    answered.notify_one();
  });

  std::unique_lock lock(mutex);
  // Keeps most_in_flight batches out, each full (100) unless the feed is closed and this is the rest.
  // Called again as soon as a batch comes back, before its vectors are filed and the cache synced, so
  // the upstream never waits on this thread's bookkeeping.
  item_feed::state feed = items.current();
  const auto top_up = [&] {
    feed = items.current();
    while (in_flight < most_in_flight && !stopped && next < feed.available &&
           (feed.available - next >= per_batch || feed.closed)) {
      const std::size_t first = next;
      const std::size_t count = std::min(per_batch, feed.available - first);
      next += count;
      ++in_flight;
      lock.unlock();  // the provider may answer at once, on this thread
      provider.embed(batch_of(items, first, count, settings.dimensions),
                     [&mutex, &answered, &finished, first, count](result<embedding_vectors> outcome) {
                       const std::lock_guard guard(mutex);
                       finished.push_back({first, count, std::move(outcome)});
                       answered.notify_one();
                     });
      lock.lock();
    }
  };
  const auto more_to_send = [&] { return !stopped && (!feed.closed || next < feed.available); };
  while (more_to_send() || in_flight > 0) {
    top_up();
    // top_up read the feed again: it may have closed since the loop's test (the producer runs on its
    // own thread) with every item sent and nothing out. Waiting then would wait for ever: nothing is
    // left to answer or to arrive.
    if (finished.empty() && in_flight == 0 && !more_to_send()) break;
    if (finished.empty()) {
      // Nothing came back yet: wait for a batch, or for the feed to grow or close.
      const item_feed::state before = feed;
      answered.wait(lock, [&] {
        const item_feed::state now = items.current();
        return !finished.empty() || now.available != before.available || now.closed != before.closed;
      });
      if (finished.empty()) continue;
    }
    finished_batch batch = std::move(finished.front());
    finished.pop_front();
    --in_flight;
    // A batch that failed may stop the run: only a good one lets the next go out before it is read.
    if (batch.outcome.ok()) top_up();
    lock.unlock();
    if (embedded.vectors.size() < batch.first + batch.count) embedded.vectors.resize(batch.first + batch.count);
    if (batch.outcome.ok() && batch.outcome->size() == batch.count) {
      for (std::size_t offset = 0; offset < batch.count; ++offset) {
        embedded.vectors[batch.first + offset] = std::move((*batch.outcome)[offset]);
      }
    } else if (batch.outcome.ok()) {
      stopped = make_error(error_code::upstream_rejected, "the provider answered a batch with the wrong number of vectors");
    } else if (stops_the_run(batch.outcome.failure())) {
      stopped = batch.outcome.failure();
    } else {
      // One input spoiled the batch: find it (them) by asking one at a time.
      for (std::size_t position = batch.first; position < batch.first + batch.count && !stopped; ++position) {
        auto single = embed_and_wait(provider, batch_of(items, position, 1, settings.dimensions));
        if (single.ok() && single->size() == 1) {
          embedded.vectors[position] = std::move(single->front());
        } else if (!single.ok() && stops_the_run(single.failure())) {
          stopped = single.failure();
        } else {
          embedded.failures.emplace_back(position, single.ok() ? "no vector came back" : single.failure().message);
        }
      }
    }
    // What was stored is on the disk (fsync) before the batch after next goes out: a machine crash
    // loses at most what is in flight and this batch (a killed process loses only what is in flight:
    // the caching provider writes each record before it answers). A failed sync only weakens that
    // promise (the records are still written), so the run goes on.
    if (cache != nullptr) (void)cache->sync();
    done += batch.count;
    if (progress) progress(done);
    lock.lock();
  }
  lock.unlock();
  items.set_listener(nullptr);  // the listener refers to this frame (and takes `mutex`)
  if (stopped) {
    items.cancel();
    return std::move(*stopped);
  }
  embedded.vectors.resize(items.current().available);
  return embedded;
}

}  // namespace mosaic::server
