#include "embed/caching_provider.hpp"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mosaic::server {
namespace {

struct key_hash {
  std::size_t operator()(const embedding_cache_key& key) const noexcept {
    std::size_t value = 0;
    for (std::size_t i = 0; i < sizeof(std::size_t); ++i) value = (value << 8) | key[i];
    return value;
  }
};

// One caller's batch while parts of it are still being embedded. Each input is answered exactly once
// (from the cache, or by the flight it started or joined); `done` runs once, when the last input is
// answered or at the first error.
class pending_request {
 public:
  pending_request(std::size_t inputs, embedding_callback done) : vectors_(inputs), remaining_(inputs), done_(std::move(done)) {}

  // Returns the callback to run (outside every lock) once the request is complete.
  // By value: a cache hit moves its vector in; a flight shared by several waiters copies it for each.
  std::optional<std::pair<embedding_callback, result<embedding_vectors>>> answer(std::size_t index,
                                                                                 result<std::vector<float>> answer) {
    std::lock_guard lock(mutex_);
    if (finished_) return std::nullopt;
    if (!answer) {
      finished_ = true;
      return std::pair{std::move(done_), result<embedding_vectors>(answer.failure())};
    }
    vectors_[index] = std::move(answer).value();
    if (--remaining_ > 0) return std::nullopt;
    finished_ = true;
    return std::pair{std::move(done_), result<embedding_vectors>(std::move(vectors_))};
  }

 private:
  std::mutex mutex_;
  embedding_vectors vectors_;
  std::size_t remaining_;
  bool finished_ = false;
  embedding_callback done_;
};

struct waiter {
  std::shared_ptr<pending_request> request;
  std::size_t index;
};

void deliver(const std::vector<waiter>& waiters, const result<std::vector<float>>& answer) {
  for (const waiter& each : waiters) {
    if (auto completion = each.request->answer(each.index, answer)) completion->first(std::move(completion->second));
  }
}

}  // namespace

class caching_provider::implementation {
 public:
  implementation(embedding_provider& inner, embedding_cache& cache, std::string salt)
      : inner_(inner), cache_(cache), key_model_(std::to_string(inner.model_id().size()) + ':' + inner.model_id() + salt) {}

  ~implementation() {
    // Inner callbacks refer to this object: wait until every flight has landed.
    std::unique_lock lock(mutex_);
    landed_.wait(lock, [this] { return flights_in_the_air_ == 0; });
  }

  embedding_provider& inner() { return inner_; }
  void embed(embedding_batch batch, embedding_callback done);

 private:
  // Answers every waiter of the flight that embedded `keys` (in order) with `answers` or the error.
  void land(const std::vector<embedding_cache_key>& keys, std::size_t dimensions, result<embedding_vectors> answers);

  embedding_provider& inner_;
  embedding_cache& cache_;
  std::string key_model_;  // the model id's length, the id and the salt: ("ab","c") and ("a","bc") differ

  std::mutex mutex_;
  // Inputs on their way to the inner provider and who waits for each. Invariant: a key is here from
  // the moment its flight is decided until after its vector is in the cache, so a caller that finds
  // neither a flight nor a cached vector (both checked under mutex_) really has to ask.
  std::unordered_map<embedding_cache_key, std::vector<waiter>, key_hash> in_flight_;
  std::size_t flights_in_the_air_ = 0;
  std::condition_variable landed_;
};

void caching_provider::implementation::embed(embedding_batch batch, embedding_callback done) {
  // 0 and the explicit full size ask for the same vectors: one key for both.
  const std::size_t dimensions = batch.dimensions == 0 ? inner_.dimensions() : batch.dimensions;
  const std::size_t count = batch.inputs.size();
  if (count == 0) {
    done(embedding_vectors{});
    return;
  }
  auto request = std::make_shared<pending_request>(count, std::move(done));

  std::vector<std::pair<std::size_t, std::vector<float>>> hits;
  embedding_batch misses;
  misses.task = batch.task;
  misses.dimensions = batch.dimensions;
  std::vector<embedding_cache_key> miss_keys;
  {
    std::lock_guard lock(mutex_);
    for (std::size_t index = 0; index < count; ++index) {
      const embedding_cache_key key = make_embedding_cache_key(key_model_, dimensions, batch.task, batch.inputs[index]);
      if (auto flight = in_flight_.find(key); flight != in_flight_.end()) {
        flight->second.push_back({request, index});
        continue;
      }
      if (auto cached = cache_.find(key); cached && cached->size() == dimensions) {
        hits.emplace_back(index, std::move(*cached));
        continue;
      }
      in_flight_[key].push_back({request, index});
      miss_keys.push_back(key);
      misses.inputs.push_back(std::move(batch.inputs[index]));
    }
    if (!miss_keys.empty()) ++flights_in_the_air_;
  }

  // Every call below may complete the request and run the caller's callback: no lock is held.
  for (auto& [index, vector] : hits) {
    if (auto completion = request->answer(index, std::move(vector))) completion->first(std::move(completion->second));
  }
  if (miss_keys.empty()) return;
  inner_.embed(std::move(misses), [this, keys = std::move(miss_keys), dimensions](result<embedding_vectors> answers) {
    land(keys, dimensions, std::move(answers));
  });
}

void caching_provider::implementation::land(const std::vector<embedding_cache_key>& keys, std::size_t dimensions,
                                            result<embedding_vectors> answers) {
  if (answers) {
    // A provider that breaks its contract must not poison the cache.
    bool well_formed = answers->size() == keys.size();
    for (std::size_t i = 0; well_formed && i < keys.size(); ++i) well_formed = (*answers)[i].size() == dimensions;
    if (!well_formed) {
      answers = make_error(error_code::dimension_mismatch,
                           "the provider " + inner_.model_id() + " answered " + std::to_string(answers->size()) +
                               " vectors of the wrong count or size for " + std::to_string(keys.size()) + " inputs of " +
                               std::to_string(dimensions) + " dimensions");
    }
  }
  if (answers) {
    // Stored before the flight leaves in_flight_ (see the invariant). A failed file write still leaves
    // the vector in the memory level, and the caller gets its answer either way.
    for (std::size_t i = 0; i < keys.size(); ++i) static_cast<void>(cache_.store(keys[i], (*answers)[i]));
  }
  std::vector<std::vector<waiter>> waiters(keys.size());
  {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < keys.size(); ++i) {
      auto flight = in_flight_.find(keys[i]);
      waiters[i] = std::move(flight->second);
      in_flight_.erase(flight);
    }
  }
  for (std::size_t i = 0; i < keys.size(); ++i) {
    // Errors are not cached: the next caller asks again.
    deliver(waiters[i], answers ? result<std::vector<float>>((*answers)[i]) : result<std::vector<float>>(answers.failure()));
  }
  // Last: after this the destructor may run.
  std::lock_guard lock(mutex_);
  --flights_in_the_air_;
  landed_.notify_all();
}

caching_provider::caching_provider(embedding_provider& inner, embedding_cache& cache, std::string salt)
    : implementation_(std::make_unique<implementation>(inner, cache, std::move(salt))) {}
caching_provider::~caching_provider() = default;

const std::string& caching_provider::model_id() const noexcept { return implementation_->inner().model_id(); }
std::size_t caching_provider::dimensions() const noexcept { return implementation_->inner().dimensions(); }
bool caching_provider::accepts_mime_type(std::string_view mime_type) const noexcept {
  return implementation_->inner().accepts_mime_type(mime_type);
}
void caching_provider::embed(embedding_batch batch, embedding_callback done) {
  implementation_->embed(std::move(batch), std::move(done));
}

}  // namespace mosaic::server
