#include "sync/served_site.hpp"

namespace mosaic::server {

served_site::subscription& served_site::subscription::operator=(subscription&& other) noexcept {
  if (this != &other) {
    reset();
    owner_ = other.owner_;
    id_ = other.id_;
    other.owner_ = nullptr;
  }
  return *this;
}

void served_site::subscription::reset() {
  if (owner_ != nullptr) owner_->unsubscribe(id_);
  owner_ = nullptr;
}

std::shared_ptr<const loaded_site> served_site::current() const {
  std::lock_guard lock(site_mutex_);
  return site_;
}

void served_site::replace(std::shared_ptr<const loaded_site> next) {
  {
    std::lock_guard lock(site_mutex_);
    site_ = next;
  }
  std::lock_guard lock(listeners_mutex_);
  for (const auto& [id, on_replace] : listeners_) on_replace(next);
}

served_site::subscription served_site::listen(listener on_replace) {
  std::lock_guard lock(listeners_mutex_);
  const std::uint64_t id = next_id_++;
  listeners_.emplace(id, std::move(on_replace));
  return subscription(this, id);
}

void served_site::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(listeners_mutex_);
  listeners_.erase(id);
}

}  // namespace mosaic::server
