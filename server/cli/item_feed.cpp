#include "cli/item_feed.hpp"

#include <iterator>

namespace mosaic::server {

void item_feed::add(std::vector<pending_item> items) {
  {
    const std::lock_guard lock(mutex_);
    items_.insert(items_.end(), std::make_move_iterator(items.begin()), std::make_move_iterator(items.end()));
  }
  notify();
}

void item_feed::close() {
  {
    const std::lock_guard lock(mutex_);
    closed_ = true;
  }
  notify();
}

void item_feed::cancel() {
  const std::lock_guard lock(mutex_);
  cancelled_ = true;
}

bool item_feed::cancelled() const {
  const std::lock_guard lock(mutex_);
  return cancelled_;
}

item_feed::state item_feed::current() const {
  const std::lock_guard lock(mutex_);
  return {items_.size(), closed_};
}

std::vector<embedding_input> item_feed::inputs(std::size_t first, std::size_t count) const {
  const std::lock_guard lock(mutex_);
  std::vector<embedding_input> copies;
  copies.reserve(count);
  for (std::size_t position = first; position < first + count && position < items_.size(); ++position) {
    copies.push_back(items_[position].input);
  }
  return copies;
}

void item_feed::set_listener(std::function<void()> listener) {
  // Under listener_mutex_: once this returns, no call of the previous listener is still running.
  const std::lock_guard lock(listener_mutex_);
  listener_ = std::move(listener);
}

std::vector<pending_item> item_feed::take_all() {
  const std::lock_guard lock(mutex_);
  std::vector<pending_item> all(std::make_move_iterator(items_.begin()), std::make_move_iterator(items_.end()));
  items_.clear();
  return all;
}

void item_feed::notify() {
  const std::lock_guard lock(listener_mutex_);
  if (listener_) listener_();
}

}  // namespace mosaic::server
