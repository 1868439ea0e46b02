#pragma once
// The core's parallel_for hook (shared/partition/parallel_for.hpp) run on threads: index building
// trains k-means and assigns rows to partitions on every core, while the core itself stays thread-free.
#include "partition/parallel_for.hpp"

namespace mosaic::server {

// A hook that spreads body's ranges over `threads` threads (the calling one included), handing out
// small ranges from a shared counter so a slow range does not hold the others up. 0: every core.
partition::parallel_for_hook threaded_parallel_for(unsigned threads = 0);

}  // namespace mosaic::server
