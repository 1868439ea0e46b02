#pragma once
// The core has no threads; the server has cores. A parallel_for hook lets a caller spread the costly,
// independent steps of index building (scoring every row against every centroid) over its own
// threads: it must call body(begin, end) over disjoint ranges covering [0, count) exactly once each,
// in any order and on any thread, and return when all calls have returned. Every caller in
// shared/partition/ writes only to per-index outputs inside body, so results never depend on how the
// work was split. An empty hook runs body(0, count) on the calling thread.
#include <cstddef>
#include <functional>

namespace mosaic::partition {

using parallel_for_hook =
    std::function<void(std::size_t count, const std::function<void(std::size_t begin, std::size_t end)>& body)>;

inline void run_parallel_for(const parallel_for_hook& hook, std::size_t count,
                             const std::function<void(std::size_t begin, std::size_t end)>& body) {
  if (count == 0) return;
  if (hook) {
    hook(count, body);
  } else {
    body(0, count);
  }
}

}  // namespace mosaic::partition
