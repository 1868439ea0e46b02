#include "cli/index_progress.hpp"

#include <cmath>

namespace mosaic::server {

progress_reporter::progress_reporter(std::FILE* stream, bool live, std::chrono::milliseconds interval)
    : stream_(stream), live_(live), interval_(live ? std::chrono::milliseconds(100) : interval) {}

std::string progress_reporter::describe(const progress_counts& counts, double seconds) {
  const double rate = seconds > 0 ? static_cast<double>(counts.done) / seconds : 0.0;
  char line[256];
  std::string eta = "?";
  if (rate > 0 && counts.total >= counts.done) {
    const auto remaining = static_cast<unsigned long long>(std::llround(static_cast<double>(counts.total - counts.done) / rate));
    std::snprintf(line, sizeof line, "%llu:%02llu", remaining / 60, remaining % 60);
    eta = line;
  }
  std::snprintf(line, sizeof line, "%zu/%zu items, %.1f items/s, ETA %s, %zu cache hits, %zu skipped", counts.done,
                counts.total, rate, eta.c_str(), counts.cache_hits, counts.skipped);
  std::string described = line;
  if (!counts.activity.empty()) described += ", " + counts.activity;
  return described;
}

void progress_reporter::print(const progress_counts& counts) {
  const auto now = clock::now();
  last_printed_ = now;
  const double seconds = std::chrono::duration<double>(now - started_).count();
  const std::string line = describe(counts, seconds);
  if (live_) {
    std::fprintf(stream_, "\r\x1b[2Kindexing: %s", line.c_str());  // erase the line, then redraw it
  } else {
    std::fprintf(stream_, "indexing: %s\n", line.c_str());
  }
  std::fflush(stream_);
}

void progress_reporter::update(const progress_counts& counts) {
  const std::lock_guard guard(mutex_);
  if (clock::now() - last_printed_ >= interval_) print(counts);
}

void progress_reporter::finish(const progress_counts& counts) {
  const std::lock_guard guard(mutex_);
  print(counts);
  if (live_) std::fputc('\n', stream_);
}

}  // namespace mosaic::server
