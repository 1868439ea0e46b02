#pragma once
// Notices when the index site mosaic serve answers from is rewritten, and swaps the new generation in.
// `mosaic index` writes a site content-addressed and renames manifest.json over the old one last, so
// the manifest's identity (device, inode, size, modification time) changes exactly when a new
// generation is complete; polling it each second is robust to that write-then-rename (an inotify
// watch on the file itself would follow the replaced inode). A changed manifest is loaded with every
// check load_site makes (hashes, the shard decoder, agreement with the manifest) plus the server's own
// (`accept`: the provider's model); a site that fails is refused with a log line that says why, and
// the old generation keeps being served.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "core/result.hpp"
#include "sync/served_site.hpp"

namespace mosaic::server {

struct site_watch_options {
  std::chrono::milliseconds interval{1000};
  std::function<status(const loaded_site&)> accept;  // the server's own checks; empty: every loadable site
  std::function<void(std::string_view)> log;         // one line, no newline; empty: stderr
};

enum class site_check_outcome : std::uint8_t {
  unchanged,  // the same manifest file, or a rewrite with the same content
  replaced,   // a new generation is now served
  refused,    // a new manifest whose site failed a check: the old one is still served
};

class site_watcher {
 public:
  // Remembers the manifest that is there now (the one `site` was loaded from).
  site_watcher(std::filesystem::path site_directory, served_site& site, site_watch_options options);
  ~site_watcher();
  site_watcher(const site_watcher&) = delete;
  site_watcher& operator=(const site_watcher&) = delete;

  // Polls on a thread of its own until destroyed.
  void start();

  // One look at the manifest (what the thread does each interval; tests call it directly).
  site_check_outcome check();

 private:
  struct file_identity {
    std::uint64_t device = 0, inode = 0, size = 0;
    std::int64_t modified_seconds = 0, modified_nanoseconds = 0;
    bool operator==(const file_identity&) const = default;
  };
  [[nodiscard]] std::optional<file_identity> manifest_identity() const;
  void write_log(const std::string& line) const;

  std::filesystem::path site_directory_;
  served_site& site_;
  site_watch_options options_;
  std::optional<file_identity> seen_;  // the manifest last looked at (served or refused)
  std::mutex stop_mutex_;
  std::condition_variable stop_signal_;
  bool stopping_ = false;
  std::thread poller_;
};

}  // namespace mosaic::server
