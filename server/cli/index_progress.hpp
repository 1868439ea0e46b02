#pragma once
// mosaic index, progress on stderr: on a terminal a live line redrawn in place (done/total, items
// per second, ETA, cache hits, skipped); otherwise (a log, CI) a plain line every few seconds, so
// logs stay readable. Never on stdout, which carries the summary or the --json report.
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace mosaic::server {

struct progress_counts {
  std::size_t done = 0;
  std::size_t total = 0;
  std::size_t cache_hits = 0;
  std::size_t skipped = 0;
  // The slow step the preparer is in now, when there is one ("transcribing"): static text.
  const char* step = nullptr;
};

class progress_reporter {
 public:
  using clock = std::chrono::steady_clock;

  // `live`: redraw one line in place (stderr is a terminal); else print a line every `interval`.
  progress_reporter(std::FILE* stream, bool live, std::chrono::milliseconds interval = std::chrono::seconds(3));

  // Prints when it is time to (live: at most ten times a second).
  void update(const progress_counts& counts);
  // The last state, always printed, and the live line ended.
  void finish(const progress_counts& counts);

  // "1234/5000 items, 812.3 items/s, ETA 0:05, 1200 cache hits, 3 skipped" (", transcribing" during a step)
  [[nodiscard]] static std::string describe(const progress_counts& counts, double seconds);

 private:
  void print(const progress_counts& counts);

  std::FILE* stream_;
  bool live_;
  std::chrono::milliseconds interval_;
  clock::time_point started_ = clock::now();
  clock::time_point last_printed_{};
};

}  // namespace mosaic::server
