#pragma once
// Joins embedding inputs from many concurrent callers into few upstream calls. Inputs wait in a queue
// per group (inputs of one group can share a call); a dispatcher thread sends a group's inputs as one
// batch of at most max_batch_size inputs and max_batch_bytes (a batch always holds at least one
// input) when the group has a full batch (by count, or queued bytes that fill a call), when no input joined it for
// `batch_idle` and no call is out (with calls in flight a partial batch keeps filling), or when its
// oldest input has waited `batch_max_wait`; at most max_calls_in_flight
// batches are out at once, and the group whose oldest input waited longest goes first. The sender is
// anything that turns a batch into one vector per input: the gemini provider's HTTP call, or a fake
// in tests, so the timing and bookkeeping are tested without a network.
//
// Groups are (task, dimensions): a batchEmbedContents call could mix them (every request in it carries
// its own taskType and outputDimensionality), but with one task and size per call the body, the task
// prefix and the check of the answer's sizes stay uniform, and real traffic is nearly all one group
// (queries of one size), so separate groups cost almost no extra calls.
//
// Time comes from a coalescer_clock: the steady clock in production, a clock moved by hand in tests,
// so a test decides what has waited how long and no outcome depends on how fast a machine runs.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "core/result.hpp"
#include "embed/embedding_request.hpp"

namespace mosaic::server {

struct coalescer_options {
  std::size_t max_batch_size = 100;
  std::chrono::milliseconds batch_idle{10};
  std::chrono::milliseconds batch_max_wait{200};
  std::size_t max_calls_in_flight = 4;
  // The sum of the request_bytes of a batch's inputs stays within this (0: no byte budget). The
  // coalescer does not know the wire format: the sender's owner measures each input when it submits.
  std::size_t max_batch_bytes = 0;
};

struct coalescing_group {
  embedding_task task = embedding_task::retrieval_query;
  std::size_t dimensions = 0;

  friend auto operator<=>(const coalescing_group&, const coalescing_group&) = default;
};

struct coalesced_batch {
  coalescing_group group;
  std::vector<embedding_input> inputs;  // at most max_batch_size and max_batch_bytes, in arrival order
};

// One vector per input of the batch, in order, or the error that failed the whole batch.
using batch_completion = std::function<void(result<embedding_vectors>)>;
// Sends one batch; must call `completion` exactly once, on any thread, possibly before returning.
using batch_sender = std::function<void(coalesced_batch batch, batch_completion completion)>;
// What one input's caller hears: its own vector, or the error of the batch it travelled in.
using input_callback = std::function<void(result<std::vector<float>>)>;

// Time as the coalescer sees it: when an input arrived, and how long the dispatcher sleeps.
class coalescer_clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  coalescer_clock() = default;
  coalescer_clock(const coalescer_clock&) = delete;
  coalescer_clock& operator=(const coalescer_clock&) = delete;
  virtual ~coalescer_clock() = default;

  [[nodiscard]] virtual time_point now() const = 0;
  // Sleeps on `wake` (whose mutex `lock` holds, as for condition_variable::wait) until it is notified
  // or, by this clock, `deadline` has come; time_point::max() is no deadline. May return early: the
  // dispatcher looks at the time again after every return.
  virtual void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& wake, time_point deadline) = 0;
};

// The production clock: std::chrono::steady_clock, shared by every coalescer that uses it.
std::shared_ptr<coalescer_clock> steady_coalescer_clock();

struct pending_input {
  embedding_input input;
  input_callback done;
  std::size_t request_bytes = 0;  // this input's share of a call, counted against max_batch_bytes
};

class request_coalescer {
 public:
  request_coalescer(coalescer_options options, batch_sender sender,
                    std::shared_ptr<coalescer_clock> clock = steady_coalescer_clock());
  // Stops the dispatcher; inputs still queued are failed with upstream_unavailable. Batches already
  // sent complete normally whenever their sender answers.
  ~request_coalescer();
  request_coalescer(const request_coalescer&) = delete;
  request_coalescer& operator=(const request_coalescer&) = delete;

  // Queues inputs of one group, together (a caller's batch is never split by other callers' inputs
  // arriving in between; it is split across calls only where the count or the byte budget cuts a
  // batch). Each callback fires exactly once, on the sender's completion thread (or
  // this one, when the coalescer is stopping).
  void submit(coalescing_group group, std::vector<pending_input> inputs);

  // Stops taking and sending; fails what is queued (also done by the destructor).
  void stop();

  // Inputs queued and not yet handed to the sender, over all groups (for a queue-depth gauge).
  [[nodiscard]] std::size_t queued_inputs() const;

 private:
  class implementation;
  std::shared_ptr<implementation> implementation_;
};

}  // namespace mosaic::server
