#pragma once
// The items of an index run as they are prepared: one thread reads and prepares the collection's
// files and adds their items here, while the embedding loop already sends full batches of what has
// arrived. Reading 10,000 small files takes about as long as a fifth of their upstream calls, and
// need not wait for them, nor they for it.
//
// Positions are stable: item N is the Nth added, whatever thread reads it. Thread-safe.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "cli/index_items.hpp"

namespace mosaic::server {

class item_feed {
 public:
  // Appends items (in order) and tells the listener.
  void add(std::vector<pending_item> items);
  // No more items will come (also after cancel): the last partial batch may go.
  void close();
  // The consumer gave up (the run stopped): the producer should stop preparing.
  void cancel();

  [[nodiscard]] bool cancelled() const;
  // Items added so far, and whether that is all of them.
  struct state {
    std::size_t available = 0;
    bool closed = false;
  };
  [[nodiscard]] state current() const;

  // Copies of the inputs of items [first, first + count), all already added.
  [[nodiscard]] std::vector<embedding_input> inputs(std::size_t first, std::size_t count) const;

  // Called after every add() and on close(): the consumer's wake-up. It runs outside the items' lock
  // (it may read current()); set_listener returns only when no call of the old listener is running,
  // so the caller must not hold a lock the listener takes.
  void set_listener(std::function<void()> listener);

  // Every item, moved out; only once the producer is done (after close()).
  std::vector<pending_item> take_all();

 private:
  void notify();

  mutable std::mutex mutex_;
  std::deque<pending_item> items_;  // a deque: adding never moves the items being copied from
  bool closed_ = false;
  bool cancelled_ = false;
  std::mutex listener_mutex_;  // taken before anything the listener locks
  std::function<void()> listener_;
};

}  // namespace mosaic::server
