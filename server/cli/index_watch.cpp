#include "cli/index_watch.hpp"

#include <csignal>
#include <cstdio>

#include "cli/command_failure.hpp"
#include "cli/stop_signals.hpp"

namespace mosaic::server {

int watch_and_index(folder_watch_settings settings, const std::function<int()>& index_once) {
  auto signals = stop_signals::install();
  if (!signals) {
    return report_failure("index", signals.failure(), 1);
  }
  settings.stop_descriptor = signals->descriptor();
  // Opened before the first pass, so a change made while it runs starts the next one.
  auto watcher = folder_watcher::open(settings);
  if (!watcher) {
    return report_failure("index", watcher.failure(), 1);
  }
  const auto stopped = [&] {
    std::fprintf(stderr, "mosaic index: stopped by %s; the site's manifest names a complete generation\n",
                 signals->signal_number() == SIGINT ? "SIGINT" : "SIGTERM");
    return 0;
  };
  index_once();
  std::fflush(stdout);
  if ((*watcher)->method() == watch_method::inotify) {
    std::fprintf(stderr, "mosaic index: watching %s with inotify (a new generation %lld ms after changes stop)\n",
                 settings.folder.c_str(), static_cast<long long>(settings.quiet_period.count()));
  } else {
    std::fprintf(stderr, "mosaic index: watching %s by polling every %lld ms (a new generation %lld ms after changes stop)%s%s\n",
                 settings.folder.c_str(), static_cast<long long>(settings.poll_interval.count()),
                 static_cast<long long>(settings.quiet_period.count()),
                 (*watcher)->fallback_reason().empty() ? "" : "; inotify: ", (*watcher)->fallback_reason().c_str());
  }
  for (;;) {
    if (signals->requested()) return stopped();
    auto outcome = (*watcher)->wait_for_changes();
    if (!outcome) {
      return report_failure("index", outcome.failure(), 1);
    }
    if (outcome.value() == watch_outcome::stopped) return stopped();
    std::fprintf(stderr, "mosaic index: %zu changes in %s, indexing again\n", (*watcher)->last_batch_changes(),
                 settings.folder.c_str());
    index_once();
    std::fflush(stdout);
  }
}

}  // namespace mosaic::server
