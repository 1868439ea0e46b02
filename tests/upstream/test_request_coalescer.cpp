// The coalescer with fake senders: batching, the in-flight cap, the idle and max-wait flushes and
// error isolation, all without a network. Timing checks are loose lower bounds (and upper bounds
// only where the alternative is waiting a whole second longer).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <latch>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "embed/request_coalescer.hpp"

namespace {

using namespace mosaic::server;
using mosaic::error_code;
using std::chrono::milliseconds;
using clock_type = std::chrono::steady_clock;

embedding_input text_input(const std::string& text) {
  embedding_input input;
  input.parts.push_back({text, "", ""});
  return input;
}

// Each input's "vector" is its own number, read back from its text: a callback given another
// input's result would see the wrong number.
embedding_vectors echo_vectors(const coalesced_batch& batch) {
  embedding_vectors vectors;
  for (const auto& input : batch.inputs) vectors.push_back({std::stof(input.parts[0].text)});
  return vectors;
}

// Completes batches on its own thread after a short delay, like a network would, and records what
// it saw.
class delayed_sender {
 public:
  explicit delayed_sender(milliseconds latency) : latency_(latency), worker_([this] { run(); }) {}
  ~delayed_sender() {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    worker_.join();
  }

  batch_sender sender() {
    return [this](coalesced_batch batch, batch_completion completion) {
      const std::size_t now_in_flight = ++in_flight_;
      std::size_t seen = highest_in_flight_.load();
      while (now_in_flight > seen && !highest_in_flight_.compare_exchange_weak(seen, now_in_flight)) {
      }
      ++batches_;
      const std::lock_guard lock(mutex_);
      sizes_.push_back(batch.inputs.size());
      work_.push_back({clock_type::now() + latency_, std::move(batch), std::move(completion)});
      wake_.notify_all();
    };
  }

  std::size_t batches() const { return batches_.load(); }
  std::size_t highest_in_flight() const { return highest_in_flight_.load(); }
  std::vector<std::size_t> sizes() {
    const std::lock_guard lock(mutex_);
    return sizes_;
  }

 private:
  struct job {
    clock_type::time_point due;
    coalesced_batch batch;
    batch_completion completion;
  };

  void run() {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return stopping_ || !work_.empty(); });
      if (work_.empty()) return;
      job next = std::move(work_.front());
      work_.pop_front();
      lock.unlock();
      std::this_thread::sleep_until(next.due);  // simulated network latency, not synchronization
      auto vectors = echo_vectors(next.batch);
      --in_flight_;
      next.completion(std::move(vectors));
      lock.lock();
    }
  }

  milliseconds latency_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<job> work_;
  std::vector<std::size_t> sizes_;
  bool stopping_ = false;
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<std::size_t> highest_in_flight_{0};
  std::atomic<std::size_t> batches_{0};
  std::thread worker_;
};

// Waits for `count` callbacks and collects what each input heard.
class answers {
 public:
  explicit answers(std::size_t count) : results_(count), calls_(count) {}

  input_callback for_input(std::size_t index) {
    return [this, index](mosaic::result<std::vector<float>> outcome) {
      const std::lock_guard lock(mutex_);
      ++calls_[index];
      results_[index].emplace(std::move(outcome));
      ++finished_;
      wake_.notify_all();
    };
  }

  void wait_for_all() {
    std::unique_lock lock(mutex_);
    const bool all = wake_.wait_for(lock, std::chrono::seconds(30), [this] { return finished_ >= results_.size(); });
    REQUIRE(all);
  }

  const mosaic::result<std::vector<float>>& result_of(std::size_t index) { return *results_[index]; }
  int calls_of(std::size_t index) { return calls_[index]; }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::optional<mosaic::result<std::vector<float>>>> results_;
  std::vector<int> calls_;
  std::size_t finished_ = 0;
};

}  // namespace

TEST_CASE("coalescer: 1,000 inputs from 8 threads leave in at most 12 batches, each answered once with its own vector",
          "[coalescer]") {
  delayed_sender sender(milliseconds{2});
  // Generous gaps: on a loaded 2-core machine a submitting thread can stall for a few milliseconds.
  request_coalescer coalescer({100, milliseconds{50}, milliseconds{1'000}, 4}, sender.sender());
  constexpr std::size_t threads = 8;
  constexpr std::size_t per_thread = 125;
  answers heard(threads * per_thread);
  std::latch start(threads);
  std::vector<std::thread> submitters;
  for (std::size_t thread = 0; thread < threads; ++thread) {
    submitters.emplace_back([&, thread] {
      start.arrive_and_wait();
      for (std::size_t item = 0; item < per_thread; ++item) {
        const std::size_t index = thread * per_thread + item;
        std::vector<pending_input> one;
        one.push_back({text_input(std::to_string(index)), heard.for_input(index)});
        coalescer.submit({embedding_task::retrieval_query, 768}, std::move(one));
      }
    });
  }
  for (auto& submitter : submitters) submitter.join();
  heard.wait_for_all();

  CHECK(sender.batches() <= 12);
  CHECK(sender.batches() >= 10);
  for (const std::size_t size : sender.sizes()) CHECK(size <= 100);
  for (std::size_t index = 0; index < threads * per_thread; ++index) {
    INFO(index);
    CHECK(heard.calls_of(index) == 1);
    REQUIRE(heard.result_of(index).ok());
    CHECK(heard.result_of(index).value() == std::vector<float>{static_cast<float>(index)});
  }
}

TEST_CASE("coalescer: never more batches in flight than allowed", "[coalescer]") {
  delayed_sender sender(milliseconds{20});
  request_coalescer coalescer({100, milliseconds{5}, milliseconds{50}, 2}, sender.sender());
  answers heard(700);
  std::vector<pending_input> inputs;
  for (std::size_t index = 0; index < 700; ++index) inputs.push_back({text_input(std::to_string(index)), heard.for_input(index)});
  coalescer.submit({embedding_task::retrieval_query, 768}, std::move(inputs));
  heard.wait_for_all();
  CHECK(sender.batches() == 7);
  CHECK(sender.highest_in_flight() == 2);  // reached, never passed
  CHECK(sender.sizes() == std::vector<std::size_t>(7, 100));
}

TEST_CASE("coalescer: a lone input leaves after the idle gap, not the longest wait", "[coalescer]") {
  delayed_sender sender(milliseconds{0});
  request_coalescer coalescer({100, milliseconds{30}, milliseconds{5'000}, 4}, sender.sender());
  std::promise<clock_type::time_point> answered;
  const auto submitted = clock_type::now();
  std::vector<pending_input> one;
  one.push_back({text_input("7"), [&answered](mosaic::result<std::vector<float>> outcome) {
                   CHECK(outcome.ok());
                   answered.set_value(clock_type::now());
                 }});
  coalescer.submit({embedding_task::retrieval_query, 768}, std::move(one));
  const auto waited = answered.get_future().get() - submitted;
  CHECK(waited >= milliseconds{30});
  CHECK(waited < milliseconds{4'000});
}

TEST_CASE("coalescer: a steady trickle still leaves when the oldest input has waited batch_max_wait", "[coalescer]") {
  delayed_sender sender(milliseconds{0});
  request_coalescer coalescer({100, milliseconds{5'000}, milliseconds{40}, 4}, sender.sender());
  std::promise<clock_type::time_point> answered;
  const auto submitted = clock_type::now();
  std::vector<pending_input> one;
  one.push_back({text_input("1"), [&answered](mosaic::result<std::vector<float>>) { answered.set_value(clock_type::now()); }});
  coalescer.submit({embedding_task::retrieval_query, 768}, std::move(one));
  const auto waited = answered.get_future().get() - submitted;
  CHECK(waited >= milliseconds{40});
  CHECK(waited < milliseconds{4'000});
}

TEST_CASE("coalescer: groups travel apart, and a failed batch fails only its own inputs", "[coalescer]") {
  std::mutex seen_mutex;
  std::vector<coalescing_group> groups_seen;
  // Fails every batch of 512-dimension inputs, and any batch that starts with input "0".
  auto sender = [&](coalesced_batch batch, batch_completion completion) {
    {
      const std::lock_guard lock(seen_mutex);
      groups_seen.push_back(batch.group);
    }
    if (batch.group.dimensions == 512 || batch.inputs.front().parts[0].text == "0") {
      return completion(mosaic::make_error(error_code::upstream_unavailable, "no", 3));
    }
    completion(echo_vectors(batch));
  };
  request_coalescer coalescer({2, milliseconds{5}, milliseconds{50}, 4}, sender);
  answers heard(7);
  std::vector<pending_input> first_group;
  for (std::size_t index = 0; index < 4; ++index) first_group.push_back({text_input(std::to_string(index)), heard.for_input(index)});
  std::vector<pending_input> second_group;
  for (std::size_t index = 4; index < 7; ++index) second_group.push_back({text_input(std::to_string(index)), heard.for_input(index)});
  coalescer.submit({embedding_task::retrieval_query, 768}, std::move(first_group));
  coalescer.submit({embedding_task::retrieval_query, 512}, std::move(second_group));
  heard.wait_for_all();

  for (const std::size_t failed : {0u, 1u, 4u, 5u, 6u}) {
    INFO(failed);
    REQUIRE_FALSE(heard.result_of(failed).ok());
    CHECK(heard.result_of(failed).failure().retry_after_seconds == 3);
  }
  for (const std::size_t succeeded : {2u, 3u}) {
    REQUIRE(heard.result_of(succeeded).ok());
    CHECK(heard.result_of(succeeded).value() == std::vector<float>{static_cast<float>(succeeded)});
  }
  const std::lock_guard lock(seen_mutex);
  for (const auto& group : groups_seen) CHECK((group.dimensions == 768 || group.dimensions == 512));
  CHECK(groups_seen.size() == 4);  // 768: two batches of 2; 512: one of 2 and one of 1
}

TEST_CASE("coalescer: a sender answering the wrong number of vectors fails the batch", "[coalescer]") {
  request_coalescer coalescer({100, milliseconds{1}, milliseconds{10}, 1},
                              [](coalesced_batch, batch_completion completion) { completion(embedding_vectors{{1.0f}}); });
  answers heard(2);
  std::vector<pending_input> inputs;
  inputs.push_back({text_input("0"), heard.for_input(0)});
  inputs.push_back({text_input("1"), heard.for_input(1)});
  coalescer.submit({embedding_task::retrieval_query, 1}, std::move(inputs));
  heard.wait_for_all();
  REQUIRE_FALSE(heard.result_of(0).ok());
  CHECK(heard.result_of(1).failure().message.find("1 vectors for 2 inputs") != std::string::npos);
}

TEST_CASE("coalescer: stopping fails what is still queued, exactly once", "[coalescer]") {
  answers heard(3);
  {
    std::atomic<int> sent{0};
    request_coalescer coalescer({100, milliseconds{60'000}, milliseconds{60'000}, 1},
                                [&sent](coalesced_batch, batch_completion) { ++sent; });
    std::vector<pending_input> inputs;
    for (std::size_t index = 0; index < 3; ++index) inputs.push_back({text_input(std::to_string(index)), heard.for_input(index)});
    coalescer.submit({embedding_task::retrieval_query, 1}, std::move(inputs));
    // Leaving the scope destroys the coalescer before either deadline.
    CHECK(sent.load() == 0);
  }
  heard.wait_for_all();
  for (std::size_t index = 0; index < 3; ++index) {
    CHECK(heard.calls_of(index) == 1);
    REQUIRE_FALSE(heard.result_of(index).ok());
    CHECK(heard.result_of(index).failure().code == error_code::upstream_unavailable);
  }
}

namespace {

// Records every batch in the order it is sent (the dispatcher sends one at a time) as the numbers of
// its inputs, and answers each input with its own number, at once.
class recording_sender {
 public:
  batch_sender sender() {
    return [this](coalesced_batch batch, batch_completion completion) {
      std::vector<std::size_t> numbers;
      for (const auto& input : batch.inputs) numbers.push_back(std::stoul(input.parts[0].text));
      {
        const std::lock_guard lock(mutex_);
        batches_.push_back(std::move(numbers));
        wake_.notify_all();
      }
      completion(echo_vectors(batch));
    };
  }

  std::vector<std::vector<std::size_t>> batches() {
    const std::lock_guard lock(mutex_);
    return batches_;
  }

  bool wait_for_batches(std::size_t count) {
    std::unique_lock lock(mutex_);
    return wake_.wait_for(lock, std::chrono::seconds(30), [&] { return batches_.size() >= count; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::vector<std::size_t>> batches_;
};

pending_input sized_input(std::size_t number, std::size_t request_bytes, input_callback done) {
  return {text_input(std::to_string(number)), std::move(done), request_bytes};
}

}  // namespace

TEST_CASE("coalescer: batches keep within the byte budget, in order, split only where the budget cuts", "[coalescer][budget]") {
  recording_sender sender;
  constexpr std::size_t budget = 1'000;
  // No idle gap or longest wait can send anything during the test: only a full batch leaves.
  request_coalescer coalescer({100, milliseconds{60'000}, milliseconds{60'000}, 4, budget}, sender.sender());
  const std::vector<std::size_t> sizes{400, 400, 400, 100, 100, 900, 50};
  answers heard(sizes.size());
  std::vector<pending_input> inputs;
  for (std::size_t index = 0; index < sizes.size(); ++index) inputs.push_back(sized_input(index, sizes[index], heard.for_input(index)));
  coalescer.submit({embedding_task::retrieval_document, 768}, std::move(inputs));

  // 3,300 queued bytes fill a call: the first two batches leave at once, cut where the next input
  // would pass the budget (800 + 400, then 600 + 900). The rest (950 bytes) fills no call and waits.
  REQUIRE(sender.wait_for_batches(2));
  std::this_thread::sleep_for(milliseconds{50});  // room for a wrong third batch to show up
  CHECK(sender.batches() == std::vector<std::vector<std::size_t>>{{0, 1}, {2, 3, 4}});
  for (std::size_t index = 0; index < 5; ++index) {
    REQUIRE(heard.result_of(index).ok());
    CHECK(heard.result_of(index).value() == std::vector<float>{static_cast<float>(index)});
  }
  coalescer.stop();  // the waiting two hear the shutdown, once
  heard.wait_for_all();
  for (const std::size_t waiting : {5u, 6u}) {
    CHECK(heard.calls_of(waiting) == 1);
    REQUIRE_FALSE(heard.result_of(waiting).ok());
    CHECK(heard.result_of(waiting).failure().code == error_code::upstream_unavailable);
  }
  for (std::size_t index = 0; index < 5; ++index) CHECK(heard.calls_of(index) == 1);
}

TEST_CASE("coalescer: an input over the budget on its own travels alone, and the count still caps a batch", "[coalescer][budget]") {
  recording_sender sender;
  request_coalescer coalescer({3, milliseconds{5}, milliseconds{50}, 1, 1'000}, sender.sender());
  const std::vector<std::size_t> sizes{300, 5'000, 300, 10, 10, 10, 10};
  answers heard(sizes.size());
  std::vector<pending_input> inputs;
  for (std::size_t index = 0; index < sizes.size(); ++index) inputs.push_back(sized_input(index, sizes[index], heard.for_input(index)));
  coalescer.submit({embedding_task::retrieval_query, 768}, std::move(inputs));
  heard.wait_for_all();
  CHECK(sender.batches() == std::vector<std::vector<std::size_t>>{{0}, {1}, {2, 3, 4}, {5, 6}});
  for (std::size_t index = 0; index < sizes.size(); ++index) {
    CHECK(heard.calls_of(index) == 1);
    REQUIRE(heard.result_of(index).ok());
    CHECK(heard.result_of(index).value() == std::vector<float>{static_cast<float>(index)});
  }
}

TEST_CASE("coalescer: many callers of random sizes never pass the budget, and each caller's inputs keep their order",
          "[coalescer][budget]") {
  recording_sender sender;
  constexpr std::size_t budget = 1'000;
  request_coalescer coalescer({100, milliseconds{2}, milliseconds{20}, 2, budget}, sender.sender());
  constexpr std::size_t threads = 6;
  constexpr std::size_t per_thread = 150;
  std::vector<std::size_t> sizes(threads * per_thread);
  std::mt19937 random(20'261'123);
  for (auto& size : sizes) size = std::uniform_int_distribution<std::size_t>(1, 700)(random);
  answers heard(sizes.size());
  std::latch start(threads);
  std::vector<std::thread> submitters;
  for (std::size_t thread = 0; thread < threads; ++thread) {
    submitters.emplace_back([&, thread] {
      std::mt19937 own_random(static_cast<unsigned>(thread));
      start.arrive_and_wait();
      std::size_t item = 0;
      while (item < per_thread) {
        // A caller sends 1 to 5 inputs at once, as /api/embed and the indexer do.
        const std::size_t together = std::min<std::size_t>(per_thread - item, std::uniform_int_distribution<std::size_t>(1, 5)(own_random));
        std::vector<pending_input> inputs;
        for (std::size_t index = 0; index < together; ++index, ++item) {
          const std::size_t number = thread * per_thread + item;
          inputs.push_back(sized_input(number, sizes[number], heard.for_input(number)));
        }
        coalescer.submit({embedding_task::retrieval_query, 768}, std::move(inputs));
      }
    });
  }
  for (auto& submitter : submitters) submitter.join();
  heard.wait_for_all();

  std::vector<std::size_t> next_of_thread(threads, 0);
  std::size_t sent = 0;
  for (const auto& batch : sender.batches()) {
    REQUIRE_FALSE(batch.empty());
    std::size_t bytes = 0;
    for (const std::size_t number : batch) bytes += sizes[number];
    INFO("a batch of " << batch.size() << " inputs and " << bytes << " bytes");
    CHECK(bytes <= budget);  // every size is under the budget, so no batch may pass it
    for (const std::size_t number : batch) {
      const std::size_t thread = number / per_thread;
      CHECK(number % per_thread == next_of_thread[thread]);  // each caller's inputs leave in its order
      next_of_thread[thread] = number % per_thread + 1;
      ++sent;
    }
  }
  CHECK(sent == sizes.size());
  for (std::size_t number = 0; number < sizes.size(); ++number) {
    INFO(number);
    CHECK(heard.calls_of(number) == 1);
    REQUIRE(heard.result_of(number).ok());
    CHECK(heard.result_of(number).value() == std::vector<float>{static_cast<float>(number)});
  }
}
