#include "site/threaded_parallel_for.hpp"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace mosaic::server {

partition::parallel_for_hook threaded_parallel_for(unsigned threads) {
  const unsigned workers = threads != 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
  return [workers](std::size_t count, const std::function<void(std::size_t, std::size_t)>& body) {
    const std::size_t used = std::min<std::size_t>(workers, count);
    if (used <= 1) {
      body(0, count);
      return;
    }
    // About eight ranges per thread: even when ranges cost unequal time, no thread idles long.
    const std::size_t range = std::max<std::size_t>(1, count / (used * 8));
    std::atomic<std::size_t> next{0};
    const auto work = [&] {
      for (;;) {
        const std::size_t begin = next.fetch_add(range);
        if (begin >= count) return;
        body(begin, std::min(count, begin + range));
      }
    };
    std::vector<std::jthread> pool;
    pool.reserve(used - 1);
    for (std::size_t thread = 1; thread < used; ++thread) pool.emplace_back(work);
    work();
  };
}

}  // namespace mosaic::server
