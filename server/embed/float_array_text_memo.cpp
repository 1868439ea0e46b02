#include "embed/float_array_text_memo.hpp"

#include <cstring>
#include <iterator>

#include "embed/float_json.hpp"
#include "hash/xxhash64.hpp"

namespace mosaic::server {
namespace {

bool same_bits(std::span<const float> left, const std::vector<float>& right) noexcept {
  // memcmp must not see the null pointer of an empty vector, even for zero bytes.
  return left.size() == right.size() && (left.empty() || std::memcmp(left.data(), right.data(), left.size_bytes()) == 0);
}

}  // namespace

std::size_t float_array_text_memo::cost_of(const entry& item) noexcept {
  // The floats, the text, and roughly what the list node and the map node take around them.
  return item.values.size() * sizeof(float) + item.text.capacity() + sizeof(entry) + 96;
}

void float_array_text_memo::append(std::string& output, std::span<const float> values) {
  const std::uint64_t hash = hash::xxhash64(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(values.data()), values.size_bytes()));
  {
    const std::lock_guard lock(mutex_);
    const auto [first, last] = slots_.equal_range(hash);
    for (auto slot = first; slot != last; ++slot) {
      if (!same_bits(values, slot->second->values)) continue;
      recency_.splice(recency_.begin(), recency_, slot->second);
      ++hits_;
      output += slot->second->text;
      return;
    }
    ++misses_;
  }
  // Written outside the lock: formatting is the slow part, and another thread may use the memo.
  entry fresh{hash, std::vector<float>(values.begin(), values.end()), {}};
  append_json_float_array(fresh.text, values);
  output += fresh.text;
  const std::size_t cost = cost_of(fresh);
  if (cost > max_bytes_) return;
  const std::lock_guard lock(mutex_);
  const auto [first, last] = slots_.equal_range(hash);
  for (auto slot = first; slot != last; ++slot) {
    if (same_bits(values, slot->second->values)) return;  // another thread wrote the same vector meanwhile
  }
  while (bytes_ + cost > max_bytes_ && !recency_.empty()) {
    const auto oldest = std::prev(recency_.end());
    const auto [from, to] = slots_.equal_range(oldest->hash);
    for (auto slot = from; slot != to; ++slot) {
      if (slot->second == oldest) {
        slots_.erase(slot);
        break;
      }
    }
    bytes_ -= cost_of(*oldest);
    recency_.erase(oldest);
  }
  recency_.push_front(std::move(fresh));
  slots_.emplace(hash, recency_.begin());
  bytes_ += cost;
}

float_array_text_memo_statistics float_array_text_memo::statistics() const {
  const std::lock_guard lock(mutex_);
  return {hits_, misses_, recency_.size(), bytes_};
}

}  // namespace mosaic::server
