#include "call_gate.hpp"

#include <utility>

namespace mosaic::gemini_double {

bool call_gate::hold(std::function<void()> resume) {
  const std::lock_guard lock(mutex_);
  if (!closed_) return false;
  held_.push_back(std::move(resume));
  return true;
}

std::size_t call_gate::release() {
  std::vector<std::function<void()>> resumed;
  {
    const std::lock_guard lock(mutex_);
    closed_ = false;
    resumed.swap(held_);
  }
  for (auto& resume : resumed) resume();
  return resumed.size();
}

void call_gate::close() {
  const std::lock_guard lock(mutex_);
  closed_ = true;
}

void call_gate::abandon() {
  std::vector<std::function<void()>> dropped;
  {
    const std::lock_guard lock(mutex_);
    dropped.swap(held_);
  }
}

std::size_t call_gate::held() const {
  const std::lock_guard lock(mutex_);
  return held_.size();
}

bool call_gate::closed() const {
  const std::lock_guard lock(mutex_);
  return closed_;
}

}  // namespace mosaic::gemini_double
