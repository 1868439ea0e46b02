#include "call_statistics.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace mosaic::gemini_double {

void call_statistics::record_call(std::size_t body_bytes) {
  const std::lock_guard lock(mutex_);
  ++calls_;
  largest_body_bytes_ = std::max<std::uint64_t>(largest_body_bytes_, body_bytes);
  const auto elapsed = std::chrono::steady_clock::now() - started_;
  recent_call_times_.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count());
  if (recent_call_times_.size() > remembered_call_times) recent_call_times_.pop_front();
}

void call_statistics::record_embed_content() {
  const std::lock_guard lock(mutex_);
  ++embed_content_calls_;
  ++embedded_inputs_;
}

void call_statistics::record_batch(std::size_t requests) {
  const std::lock_guard lock(mutex_);
  ++batch_calls_;
  embedded_inputs_ += requests;
  last_batch_sizes_.push_back(requests);
  if (last_batch_sizes_.size() > remembered_batch_sizes) last_batch_sizes_.pop_front();
}

void call_statistics::record_rejection() {
  const std::lock_guard lock(mutex_);
  ++rejected_calls_;
}

void call_statistics::record_fault() {
  const std::lock_guard lock(mutex_);
  ++injected_faults_;
}

void call_statistics::reset() {
  const std::lock_guard lock(mutex_);
  calls_ = embed_content_calls_ = batch_calls_ = embedded_inputs_ = rejected_calls_ = injected_faults_ = 0;
  largest_body_bytes_ = 0;
  last_batch_sizes_.clear();
  recent_call_times_.clear();
}

std::string call_statistics::to_json(std::size_t held_calls) const {
  const std::lock_guard lock(mutex_);
  nlohmann::ordered_json statistics = {{"calls", calls_},
                               {"embed_content_calls", embed_content_calls_},
                               {"batch_calls", batch_calls_},
                               {"embedded_inputs", embedded_inputs_},
                               {"rejected_calls", rejected_calls_},
                               {"injected_faults", injected_faults_},
                               {"last_batch_sizes", last_batch_sizes_},
                               {"recent_call_times_ms", recent_call_times_},
                               {"largest_body_bytes", largest_body_bytes_},
                               {"held_calls", held_calls}};
  return statistics.dump();
}

}  // namespace mosaic::gemini_double
