#include "cli/preparation_activity.hpp"

#include <algorithm>
#include <cstdio>

namespace mosaic::server {
namespace {

const char* step_name(preparation_step step) {
  switch (step) {
    case preparation_step::reading_text: return "reading text in";
    case preparation_step::transcribing: return "transcribing";
    case preparation_step::reading_pdf: return "reading PDF";
    case preparation_step::reading_video: return "reading video";
    case preparation_step::none: break;
  }
  return "";
}

// 130000 -> "2:10", 3725000 -> "1:02:05".
std::string clock_time(std::uint64_t milliseconds) {
  const std::uint64_t seconds = milliseconds / 1000;
  char text[32];
  if (seconds >= 3600) {
    std::snprintf(text, sizeof text, "%llu:%02llu:%02llu", static_cast<unsigned long long>(seconds / 3600),
                  static_cast<unsigned long long>(seconds / 60 % 60), static_cast<unsigned long long>(seconds % 60));
  } else {
    std::snprintf(text, sizeof text, "%llu:%02llu", static_cast<unsigned long long>(seconds / 60),
                  static_cast<unsigned long long>(seconds % 60));
  }
  return text;
}

}  // namespace

preparation_activity::preparation_activity(std::size_t workers) : entries_(std::max<std::size_t>(workers, 1)) {}

void preparation_activity::begin(std::size_t worker, preparation_step step, std::string file) {
  const std::lock_guard guard(mutex_);
  entry& current = entries_.at(worker);
  current.step = step;
  current.file = std::move(file);
  current.done_milliseconds = current.total_milliseconds = 0;
  current.started = ++begun_;
}

void preparation_activity::change(std::size_t worker, preparation_step step) {
  const std::lock_guard guard(mutex_);
  entry& current = entries_.at(worker);
  current.step = step;
  current.done_milliseconds = current.total_milliseconds = 0;
}

void preparation_activity::advance(std::size_t worker, std::uint64_t done_milliseconds, std::uint64_t total_milliseconds) {
  const std::lock_guard guard(mutex_);
  entry& current = entries_.at(worker);
  current.total_milliseconds = total_milliseconds;
  current.done_milliseconds = std::min(done_milliseconds, total_milliseconds);
}

void preparation_activity::end(std::size_t worker) { begin(worker, preparation_step::none, {}); }

std::string preparation_activity::describe() const {
  const std::lock_guard guard(mutex_);
  const entry* first = nullptr;
  std::size_t busy = 0;
  for (const entry& current : entries_) {
    if (current.step == preparation_step::none) continue;
    ++busy;
    if (first == nullptr || current.started < first->started) first = &current;
  }
  if (first == nullptr) return {};
  std::string described = std::string(step_name(first->step)) + " " + first->file;
  if (first->total_milliseconds > 0) {
    described += " (" + clock_time(first->done_milliseconds) + " of " + clock_time(first->total_milliseconds) + ")";
  }
  if (busy == 2) described += " and 1 more file";
  if (busy > 2) described += " and " + std::to_string(busy - 1) + " more files";
  return described;
}

}  // namespace mosaic::server
