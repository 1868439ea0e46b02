// The coalescer with fake senders and a clock the test moves by hand: batching, the in-flight cap,
// the idle and max-wait flushes, groups, error isolation and the byte budget, all without a network
// and without real time. Time stands still unless a test advances it, and after every advance the
// dispatcher has looked at the new time before the test checks, so every count and every batch below
// is exact: no outcome depends on the scheduler or on the machine's speed. One test runs the
// production clock and checks only what no delay can break.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <latch>
#include <map>
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

constexpr auto hang_limit = std::chrono::seconds(30);  // only ever reached when something is broken

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

// Time that moves only when the test says so. advance() moves it and then waits until the
// coalescer's dispatcher has looked at the new time (and at everything the test did before the
// call) and gone back to sleep; settle() does the same without moving time. So after either, the
// batches sent are exactly those the coalescer's rules send at that time. Serves one dispatcher.
//
// How "has looked" is known: every advance starts a new epoch; now() notes the epoch each thread
// last saw, and wait_until() refuses to sleep (returns at once, so the dispatcher looks again) when
// the dispatcher's last look is from an older epoch. A sleep entered in the current epoch therefore
// follows a look at the current time, under the coalescer's lock, after all that came before.
class manual_clock final : public coalescer_clock {
 public:
  [[nodiscard]] time_point now() const override {
    const std::lock_guard lock(mutex_);
    last_look_[std::this_thread::get_id()] = epoch_;
    return now_;
  }

  void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& wake, time_point deadline) override {
    {
      const std::lock_guard own(mutex_);
      const auto look = last_look_.find(std::this_thread::get_id());
      if (look == last_look_.end() || look->second != epoch_ || now_ >= deadline) return;
      sleeper_mutex_ = lock.mutex();
      sleeper_wake_ = &wake;
      asleep_epoch_ = epoch_;
      asleep_ = true;
      settled_.notify_all();
    }
    wake.wait(lock);
    const std::lock_guard own(mutex_);
    asleep_ = false;
  }

  void advance(milliseconds step) {
    std::mutex* sleeper_mutex = nullptr;
    std::condition_variable* sleeper_wake = nullptr;
    {
      const std::lock_guard own(mutex_);
      now_ += step;
      ++epoch_;
      if (asleep_) {
        sleeper_mutex = sleeper_mutex_;
        sleeper_wake = sleeper_wake_;
      }
    }
    // Under the sleeper's own lock, so the wake-up cannot fall between its look and its sleep.
    if (sleeper_wake != nullptr) {
      const std::lock_guard sleeper(*sleeper_mutex);
      sleeper_wake->notify_all();
    }
    std::unique_lock own(mutex_);
    const bool settled = settled_.wait_for(own, hang_limit, [this] { return asleep_ && asleep_epoch_ == epoch_; });
    REQUIRE(settled);
  }

  void settle() { advance(milliseconds{0}); }

 private:
  mutable std::mutex mutex_;
  std::condition_variable settled_;
  time_point now_{std::chrono::hours(1)};
  std::uint64_t epoch_ = 0;
  mutable std::map<std::thread::id, std::uint64_t> last_look_;
  bool asleep_ = false;
  std::uint64_t asleep_epoch_ = 0;
  std::mutex* sleeper_mutex_ = nullptr;
  std::condition_variable* sleeper_wake_ = nullptr;
};

// Records every batch as the numbers of its inputs, in the order sent (the dispatcher sends one at a
// time). It answers each input with its own number: at once, on the dispatcher's thread, or, when
// holding, only when the test calls complete_oldest(), on the test's thread.
class fake_sender {
 public:
  enum class mode { answer_at_once, hold };
  explicit fake_sender(mode how = mode::answer_at_once) : mode_(how) {}

  batch_sender sender() {
    return [this](coalesced_batch batch, batch_completion completion) {
      std::vector<std::size_t> numbers;
      for (const auto& input : batch.inputs) numbers.push_back(std::stoul(input.parts[0].text));
      {
        const std::lock_guard lock(mutex_);
        batches_.push_back(std::move(numbers));
        highest_in_flight_ = std::max(highest_in_flight_, held_.size() + 1);
        if (mode_ == mode::hold) {
          held_.push_back({std::move(batch), std::move(completion)});
          return;
        }
      }
      completion(echo_vectors(batch));
    };
  }

  // Answers the oldest held batch, here and now.
  void complete_oldest() {
    held_batch oldest;
    {
      const std::lock_guard lock(mutex_);
      REQUIRE_FALSE(held_.empty());
      oldest = std::move(held_.front());
      held_.pop_front();
    }
    oldest.completion(echo_vectors(oldest.batch));
  }

  std::vector<std::vector<std::size_t>> batches() {
    const std::lock_guard lock(mutex_);
    return batches_;
  }
  std::vector<std::size_t> sizes() {
    std::vector<std::size_t> sizes;
    for (const auto& batch : batches()) sizes.push_back(batch.size());
    return sizes;
  }
  std::size_t count() { return batches().size(); }
  std::size_t held() {
    const std::lock_guard lock(mutex_);
    return held_.size();
  }
  std::size_t highest_in_flight() {
    const std::lock_guard lock(mutex_);
    return highest_in_flight_;
  }

 private:
  struct held_batch {
    coalesced_batch batch;
    batch_completion completion;
  };
  mode mode_;
  std::mutex mutex_;
  std::vector<std::vector<std::size_t>> batches_;
  std::deque<held_batch> held_;
  std::size_t highest_in_flight_ = 0;
};

// Collects what each input heard, and waits for a number of answers.
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

  void wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    const bool reached = wake_.wait_for(lock, hang_limit, [&] { return finished_ >= count; });
    REQUIRE(reached);
  }
  void wait_for_all() { wait_for(results_.size()); }

  std::size_t finished() {
    const std::lock_guard lock(mutex_);
    return finished_;
  }
  const mosaic::result<std::vector<float>>& result_of(std::size_t index) { return *results_[index]; }
  int calls_of(std::size_t index) {
    const std::lock_guard lock(mutex_);
    return calls_[index];
  }

  // Every input answered exactly once, with its own number.
  void check_each_answered_with_its_own_vector() {
    for (std::size_t index = 0; index < results_.size(); ++index) {
      INFO(index);
      CHECK(calls_of(index) == 1);
      REQUIRE(results_[index].has_value());
      REQUIRE(result_of(index).ok());
      CHECK(result_of(index).value() == std::vector<float>{static_cast<float>(index)});
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::optional<mosaic::result<std::vector<float>>>> results_;
  std::vector<int> calls_;
  std::size_t finished_ = 0;
};

pending_input numbered_input(std::size_t number, input_callback done, std::size_t request_bytes = 0) {
  return {text_input(std::to_string(number)), std::move(done), request_bytes};
}

std::vector<pending_input> numbered_inputs(std::size_t first, std::size_t count, answers& heard) {
  std::vector<pending_input> inputs;
  for (std::size_t number = first; number < first + count; ++number) inputs.push_back(numbered_input(number, heard.for_input(number)));
  return inputs;
}

// The coalescer shares its clock; a test's clock lives on the test's stack, declared before (so
// destroyed after) the coalescer.
std::shared_ptr<coalescer_clock> borrowed(manual_clock& clock) {
  return std::shared_ptr<coalescer_clock>(&clock, [](coalescer_clock*) {});
}

const coalescing_group queries{embedding_task::retrieval_query, 768};

coalescer_options options_of(std::size_t batch_size, milliseconds idle, milliseconds max_wait, std::size_t calls,
                             std::size_t batch_bytes = 0) {
  return {batch_size, idle, max_wait, calls, batch_bytes};
}

}  // namespace

TEST_CASE("coalescer: 1,050 inputs from 7 threads leave as exactly 10 full batches while time stands still, the rest after the idle gap",
          "[coalescer]") {
  manual_clock clock;
  fake_sender sent;
  request_coalescer coalescer(options_of(100, milliseconds{10}, milliseconds{200}, 4), sent.sender(),
                              borrowed(clock));
  constexpr std::size_t threads = 7;
  constexpr std::size_t per_thread = 150;
  answers heard(threads * per_thread);
  std::latch start(threads);
  std::vector<std::thread> submitters;
  for (std::size_t thread = 0; thread < threads; ++thread) {
    submitters.emplace_back([&, thread] {
      start.arrive_and_wait();
      for (std::size_t item = 0; item < per_thread; ++item) {
        const std::size_t number = thread * per_thread + item;
        std::vector<pending_input> one;
        one.push_back(numbered_input(number, heard.for_input(number)));
        coalescer.submit(queries, std::move(one));
      }
    });
  }
  for (auto& submitter : submitters) submitter.join();
  // However the threads interleaved, no deadline has passed: only full batches can have left.
  heard.wait_for(1'000);
  clock.settle();
  CHECK(sent.sizes() == std::vector<std::size_t>(10, 100));
  CHECK(heard.finished() == 1'000);
  CHECK(coalescer.queued_inputs() == 50);
  clock.advance(milliseconds{9});
  CHECK(sent.count() == 10);
  clock.advance(milliseconds{1});  // the idle gap since the last arrival, and no call is out
  heard.wait_for_all();
  std::vector<std::size_t> expected(10, 100);
  expected.push_back(50);
  CHECK(sent.sizes() == expected);
  CHECK(coalescer.queued_inputs() == 0);
  heard.check_each_answered_with_its_own_vector();
}

TEST_CASE("coalescer: never more batches in flight than allowed; each answer frees exactly one call", "[coalescer]") {
  manual_clock clock;
  fake_sender sent(fake_sender::mode::hold);
  request_coalescer coalescer(options_of(100, milliseconds{5}, milliseconds{50}, 2), sent.sender(),
                              borrowed(clock));
  answers heard(700);
  coalescer.submit(queries, numbered_inputs(0, 700, heard));
  clock.settle();
  CHECK(sent.count() == 2);
  CHECK(coalescer.queued_inputs() == 500);
  // Time passing sends nothing more: every call slot is taken.
  clock.advance(milliseconds{1'000});
  CHECK(sent.count() == 2);
  for (std::size_t answered = 1; answered <= 7; ++answered) {
    sent.complete_oldest();
    clock.settle();
    INFO(answered << " batches answered");
    CHECK(sent.count() == std::min<std::size_t>(answered + 2, 7));
    CHECK(sent.held() == std::min<std::size_t>(7 - answered, 2));
  }
  heard.wait_for_all();
  CHECK(sent.sizes() == std::vector<std::size_t>(7, 100));
  CHECK(sent.highest_in_flight() == 2);
  // In arrival order: batch k holds inputs 100k to 100k+99.
  const auto batches = sent.batches();
  for (std::size_t batch = 0; batch < batches.size(); ++batch) CHECK(batches[batch].front() == batch * 100);
  heard.check_each_answered_with_its_own_vector();
}

TEST_CASE("coalescer: a lone input leaves exactly when the idle gap has passed, not before", "[coalescer]") {
  manual_clock clock;
  fake_sender sent;
  request_coalescer coalescer(options_of(100, milliseconds{10}, milliseconds{200}, 4), sent.sender(),
                              borrowed(clock));
  answers heard(1);
  coalescer.submit(queries, numbered_inputs(0, 1, heard));
  clock.settle();
  CHECK(sent.count() == 0);
  clock.advance(milliseconds{9});
  CHECK(sent.count() == 0);
  clock.advance(milliseconds{1});
  CHECK(sent.batches() == std::vector<std::vector<std::size_t>>{{0}});
  heard.wait_for_all();
  heard.check_each_answered_with_its_own_vector();
}

TEST_CASE("coalescer: a steady trickle leaves when its oldest input has waited batch_max_wait", "[coalescer]") {
  manual_clock clock;
  fake_sender sent;
  request_coalescer coalescer(options_of(100, milliseconds{10}, milliseconds{40}, 4), sent.sender(),
                              borrowed(clock));
  answers heard(8);
  // One input every 5 ms: never an idle gap of 10 ms.
  for (std::size_t number = 0; number < 8; ++number) {
    coalescer.submit(queries, numbered_inputs(number, 1, heard));
    clock.advance(milliseconds{5});
    INFO("after the input of " << number * 5 << " ms");
    CHECK(sent.count() == (number < 7 ? 0u : 1u));
  }
  CHECK(sent.batches() == std::vector<std::vector<std::size_t>>{{0, 1, 2, 3, 4, 5, 6, 7}});
  heard.wait_for_all();
  heard.check_each_answered_with_its_own_vector();
}

TEST_CASE("coalescer: while a call is out a partial batch keeps filling past the idle gap; it leaves when the call returns or at batch_max_wait",
          "[coalescer]") {
  manual_clock clock;
  fake_sender sent(fake_sender::mode::hold);
  request_coalescer coalescer(options_of(100, milliseconds{10}, milliseconds{200}, 4), sent.sender(),
                              borrowed(clock));
  answers heard(5);
  coalescer.submit(queries, numbered_inputs(0, 1, heard));
  clock.advance(milliseconds{10});
  CHECK(sent.batches() == std::vector<std::vector<std::size_t>>{{0}});
  coalescer.submit(queries, numbered_inputs(1, 3, heard));
  clock.advance(milliseconds{60});  // far past the idle gap, but a call is out
  CHECK(sent.count() == 1);
  sent.complete_oldest();
  clock.settle();
  CHECK(sent.batches() == std::vector<std::vector<std::size_t>>{{0}, {1, 2, 3}});
  // With {1, 2, 3} out, input 4 waits for batch_max_wait.
  coalescer.submit(queries, numbered_inputs(4, 1, heard));
  clock.advance(milliseconds{199});
  CHECK(sent.count() == 2);
  clock.advance(milliseconds{1});
  CHECK(sent.batches() == std::vector<std::vector<std::size_t>>{{0}, {1, 2, 3}, {4}});
  sent.complete_oldest();
  sent.complete_oldest();
  heard.wait_for_all();
  heard.check_each_answered_with_its_own_vector();
}

TEST_CASE("coalescer: groups travel apart, and a failed batch fails only its own inputs", "[coalescer]") {
  manual_clock clock;
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
  request_coalescer coalescer(options_of(2, milliseconds{5}, milliseconds{50}, 4), sender,
                              borrowed(clock));
  answers heard(7);
  coalescer.submit({embedding_task::retrieval_query, 768}, numbered_inputs(0, 4, heard));
  coalescer.submit({embedding_task::retrieval_query, 512}, numbered_inputs(4, 3, heard));
  clock.settle();
  auto seen = [&] {
    const std::lock_guard lock(seen_mutex);
    return groups_seen;
  };
  CHECK(seen().size() == 3);  // the full ones: 768 twice, 512 once
  clock.advance(milliseconds{5});
  heard.wait_for_all();
  CHECK(seen().size() == 4);  // 512's last input, alone
  for (const auto& group : seen()) CHECK((group.dimensions == 768 || group.dimensions == 512));

  for (const std::size_t failed : {0u, 1u, 4u, 5u, 6u}) {
    INFO(failed);
    REQUIRE_FALSE(heard.result_of(failed).ok());
    CHECK(heard.result_of(failed).failure().retry_after_seconds == 3);
  }
  for (const std::size_t succeeded : {2u, 3u}) {
    REQUIRE(heard.result_of(succeeded).ok());
    CHECK(heard.result_of(succeeded).value() == std::vector<float>{static_cast<float>(succeeded)});
  }
}

TEST_CASE("coalescer: a sender answering the wrong number of vectors fails the batch", "[coalescer]") {
  manual_clock clock;
  request_coalescer coalescer(options_of(100, milliseconds{1}, milliseconds{10}, 1),
                              [](coalesced_batch, batch_completion completion) { completion(embedding_vectors{{1.0f}}); },
                              borrowed(clock));
  answers heard(2);
  coalescer.submit({embedding_task::retrieval_query, 1}, numbered_inputs(0, 2, heard));
  clock.advance(milliseconds{1});
  heard.wait_for_all();
  REQUIRE_FALSE(heard.result_of(0).ok());
  CHECK(heard.result_of(1).failure().message.find("1 vectors for 2 inputs") != std::string::npos);
}

TEST_CASE("coalescer: stopping fails what is still queued, exactly once", "[coalescer]") {
  manual_clock clock;
  answers heard(3);
  {
    std::atomic<int> sent{0};
    request_coalescer coalescer(options_of(100, milliseconds{10}, milliseconds{200}, 1),
                                [&sent](coalesced_batch, batch_completion) { ++sent; },
                                borrowed(clock));
    coalescer.submit({embedding_task::retrieval_query, 1}, numbered_inputs(0, 3, heard));
    clock.settle();
    CHECK(sent.load() == 0);
    // Leaving the scope destroys the coalescer before either deadline.
  }
  heard.wait_for_all();
  for (std::size_t index = 0; index < 3; ++index) {
    CHECK(heard.calls_of(index) == 1);
    REQUIRE_FALSE(heard.result_of(index).ok());
    CHECK(heard.result_of(index).failure().code == error_code::upstream_unavailable);
  }
}

TEST_CASE("coalescer: batches keep within the byte budget, in order, split only where the budget cuts", "[coalescer][budget]") {
  manual_clock clock;
  fake_sender sent;
  constexpr std::size_t budget = 1'000;
  request_coalescer coalescer(options_of(100, milliseconds{10}, milliseconds{200}, 4, budget), sent.sender(),
                              borrowed(clock));
  const std::vector<std::size_t> sizes{400, 400, 400, 100, 100, 900, 50};
  answers heard(sizes.size());
  std::vector<pending_input> inputs;
  for (std::size_t index = 0; index < sizes.size(); ++index) inputs.push_back(numbered_input(index, heard.for_input(index), sizes[index]));
  coalescer.submit({embedding_task::retrieval_document, 768}, std::move(inputs));

  // 3,300 queued bytes fill a call: the first two batches leave at once, cut where the next input
  // would pass the budget (800 + 400, then 600 + 900). The rest (950 bytes) fills no call and waits.
  clock.settle();
  CHECK(sent.batches() == std::vector<std::vector<std::size_t>>{{0, 1}, {2, 3, 4}});
  heard.wait_for(5);
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
  manual_clock clock;
  fake_sender sent;
  request_coalescer coalescer(options_of(3, milliseconds{5}, milliseconds{50}, 1, 1'000), sent.sender(),
                              borrowed(clock));
  const std::vector<std::size_t> sizes{300, 5'000, 300, 10, 10, 10, 10};
  answers heard(sizes.size());
  std::vector<pending_input> inputs;
  for (std::size_t index = 0; index < sizes.size(); ++index) inputs.push_back(numbered_input(index, heard.for_input(index), sizes[index]));
  coalescer.submit(queries, std::move(inputs));
  clock.settle();
  CHECK(sent.batches() == std::vector<std::vector<std::size_t>>{{0}, {1}, {2, 3, 4}});  // full by bytes, then by count
  clock.advance(milliseconds{5});
  heard.wait_for_all();
  CHECK(sent.batches() == std::vector<std::vector<std::size_t>>{{0}, {1}, {2, 3, 4}, {5, 6}});
  heard.check_each_answered_with_its_own_vector();
}

TEST_CASE("coalescer: many callers of random sizes never pass the budget, and each caller's inputs keep their order",
          "[coalescer][budget]") {
  manual_clock clock;
  fake_sender sent;
  constexpr std::size_t budget = 1'000;
  request_coalescer coalescer(options_of(100, milliseconds{2}, milliseconds{20}, 2, budget), sent.sender(),
                              borrowed(clock));
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
          inputs.push_back(numbered_input(number, heard.for_input(number), sizes[number]));
        }
        coalescer.submit(queries, std::move(inputs));
      }
    });
  }
  for (auto& submitter : submitters) submitter.join();
  // While time stood still only full calls left: what still waits fills no call (and each batch
  // sent was answered at once, so what waits is what has not been answered).
  clock.settle();
  std::size_t waiting_bytes = 0;
  std::size_t waiting_inputs = 0;
  for (std::size_t number = 0; number < sizes.size(); ++number) {
    if (heard.calls_of(number) == 0) {
      waiting_bytes += sizes[number];
      ++waiting_inputs;
    }
  }
  CHECK(waiting_bytes < budget);
  CHECK(waiting_inputs == coalescer.queued_inputs());
  clock.advance(milliseconds{2});
  heard.wait_for_all();
  CHECK(coalescer.queued_inputs() == 0);

  std::vector<std::size_t> next_of_thread(threads, 0);
  std::size_t sent_inputs = 0;
  for (const auto& batch : sent.batches()) {
    REQUIRE_FALSE(batch.empty());
    std::size_t bytes = 0;
    for (const std::size_t number : batch) bytes += sizes[number];
    INFO("a batch of " << batch.size() << " inputs and " << bytes << " bytes");
    CHECK(bytes <= budget);  // every size is under the budget, so no batch may pass it
    for (const std::size_t number : batch) {
      const std::size_t thread = number / per_thread;
      CHECK(number % per_thread == next_of_thread[thread]);  // each caller's inputs leave in its order
      next_of_thread[thread] = number % per_thread + 1;
      ++sent_inputs;
    }
  }
  CHECK(sent_inputs == sizes.size());
  heard.check_each_answered_with_its_own_vector();
}

TEST_CASE("coalescer: with the production clock a lone input leaves once the idle gap has passed", "[coalescer]") {
  // Real time: only a lower bound, which no delay of the machine can break.
  fake_sender sent;
  request_coalescer coalescer(options_of(100, milliseconds{30}, milliseconds{60'000}, 4), sent.sender());
  std::promise<std::chrono::steady_clock::time_point> answered;
  const auto submitted = std::chrono::steady_clock::now();
  std::vector<pending_input> one;
  one.push_back(numbered_input(7, [&answered](mosaic::result<std::vector<float>> outcome) {
    CHECK(outcome.ok());
    answered.set_value(std::chrono::steady_clock::now());
  }));
  coalescer.submit(queries, std::move(one));
  auto future = answered.get_future();
  REQUIRE(future.wait_for(hang_limit) == std::future_status::ready);
  CHECK(future.get() - submitted >= milliseconds{30});
  CHECK(sent.batches() == std::vector<std::vector<std::size_t>>{{7}});
}
