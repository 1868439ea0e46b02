#include "http/connection_slots.hpp"

#include <algorithm>

namespace mosaic::server {

connection_slots::connection_slots(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

connection_slots::admission connection_slots::admit(close_if_waiting close, clock::time_point now) {
  std::lock_guard lock(mutex_);
  admission result;
  if (members_.size() >= capacity_) {
    if (waiting_by_age_.empty()) return result;
    const auto oldest = waiting_by_age_.begin();
    const auto victim = members_.find(oldest->second);
    result.evicted = std::move(victim->second.close);
    members_.erase(victim);
    waiting_by_age_.erase(oldest);
  }
  result.admitted = true;
  result.connection = next_id_++;
  members_.emplace(result.connection, member{std::move(close), true, now});
  waiting_by_age_.emplace(now, result.connection);
  return result;
}

void connection_slots::waiting(std::uint64_t connection, clock::time_point since) {
  std::lock_guard lock(mutex_);
  const auto found = members_.find(connection);
  if (found == members_.end()) return;
  if (found->second.waiting) waiting_by_age_.erase({found->second.since, connection});
  found->second.waiting = true;
  found->second.since = since;
  waiting_by_age_.emplace(since, connection);
}

void connection_slots::working(std::uint64_t connection) {
  std::lock_guard lock(mutex_);
  const auto found = members_.find(connection);
  if (found == members_.end() || !found->second.waiting) return;
  waiting_by_age_.erase({found->second.since, connection});
  found->second.waiting = false;
}

void connection_slots::release(std::uint64_t connection) {
  std::lock_guard lock(mutex_);
  const auto found = members_.find(connection);
  if (found == members_.end()) return;
  if (found->second.waiting) waiting_by_age_.erase({found->second.since, connection});
  members_.erase(found);
}

std::vector<connection_slots::close_if_waiting> connection_slots::all_waiting() {
  std::lock_guard lock(mutex_);
  std::vector<close_if_waiting> result;
  result.reserve(waiting_by_age_.size());
  for (const auto& [since, connection] : waiting_by_age_) result.push_back(members_.at(connection).close);
  return result;
}

std::size_t connection_slots::open() {
  std::lock_guard lock(mutex_);
  return members_.size();
}

}  // namespace mosaic::server
