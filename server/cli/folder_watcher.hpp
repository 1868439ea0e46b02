#pragma once
// Follows a collection folder for `mosaic index --watch` and says when it has changed and then gone
// quiet, so one new generation covers a whole save, copy or burst of files instead of one each.
// Natively it uses inotify on every folder under the collection; where inotify cannot be used (no
// inotify, or the per-user watch limit reached) or when asked, it polls: it lists the folder each
// interval and compares every file's size and modification time. Editors' temporary files
// (editor_temporary_files.hpp) and the index site itself, when it lies inside the folder, are not
// changes. A file still being written keeps producing changes (or a new size), so the quiet period
// waits for it to be complete.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "core/result.hpp"

namespace mosaic::server {

enum class watch_method : std::uint8_t { inotify, polling };

struct folder_watch_settings {
  std::filesystem::path folder;
  std::filesystem::path site;  // ignored when inside the folder
  watch_method method = watch_method::inotify;
  // A batch ends this long after its last change...
  std::chrono::milliseconds quiet_period{1000};
  // ...or this long after its first, so a folder that never goes quiet still gets new generations.
  std::chrono::milliseconds longest_batch{10000};
  std::chrono::milliseconds poll_interval{500};  // polling only
  // Readable when the watch should stop (the read end of the stop signal's pipe); -1: none.
  int stop_descriptor = -1;
};

enum class watch_outcome : std::uint8_t {
  changed,  // a batch of changes ended: time to index again
  stopped,  // stop_descriptor became readable
};

class folder_watcher {
 public:
  // Starts following the folder. With watch_method::inotify, falls back to polling when inotify
  // cannot be set up; fallback_reason() then says why.
  static result<std::unique_ptr<folder_watcher>> open(folder_watch_settings settings);
  ~folder_watcher();
  folder_watcher(const folder_watcher&) = delete;
  folder_watcher& operator=(const folder_watcher&) = delete;

  // Blocks until a batch of changes has ended, or a stop is asked for.
  result<watch_outcome> wait_for_changes();

  [[nodiscard]] watch_method method() const noexcept { return method_; }
  [[nodiscard]] const std::string& fallback_reason() const noexcept { return fallback_reason_; }
  // Changes seen in the last batch (events with inotify, files that differ when polling).
  [[nodiscard]] std::size_t last_batch_changes() const noexcept { return last_batch_changes_; }

 private:
  struct file_state {
    std::uintmax_t size = 0;
    std::filesystem::file_time_type modified;
    bool operator==(const file_state&) const = default;
  };
  using folder_snapshot = std::map<std::string, file_state>;

  explicit folder_watcher(folder_watch_settings settings) : settings_(std::move(settings)) {}
  status start_inotify();
  status watch_tree(const std::filesystem::path& directory);
  // Reads the inotify events waiting; returns how many are changes to the collection.
  result<std::size_t> read_inotify_events();
  [[nodiscard]] folder_snapshot take_snapshot() const;
  [[nodiscard]] bool is_inside_site(const std::filesystem::path& path) const;
  // Waits up to `timeout` for the inotify descriptor (or, polling, sleeps); true when a stop was asked for.
  result<bool> wait_readable(std::chrono::milliseconds timeout, bool& inotify_ready) const;
  result<std::size_t> changes_since_last_look();

  folder_watch_settings settings_;
  std::filesystem::path site_absolute_;
  watch_method method_ = watch_method::inotify;
  std::string fallback_reason_;
  int inotify_descriptor_ = -1;
  std::map<int, std::filesystem::path> watched_directories_;  // watch descriptor -> folder
  folder_snapshot snapshot_;                                   // polling: the folder as last listed
  std::size_t last_batch_changes_ = 0;
};

}  // namespace mosaic::server
