#pragma once
// What the double has been asked, so tests can assert batching ("1,000 requests reached the double in
// at most 12 calls") and caching ("a repeat made no upstream call"). Served by GET /_double/stats.
//
//  calls                every request to an embedding endpoint, whatever its answer
//  embed_content_calls  embedContent calls answered with a vector
//  batch_calls          batchEmbedContents calls answered with vectors
//  embedded_inputs      vectors returned (one per Content)
//  rejected_calls       calls answered with an error the client caused (400, 404)
//  injected_faults      calls given an injected 429, 500, dropped connection or rate-limit 429
//  last_batch_sizes     request counts of the most recent successful batches, oldest first (at most 50)
//  recent_call_times_ms when the most recent calls arrived, in milliseconds since the double started
//                       (steady clock), oldest first (at most 200): tests check a client's rate limit
//  largest_body_bytes   the largest body of any embedding call, whatever its answer: tests check a
//                       client keeps every call within the 20 MB request cap
//  held_calls           answers waiting at the call gate now (call_gate.hpp; not reset by a reset)
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

namespace mosaic::gemini_double {

class call_statistics {
 public:
  static constexpr std::size_t remembered_batch_sizes = 50;
  static constexpr std::size_t remembered_call_times = 200;

  void record_call(std::size_t body_bytes);
  void record_embed_content();
  void record_batch(std::size_t requests);
  void record_rejection();
  void record_fault();
  void reset();

  // The JSON object above; the gate's count comes from the gate.
  [[nodiscard]] std::string to_json(std::size_t held_calls) const;

 private:
  mutable std::mutex mutex_;
  std::uint64_t calls_ = 0;
  std::uint64_t embed_content_calls_ = 0;
  std::uint64_t batch_calls_ = 0;
  std::uint64_t embedded_inputs_ = 0;
  std::uint64_t rejected_calls_ = 0;
  std::uint64_t injected_faults_ = 0;
  std::uint64_t largest_body_bytes_ = 0;
  std::deque<std::size_t> last_batch_sizes_;
  std::deque<std::int64_t> recent_call_times_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace mosaic::gemini_double
