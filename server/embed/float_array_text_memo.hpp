#pragma once
// Remembers the JSON text of recently written vectors. A cached embedding is answered again and again
// (the same popular query), and writing its hundreds of floats as shortest decimals is most of what a
// cache hit costs; the text of a given vector never changes, so it is written once and copied after.
//
// Keyed by the vector's exact bits: an XXH64 of the floats picks the slot and the stored floats are
// compared in full before a remembered text is used, so a hash collision can only cost a miss, never a
// wrong answer. The output is byte for byte what append_json_float_array writes. Bounded by bytes
// (floats + text + bookkeeping), least recently used first out. Thread-safe.
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace mosaic::server {

struct float_array_text_memo_statistics {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t entries = 0;
  std::uint64_t bytes = 0;
};

class float_array_text_memo {
 public:
  explicit float_array_text_memo(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // Appends "[v0,v1,...]" exactly like append_json_float_array.
  void append(std::string& output, std::span<const float> values);

  [[nodiscard]] float_array_text_memo_statistics statistics() const;

 private:
  struct entry {
    std::uint64_t hash = 0;
    std::vector<float> values;
    std::string text;
  };
  static std::size_t cost_of(const entry& item) noexcept;

  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::list<entry> recency_;  // most recently used first
  std::unordered_multimap<std::uint64_t, std::list<entry>::iterator> slots_;
  std::size_t bytes_ = 0;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

}  // namespace mosaic::server
