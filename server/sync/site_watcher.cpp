#include "sync/site_watcher.hpp"

#include <sys/stat.h>

#include <cstdio>

namespace mosaic::server {

site_watcher::site_watcher(std::filesystem::path site_directory, served_site& site, site_watch_options options)
    : site_directory_(std::move(site_directory)), site_(site), options_(std::move(options)) {
  seen_ = manifest_identity();
}

site_watcher::~site_watcher() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_signal_.notify_all();
  if (poller_.joinable()) poller_.join();
}

void site_watcher::start() {
  poller_ = std::thread([this] {
    std::unique_lock lock(stop_mutex_);
    while (!stop_signal_.wait_for(lock, options_.interval, [this] { return stopping_; })) {
      lock.unlock();
      check();
      lock.lock();
    }
  });
}

std::optional<site_watcher::file_identity> site_watcher::manifest_identity() const {
  struct stat status {};
  if (::stat((site_directory_ / "manifest.json").c_str(), &status) != 0) return std::nullopt;
  return file_identity{static_cast<std::uint64_t>(status.st_dev), static_cast<std::uint64_t>(status.st_ino),
                       static_cast<std::uint64_t>(status.st_size), static_cast<std::int64_t>(status.st_mtim.tv_sec),
                       static_cast<std::int64_t>(status.st_mtim.tv_nsec)};
}

void site_watcher::write_log(const std::string& line) const {
  if (options_.log) return options_.log(line);
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

site_check_outcome site_watcher::check() {
  // Looked at before reading: a manifest replaced while it is read shows a new identity next time,
  // and is read again then.
  const std::optional<file_identity> identity = manifest_identity();
  if (!identity || identity == seen_) return site_check_outcome::unchanged;  // a missing one: the old stays
  seen_ = identity;
  const std::shared_ptr<const loaded_site> serving = site_.current();
  const auto refuse = [&](const std::string& why) {
    write_log("mosaic serve: refused the new index in " + site_directory_.string() + " (still serving generation " +
              std::to_string(serving->manifest().generation) + "): " + why);
    return site_check_outcome::refused;
  };
  auto loaded = load_site(site_directory_);
  if (!loaded) return refuse(std::string(error_code_name(loaded.failure().code)) + ": " + loaded.failure().message);
  if (loaded->manifest_hash == serving->manifest_hash) return site_check_outcome::unchanged;
  if (options_.accept) {
    if (auto accepted = options_.accept(loaded.value()); !accepted) {
      return refuse(std::string(error_code_name(accepted.failure().code)) + ": " + accepted.failure().message);
    }
  }
  auto next = std::make_shared<const loaded_site>(std::move(loaded).value());
  const bool partitioned = next->manifest().layout == index::index_layout::partitioned;
  write_log("mosaic serve: now serving generation " + std::to_string(next->manifest().generation) + " (" +
            std::to_string(next->manifest().item_count()) + " items, " +
            std::to_string(next->manifest().vector_file_count()) + (partitioned ? " partitions" : " shards") + ") from " +
            site_directory_.string());
  site_.replace(std::move(next));
  return site_check_outcome::replaced;
}

}  // namespace mosaic::server
