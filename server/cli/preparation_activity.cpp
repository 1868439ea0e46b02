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

void preparation_activity::begin(preparation_step step, std::string file) {
  const std::lock_guard guard(mutex_);
  step_ = step;
  file_ = std::move(file);
  done_milliseconds_ = total_milliseconds_ = 0;
}

void preparation_activity::change(preparation_step step) {
  const std::lock_guard guard(mutex_);
  step_ = step;
  done_milliseconds_ = total_milliseconds_ = 0;
}

void preparation_activity::advance(std::uint64_t done_milliseconds, std::uint64_t total_milliseconds) {
  const std::lock_guard guard(mutex_);
  total_milliseconds_ = total_milliseconds;
  done_milliseconds_ = std::min(done_milliseconds, total_milliseconds);
}

void preparation_activity::end() { begin(preparation_step::none, {}); }

std::string preparation_activity::describe() const {
  const std::lock_guard guard(mutex_);
  if (step_ == preparation_step::none) return {};
  std::string described = std::string(step_name(step_)) + " " + file_;
  if (total_milliseconds_ > 0) {
    described += " (" + clock_time(done_milliseconds_) + " of " + clock_time(total_milliseconds_) + ")";
  }
  return described;
}

}  // namespace mosaic::server
