#include "embed/request_coalescer.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

namespace mosaic::server {
namespace {

using time_point = coalescer_clock::time_point;

class steady_clock_source final : public coalescer_clock {
 public:
  [[nodiscard]] time_point now() const override { return std::chrono::steady_clock::now(); }

  void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& wake, time_point deadline) override {
    if (deadline == time_point::max()) {
      wake.wait(lock);
    } else {
      wake.wait_until(lock, deadline);
    }
  }
};

struct queued_input {
  pending_input pending;
  time_point arrival;
};

struct group_queue {
  std::deque<queued_input> inputs;
  std::size_t bytes = 0;  // the sum of the queued inputs' request_bytes
  time_point last_arrival;
};

void fail_all(std::vector<pending_input>& inputs, const error& failure) {
  for (auto& input : inputs) input.done(failure);
}

}  // namespace

std::shared_ptr<coalescer_clock> steady_coalescer_clock() {
  static const auto shared = std::make_shared<steady_clock_source>();
  return shared;
}

class request_coalescer::implementation : public std::enable_shared_from_this<implementation> {
 public:
  implementation(coalescer_options options, batch_sender sender, std::shared_ptr<coalescer_clock> clock)
      : options_(options), sender_(std::move(sender)), clock_(clock ? std::move(clock) : steady_coalescer_clock()) {
    options_.max_batch_size = std::max<std::size_t>(options_.max_batch_size, 1);
    options_.max_calls_in_flight = std::max<std::size_t>(options_.max_calls_in_flight, 1);
  }

  // The thread only borrows `this`: stop() joins it before the owner lets go.
  void start() { dispatcher_ = std::thread([this] { dispatch(); }); }

  void submit(coalescing_group group, std::vector<pending_input> inputs) {
    if (inputs.empty()) return;
    {
      const std::lock_guard lock(mutex_);
      if (!stopping_) {
        const auto now = clock_->now();
        group_queue& queue = groups_[group];
        queued_ += inputs.size();
        for (auto& input : inputs) {
          queue.bytes += input.request_bytes;
          queue.inputs.push_back({std::move(input), now});
        }
        queue.last_arrival = now;
        wake_.notify_one();
        return;
      }
    }
    fail_all(inputs, shutting_down_error());
  }

  void stop() {
    std::vector<pending_input> abandoned;
    {
      const std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
      for (auto& [group, queue] : groups_) {
        for (auto& queued : queue.inputs) abandoned.push_back(std::move(queued.pending));
      }
      groups_.clear();
      queued_ = 0;
      wake_.notify_all();
    }
    if (dispatcher_.joinable()) dispatcher_.join();
    fail_all(abandoned, shutting_down_error());
  }

  [[nodiscard]] std::size_t queued_inputs() const {
    const std::lock_guard lock(mutex_);
    return queued_;
  }

 private:
  static error shutting_down_error() {
    return make_error(error_code::upstream_unavailable, "the embedding provider is shutting down", 1);
  }

  void dispatch() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      const auto now = clock_->now();
      auto chosen = groups_.end();
      auto next_deadline = time_point::max();
      for (auto entry = groups_.begin(); entry != groups_.end(); ++entry) {
        const group_queue& queue = entry->second;
        const auto oldest = queue.inputs.front().arrival;
        const auto idle_deadline = queue.last_arrival + options_.batch_idle;
        const auto wait_deadline = oldest + options_.batch_max_wait;
        // A partial batch leaves after an idle gap only while no call is out: with calls in flight
        // it keeps growing (up to batch_max_wait), so a burst of requests fills batches instead of
        // spending the call slots on its first few arrivals.
        const bool idle_counts = in_flight_ == 0;
        // Queued bytes that fill a call make a full batch as surely as the count does: waiting could
        // not add anything to the next call.
        const bool full = queue.inputs.size() >= options_.max_batch_size ||
                          (options_.max_batch_bytes > 0 && queue.bytes >= options_.max_batch_bytes);
        const bool ready = full || now >= wait_deadline || (idle_counts && now >= idle_deadline);
        if (ready) {
          if (chosen == groups_.end() || oldest < chosen->second.inputs.front().arrival) chosen = entry;
        } else {
          next_deadline = std::min({next_deadline, idle_counts ? idle_deadline : wait_deadline, wait_deadline});
        }
      }
      if (chosen != groups_.end() && in_flight_ < options_.max_calls_in_flight) {
        coalesced_batch batch;
        batch.group = chosen->first;
        std::vector<input_callback> callbacks;
        group_queue& queue = chosen->second;
        const std::size_t count = batch_count(queue);
        batch.inputs.reserve(count);
        callbacks.reserve(count);
        for (std::size_t index = 0; index < count; ++index) {
          queue.bytes -= queue.inputs.front().pending.request_bytes;
          batch.inputs.push_back(std::move(queue.inputs.front().pending.input));
          callbacks.push_back(std::move(queue.inputs.front().pending.done));
          queue.inputs.pop_front();
        }
        queued_ -= count;
        if (queue.inputs.empty()) groups_.erase(chosen);
        ++in_flight_;
        lock.unlock();
        send(std::move(batch), std::move(callbacks));
        lock.lock();
        continue;
      }
      // Ready but every call slot is taken: a completion wakes us. Otherwise sleep until the first
      // group's deadline, or until an input arrives.
      clock_->wait_until(lock, wake_, chosen != groups_.end() ? time_point::max() : next_deadline);
    }
  }

  // How many inputs from the front of the queue make the next batch: in order (never skipping one
  // that does not fit for a smaller one behind it), within the count and the byte budget, and at
  // least one, so an input over the budget on its own still goes, alone (the gemini provider refuses
  // such an input before it is queued; another sender gets the call it was given).
  [[nodiscard]] std::size_t batch_count(const group_queue& queue) const {
    std::size_t count = 0;
    std::size_t bytes = 0;
    for (const queued_input& queued : queue.inputs) {
      if (count >= options_.max_batch_size) break;
      const std::size_t input_bytes = queued.pending.request_bytes;
      const bool over_budget = options_.max_batch_bytes > 0 &&
                               (bytes >= options_.max_batch_bytes || input_bytes > options_.max_batch_bytes - bytes);
      if (count > 0 && over_budget) break;
      bytes += input_bytes;
      ++count;
    }
    return count;
  }

  void send(coalesced_batch batch, std::vector<input_callback> callbacks) {
    const std::size_t count = callbacks.size();
    auto self = shared_from_this();  // a completion may come after the coalescer is gone
    auto completed = std::make_shared<std::atomic<bool>>(false);
    sender_(std::move(batch), [self, completed, count, callbacks = std::move(callbacks)](
                                  result<embedding_vectors> outcome) mutable {
      if (completed->exchange(true)) return;  // a second completion is a sender bug: ignore it
      {
        const std::lock_guard lock(self->mutex_);
        --self->in_flight_;
        self->wake_.notify_one();
      }
      if (outcome.ok() && outcome->size() != count) {
        outcome = make_error(error_code::upstream_rejected, "the embedding call answered " +
                                                                std::to_string(outcome->size()) + " vectors for " +
                                                                std::to_string(count) + " inputs");
      }
      if (!outcome.ok()) {
        for (auto& callback : callbacks) callback(outcome.failure());
        return;
      }
      for (std::size_t index = 0; index < count; ++index) callbacks[index](std::move((*outcome)[index]));
    });
  }

  coalescer_options options_;
  batch_sender sender_;
  std::shared_ptr<coalescer_clock> clock_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<coalescing_group, group_queue> groups_;  // only non-empty queues
  std::size_t queued_ = 0;  // inputs in groups_
  std::size_t in_flight_ = 0;
  bool stopping_ = false;
  std::thread dispatcher_;
};

request_coalescer::request_coalescer(coalescer_options options, batch_sender sender,
                                     std::shared_ptr<coalescer_clock> clock)
    : implementation_(std::make_shared<implementation>(options, std::move(sender), std::move(clock))) {
  implementation_->start();
}

request_coalescer::~request_coalescer() { implementation_->stop(); }

void request_coalescer::submit(coalescing_group group, std::vector<pending_input> inputs) {
  implementation_->submit(group, std::move(inputs));
}

void request_coalescer::stop() { implementation_->stop(); }

std::size_t request_coalescer::queued_inputs() const { return implementation_->queued_inputs(); }

}  // namespace mosaic::server
