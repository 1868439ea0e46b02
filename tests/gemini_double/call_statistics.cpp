#include "call_statistics.hpp"

#include <nlohmann/json.hpp>

namespace mosaic::gemini_double {

void call_statistics::record_call() {
  const std::lock_guard lock(mutex_);
  ++calls_;
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
  last_batch_sizes_.clear();
}

std::string call_statistics::to_json() const {
  const std::lock_guard lock(mutex_);
  nlohmann::ordered_json statistics = {{"calls", calls_},
                               {"embed_content_calls", embed_content_calls_},
                               {"batch_calls", batch_calls_},
                               {"embedded_inputs", embedded_inputs_},
                               {"rejected_calls", rejected_calls_},
                               {"injected_faults", injected_faults_},
                               {"last_batch_sizes", last_batch_sizes_}};
  return statistics.dump();
}

}  // namespace mosaic::gemini_double
