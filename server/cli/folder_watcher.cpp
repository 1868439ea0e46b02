#include "cli/folder_watcher.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "cli/editor_temporary_files.hpp"

namespace mosaic::server {
namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

// What counts as a change: content written, files appearing, going or moving. IN_MODIFY comes with
// every write, so a file being written keeps its batch open until the writer is done.
constexpr std::uint32_t watched_events = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM |
                                         IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_EXCL_UNLINK | IN_ONLYDIR;

}  // namespace

result<std::unique_ptr<folder_watcher>> folder_watcher::open(folder_watch_settings settings) {
  std::error_code failure;
  fs::path folder = fs::canonical(settings.folder, failure);
  if (failure) return make_error(error_code::io_error, "cannot watch " + settings.folder.string() + ": " + failure.message());
  settings.folder = folder;
  std::unique_ptr<folder_watcher> watcher(new folder_watcher(std::move(settings)));
  watcher->site_absolute_ = fs::weakly_canonical(watcher->settings_.site, failure);
  if (failure) watcher->site_absolute_ = fs::absolute(watcher->settings_.site).lexically_normal();
  watcher->method_ = watcher->settings_.method;
  if (watcher->method_ == watch_method::inotify) {
    if (auto started = watcher->start_inotify(); !started) {
      watcher->fallback_reason_ = started.failure().message;
      watcher->method_ = watch_method::polling;
      if (watcher->inotify_descriptor_ >= 0) ::close(watcher->inotify_descriptor_);
      watcher->inotify_descriptor_ = -1;
      watcher->watched_directories_.clear();
    }
  }
  if (watcher->method_ == watch_method::polling) watcher->snapshot_ = watcher->take_snapshot();
  return watcher;
}

folder_watcher::~folder_watcher() {
  if (inotify_descriptor_ >= 0) ::close(inotify_descriptor_);
}

bool folder_watcher::is_inside_site(const fs::path& path) const {
  const std::string site = site_absolute_.string();
  const std::string candidate = path.string();
  return candidate == site || (candidate.size() > site.size() && candidate.starts_with(site) && candidate[site.size()] == '/');
}

status folder_watcher::start_inotify() {
  inotify_descriptor_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_descriptor_ < 0) {
    return make_error(error_code::io_error, std::string("inotify is not available (") + std::strerror(errno) + ")");
  }
  return watch_tree(settings_.folder);
}

// Watches `directory` and every folder under it (not through symbolic links, not the site). A folder
// made, or moved in, later is added when its event arrives.
status folder_watcher::watch_tree(const fs::path& directory) {
  const auto add = [&](const fs::path& folder) -> status {
    const int watch = ::inotify_add_watch(inotify_descriptor_, folder.c_str(), watched_events);
    if (watch >= 0) {
      watched_directories_[watch] = folder;
      return success{};
    }
    if (errno == ENOSPC) {
      return make_error(error_code::io_error,
                        "the inotify watch limit is reached (fs.inotify.max_user_watches, " +
                            std::to_string(watched_directories_.size()) + " folders watched)");
    }
    // A folder that went away, or that cannot be read, is not watched (nor indexed).
    if (errno == ENOENT || errno == EACCES || errno == ENOTDIR) return success{};
    return make_error(error_code::io_error, "cannot watch " + folder.string() + " (" + std::strerror(errno) + ")");
  };
  if (is_inside_site(directory)) return success{};
  if (auto added = add(directory); !added) return added;
  std::error_code failure;
  fs::recursive_directory_iterator walker(directory, fs::directory_options::skip_permission_denied, failure);
  for (; !failure && walker != fs::recursive_directory_iterator(); walker.increment(failure)) {
    std::error_code entry_failure;
    if (!walker->is_directory(entry_failure) || walker->is_symlink(entry_failure)) continue;
    if (is_inside_site(walker->path())) {
      walker.disable_recursion_pending();
      continue;
    }
    if (auto added = add(walker->path()); !added) return added;
  }
  return success{};
}

result<std::size_t> folder_watcher::read_inotify_events() {
  std::size_t changes = 0;
  alignas(inotify_event) std::array<char, 64 * 1024> buffer{};
  for (;;) {
    const ssize_t count = ::read(inotify_descriptor_, buffer.data(), buffer.size());
    if (count < 0 && errno == EINTR) continue;
    if (count < 0 && errno == EAGAIN) break;
    if (count <= 0) return make_error(error_code::io_error, std::string("cannot read inotify events (") + std::strerror(errno) + ")");
    for (ssize_t offset = 0; offset < count;) {
      inotify_event event{};
      std::memcpy(&event, buffer.data() + offset, sizeof(event));
      const std::string name = event.len > 0 ? std::string(buffer.data() + offset + sizeof(inotify_event)) : std::string();
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event.len);
      if ((event.mask & IN_Q_OVERFLOW) != 0) {
        ++changes;  // events were lost: the next pass walks the folder anyway
        continue;
      }
      const auto directory = watched_directories_.find(event.wd);
      if ((event.mask & IN_IGNORED) != 0) {
        if (directory != watched_directories_.end()) watched_directories_.erase(directory);
        continue;
      }
      if (directory == watched_directories_.end()) continue;
      const fs::path path = name.empty() ? directory->second : directory->second / name;
      if (is_inside_site(path)) continue;
      const bool is_directory = (event.mask & IN_ISDIR) != 0;
      if (!is_directory && !name.empty() && is_editor_temporary_file(name)) continue;
      if (is_directory && (event.mask & (IN_CREATE | IN_MOVED_TO)) != 0) {
        if (auto added = watch_tree(path); !added) return std::move(added).failure();
      }
      ++changes;
    }
  }
  return changes;
}

folder_watcher::folder_snapshot folder_watcher::take_snapshot() const {
  folder_snapshot snapshot;
  std::error_code failure;
  fs::recursive_directory_iterator walker(settings_.folder, fs::directory_options::skip_permission_denied, failure);
  for (; !failure && walker != fs::recursive_directory_iterator(); walker.increment(failure)) {
    std::error_code entry_failure;
    if (walker->is_directory(entry_failure)) {
      if (is_inside_site(walker->path())) walker.disable_recursion_pending();
      continue;
    }
    if (!walker->is_regular_file(entry_failure) || is_editor_temporary_file(walker->path().filename().string())) continue;
    file_state state;
    state.size = walker->file_size(entry_failure);
    state.modified = walker->last_write_time(entry_failure);
    if (!entry_failure) snapshot.emplace(walker->path().string(), state);
  }
  return snapshot;
}

result<bool> folder_watcher::wait_readable(std::chrono::milliseconds timeout, bool& inotify_ready) const {
  inotify_ready = false;
  std::array<pollfd, 2> descriptors{};
  nfds_t count = 0;
  if (settings_.stop_descriptor >= 0) descriptors[count++] = {settings_.stop_descriptor, POLLIN, 0};
  const nfds_t inotify_slot = count;
  if (inotify_descriptor_ >= 0) descriptors[count++] = {inotify_descriptor_, POLLIN, 0};
  const int milliseconds = timeout.count() < 0 ? -1 : static_cast<int>(std::min<std::int64_t>(timeout.count(), 1 << 30));
  const int ready = ::poll(descriptors.data(), count, milliseconds);
  if (ready < 0 && errno == EINTR) return false;  // a signal: the stop pipe says whether it was a stop
  if (ready < 0) return make_error(error_code::io_error, std::string("cannot wait for changes (") + std::strerror(errno) + ")");
  if (settings_.stop_descriptor >= 0 && (descriptors[0].revents & (POLLIN | POLLHUP)) != 0) return true;
  inotify_ready = inotify_descriptor_ >= 0 && (descriptors[inotify_slot].revents & POLLIN) != 0;
  return false;
}

result<std::size_t> folder_watcher::changes_since_last_look() {
  if (method_ == watch_method::inotify) return read_inotify_events();
  folder_snapshot now = take_snapshot();
  std::size_t changes = 0;
  for (const auto& [path, state] : now) {
    const auto before = snapshot_.find(path);
    if (before == snapshot_.end() || !(before->second == state)) ++changes;
  }
  for (const auto& [path, state] : snapshot_) if (!now.contains(path)) ++changes;
  snapshot_ = std::move(now);
  return changes;
}

result<watch_outcome> folder_watcher::wait_for_changes() {
  last_batch_changes_ = 0;
  const bool polling = method_ == watch_method::polling;
  // The first change of a batch.
  for (;;) {
    bool inotify_ready = false;
    auto stop = wait_readable(polling ? settings_.poll_interval : std::chrono::milliseconds(-1), inotify_ready);
    if (!stop) return std::move(stop).failure();
    if (stop.value()) return watch_outcome::stopped;
    if (!polling && !inotify_ready) continue;
    auto changes = changes_since_last_look();
    if (!changes) return std::move(changes).failure();
    if (changes.value() == 0) continue;
    last_batch_changes_ = changes.value();
    break;
  }
  // The rest of it: until the folder has been quiet for the quiet period, or the batch is as old as
  // the longest batch allowed.
  const auto first = clock_type::now();
  auto last = first;
  for (;;) {
    const auto now = clock_type::now();
    auto wait = std::min(last + settings_.quiet_period, first + settings_.longest_batch) - now;
    if (wait <= clock_type::duration::zero()) return watch_outcome::changed;
    if (polling) wait = std::min<clock_type::duration>(wait, settings_.poll_interval);
    bool inotify_ready = false;
    auto stop = wait_readable(std::chrono::ceil<std::chrono::milliseconds>(wait), inotify_ready);
    if (!stop) return std::move(stop).failure();
    if (stop.value()) return watch_outcome::stopped;
    if (!polling && !inotify_ready) continue;
    auto changes = changes_since_last_look();
    if (!changes) return std::move(changes).failure();
    if (changes.value() > 0) {
      last = clock_type::now();
      last_batch_changes_ += changes.value();
    }
  }
}

}  // namespace mosaic::server
