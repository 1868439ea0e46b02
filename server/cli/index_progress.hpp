#pragma once
// mosaic index, progress on stderr: on a terminal a live line redrawn in place (done/total, items
// per second, ETA, cache hits, skipped); otherwise (a log, CI) a plain line every few seconds, so
// logs stay readable. Never on stdout, which carries the summary or the --json report. The line
// names the slow step the preparer is in (cli/preparation_activity.hpp), and a ticker updates it while
// no batch finishes, so a long transcription shows how far it is.
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <mutex>
#include <string>

namespace mosaic::server {

struct progress_counts {
  std::size_t done = 0;
  std::size_t total = 0;
  std::size_t cache_hits = 0;
  std::size_t skipped = 0;
  // The slow step the preparer is in now, when there is one ("transcribing call.wav (2:10 of 5:00)").
  std::string activity;
};

class progress_reporter {
 public:
  using clock = std::chrono::steady_clock;

  // `live`: redraw one line in place (stderr is a terminal); else print a line every `interval`.
  progress_reporter(std::FILE* stream, bool live, std::chrono::milliseconds interval = std::chrono::seconds(3));

  // Prints when it is time to (live: at most ten times a second). Both may be called from any thread.
  void update(const progress_counts& counts);
  // The last state, always printed, and the live line ended.
  void finish(const progress_counts& counts);

  // "1234/5000 items, 812.3 items/s, ETA 0:05, 1200 cache hits, 3 skipped" (", transcribing call.wav
  // (2:10 of 5:00)" during a slow step)
  [[nodiscard]] static std::string describe(const progress_counts& counts, double seconds);

 private:
  void print(const progress_counts& counts);

  std::mutex mutex_;  // the embedding loop and the ticker both update
  std::FILE* stream_;
  bool live_;
  std::chrono::milliseconds interval_;
  clock::time_point started_ = clock::now();
  clock::time_point last_printed_{};
};

}  // namespace mosaic::server
