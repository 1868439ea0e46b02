#pragma once
// mosaic index prepares files on several threads (OCR, transcription, PDFs and videos take seconds a
// file) yet must hand their items on in walk order, so that a site is the same byte for byte whatever
// the number of threads. prepare_in_order runs `prepare(index, worker)` for every index in
// [0, count) on `workers` threads, each taking the next index not yet taken, and calls
// `deliver(index, result)` on the calling thread strictly in index order, as soon as the next index is
// prepared. A prepared result waits in a slot until its turn; a worker takes no index `window` or more
// past the one being delivered (or next to be), so at most `window` results are in memory at once,
// being prepared, waiting or being delivered (a prepared file may hold a whole image or recording),
// however slow one file is.
//
// `cancelled()` is asked before each index is taken and before each delivery: once it says yes, no new
// index is taken, nothing more is delivered, and prepare_in_order returns when the files being
// prepared are done (a step in progress cannot be interrupted). An exception thrown by `prepare` is
// thrown again from prepare_in_order when that index's turn comes, after the workers have stopped.
#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace mosaic::server {

struct ordered_preparation_shape {
  std::size_t workers = 1;  // threads preparing; at least 1, at most one per index
  std::size_t window = 0;   // indexes taken but not yet delivered, at most; 0: twice the workers
};

template <typename Result, typename Prepare, typename Deliver, typename Cancelled>
void prepare_in_order(std::size_t count, ordered_preparation_shape shape, Prepare&& prepare, Deliver&& deliver,
                      Cancelled&& cancelled) {
  if (count == 0) return;
  const std::size_t workers = std::clamp<std::size_t>(shape.workers, 1, count);
  const std::size_t window = std::max(shape.window == 0 ? 2 * workers : shape.window, workers);

  struct slot {
    std::optional<Result> result;
    std::exception_ptr failure;
    bool ready = false;
    bool abandoned = false;  // taken after the run was cancelled: never prepared
  };
  std::vector<slot> slots(window);  // index i waits in slots[i % window]
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t next_to_take = 0, next_to_deliver = 0;
  bool stopping = false;  // cancelled (or an exception on its way out): no more indexes are taken

  const auto work = [&](std::size_t worker) {
    std::unique_lock lock(mutex);
    while (true) {
      changed.wait(lock, [&] { return stopping || next_to_take >= count || next_to_take < next_to_deliver + window; });
      if (stopping || next_to_take >= count) return;
      const std::size_t index = next_to_take++;
      lock.unlock();
      slot prepared;
      if (cancelled()) {
        lock.lock();
        slots[index % window].abandoned = slots[index % window].ready = true;
        stopping = true;
        changed.notify_all();
        return;
      }
      try {
        prepared.result.emplace(prepare(index, worker));
      } catch (...) {
        prepared.failure = std::current_exception();
      }
      lock.lock();
      slot& waiting = slots[index % window];
      waiting.result = std::move(prepared.result);
      waiting.failure = prepared.failure;
      waiting.ready = true;
      changed.notify_all();
    }
  };

  std::vector<std::thread> threads;
  threads.reserve(workers);
  const auto stop_and_join = [&] {
    {
      const std::lock_guard guard(mutex);
      stopping = true;
    }
    changed.notify_all();
    for (std::thread& thread : threads) {
      if (thread.joinable()) thread.join();
    }
  };
  try {
    for (std::size_t worker = 0; worker < workers; ++worker) threads.emplace_back(work, worker);
  } catch (...) {
    stop_and_join();
    throw;
  }

  std::exception_ptr failure;
  try {
    std::unique_lock lock(mutex);
    while (next_to_deliver < count) {
      // An index below next_to_take is being prepared or waits in its slot; at or past it, nobody will
      // take it once the workers are stopping.
      changed.wait(lock, [&] {
        return slots[next_to_deliver % window].ready || (stopping && next_to_deliver >= next_to_take);
      });
      slot& turn = slots[next_to_deliver % window];
      if (!turn.ready || turn.abandoned) break;
      std::optional<Result> result = std::move(turn.result);
      const std::exception_ptr thrown = turn.failure;
      turn = slot{};
      const std::size_t index = next_to_deliver;
      if (thrown) std::rethrow_exception(thrown);
      lock.unlock();
      if (cancelled()) {
        lock.lock();
        stopping = true;
        break;
      }
      deliver(index, std::move(*result));
      lock.lock();
      // Only now is the window moved on: the result just delivered counted in it until it was handed on.
      ++next_to_deliver;
      changed.notify_all();
    }
  } catch (...) {
    failure = std::current_exception();
  }
  stop_and_join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace mosaic::server
