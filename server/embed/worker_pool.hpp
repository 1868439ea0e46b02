#pragma once
// A fixed pool of worker threads with a bounded queue: CPU work (the local model, image decoding,
// index scans) runs here so the server's io threads only move bytes. post() refuses (returns false)
// when the queue is full instead of growing without bound; the caller answers 503 at once.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mosaic::server {

class worker_pool {
 public:
  // threads 0: one per core.
  worker_pool(unsigned threads, std::size_t max_queued_jobs);
  ~worker_pool();  // runs every queued job, then joins
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  [[nodiscard]] bool post(std::function<void()> job);
  [[nodiscard]] std::size_t thread_count() const noexcept { return workers_.size(); }

 private:
  void work();

  std::size_t max_queued_jobs_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace mosaic::server
