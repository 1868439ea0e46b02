#pragma once
// The index site mosaic serve answers from, replaced whole when the indexer writes a new generation
// (site_watcher.hpp). Every user takes the current site once per request and keeps it until that
// request is answered, so one answer never mixes two generations, and a swap never waits for
// requests in flight. Listeners (the event streams of /api/events) hear of every replacement.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "site/site_reader.hpp"

namespace mosaic::server {

class served_site {
 public:
  using listener = std::function<void(const std::shared_ptr<const loaded_site>&)>;

  // Unsubscribes when destroyed; after that the listener is never called again, nor still running.
  class subscription {
   public:
    subscription() = default;
    subscription(served_site* owner, std::uint64_t id) : owner_(owner), id_(id) {}
    subscription(subscription&& other) noexcept : owner_(other.owner_), id_(other.id_) { other.owner_ = nullptr; }
    subscription& operator=(subscription&& other) noexcept;
    subscription(const subscription&) = delete;
    subscription& operator=(const subscription&) = delete;
    ~subscription() { reset(); }
    void reset();

   private:
    served_site* owner_ = nullptr;
    std::uint64_t id_ = 0;
  };

  explicit served_site(std::shared_ptr<const loaded_site> initial) : site_(std::move(initial)) {}

  [[nodiscard]] std::shared_ptr<const loaded_site> current() const;

  // Makes `next` the current site, then calls every listener with it (on this thread, in order).
  void replace(std::shared_ptr<const loaded_site> next);

  // A listener must not subscribe or unsubscribe from inside its call (that would deadlock).
  [[nodiscard]] subscription listen(listener on_replace);

 private:
  void unsubscribe(std::uint64_t id);

  mutable std::mutex site_mutex_;
  std::shared_ptr<const loaded_site> site_;
  // Held while listeners run, so an unsubscribe waits for a call in progress to end.
  std::mutex listeners_mutex_;
  std::map<std::uint64_t, listener> listeners_;
  std::uint64_t next_id_ = 1;
};

}  // namespace mosaic::server
