// The caching provider over a fake provider that counts what it is asked: hits never reach it, misses
// reach it as one smaller batch, identical inputs in flight are joined, errors reach every waiter and
// are not cached.
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "embed/caching_provider.hpp"

using mosaic::result;
using mosaic::server::caching_provider;
using mosaic::server::embedding_batch;
using mosaic::server::embedding_cache;
using mosaic::server::embedding_callback;
using mosaic::server::embedding_input;
using mosaic::server::embedding_provider;
using mosaic::server::embedding_vectors;

namespace {

constexpr std::size_t full_dimensions = 8;

std::vector<float> fake_vector(const std::string& text, std::size_t dimensions) {
  std::vector<float> vector(dimensions);
  for (std::size_t i = 0; i < dimensions; ++i) {
    vector[i] = static_cast<float>((static_cast<unsigned char>(text[i % text.size()]) + i * 7) % 97);
  }
  return vector;
}

embedding_input text_input(std::string text) {
  embedding_input input;
  input.parts.push_back({std::move(text), {}, {}});
  return input;
}

embedding_batch text_batch(std::initializer_list<const char*> texts, std::size_t dimensions = 0) {
  embedding_batch batch;
  for (const char* text : texts) batch.inputs.push_back(text_input(text));
  batch.dimensions = dimensions;
  return batch;
}

// How the fake answers: at once on the caller's thread, from a new thread, or only when the test says.
enum class answer_mode { synchronous, from_thread, held };

class fake_provider final : public embedding_provider {
 public:
  explicit fake_provider(answer_mode mode) : mode_(mode) {}
  ~fake_provider() override {
    for (std::thread& thread : threads_) thread.join();
  }

  [[nodiscard]] const std::string& model_id() const noexcept override { return model_; }
  [[nodiscard]] std::size_t dimensions() const noexcept override { return full_dimensions; }
  [[nodiscard]] bool accepts_mime_type(std::string_view mime_type) const noexcept override { return mime_type.empty(); }

  void embed(embedding_batch batch, embedding_callback done) override {
    std::vector<std::string> texts;
    for (const embedding_input& input : batch.inputs) texts.push_back(input.parts.front().text);
    {
      std::lock_guard lock(mutex_);
      ++calls_;
      inputs_ += texts.size();
      batches_.push_back(texts);
    }
    auto answer = [this, texts, dimensions = batch.dimensions, done = std::move(done)]() mutable {
      if (failure_) {
        done(*failure_);
        return;
      }
      embedding_vectors vectors;
      for (const std::string& text : texts) vectors.push_back(fake_vector(text, dimensions ? dimensions : full_dimensions));
      if (drop_one_vector_ && !vectors.empty()) vectors.pop_back();
      done(std::move(vectors));
    };
    if (mode_ == answer_mode::synchronous) {
      answer();
    } else if (mode_ == answer_mode::from_thread) {
      std::lock_guard lock(mutex_);
      threads_.emplace_back(std::move(answer));
    } else {
      std::lock_guard lock(mutex_);
      held_.push_back(std::move(answer));
      held_changed_.notify_all();
    }
  }

  // Answers every held call (on this thread).
  void release_held() {
    std::vector<std::function<void()>> answers;
    {
      std::lock_guard lock(mutex_);
      answers.swap(held_);
    }
    for (auto& answer : answers) answer();
  }
  void wait_for_held(std::size_t count) {
    std::unique_lock lock(mutex_);
    held_changed_.wait(lock, [&] { return held_.size() >= count; });
  }

  std::size_t calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  std::size_t inputs() {
    std::lock_guard lock(mutex_);
    return inputs_;
  }
  std::vector<std::string> batch(std::size_t index) {
    std::lock_guard lock(mutex_);
    return batches_.at(index);
  }

  std::optional<mosaic::error> failure_;
  bool drop_one_vector_ = false;

 private:
  answer_mode mode_;
  std::string model_ = "fake-model";
  std::mutex mutex_;
  std::condition_variable held_changed_;
  std::size_t calls_ = 0;
  std::size_t inputs_ = 0;
  std::vector<std::vector<std::string>> batches_;
  std::vector<std::thread> threads_;
  std::vector<std::function<void()>> held_;
};

// The test's own blocking wait (embed_and_wait belongs to the provider interface's own file).
result<embedding_vectors> wait_for(embedding_provider& provider, embedding_batch batch) {
  std::promise<result<embedding_vectors>> answered;
  auto future = answered.get_future();
  provider.embed(std::move(batch), [&answered](result<embedding_vectors> answer) { answered.set_value(std::move(answer)); });
  return future.get();
}

std::unique_ptr<embedding_cache> memory_cache() {
  auto opened = embedding_cache::open({});
  REQUIRE(opened.ok());
  return std::move(opened).value();
}

void require_answers(const result<embedding_vectors>& answer, std::initializer_list<const char*> texts,
                     std::size_t dimensions = full_dimensions) {
  REQUIRE(answer.ok());
  REQUIRE(answer->size() == texts.size());
  std::size_t index = 0;
  for (const char* text : texts) CHECK((*answer)[index++] == fake_vector(text, dimensions));
}

}  // namespace

TEST_CASE("caching provider: a repeated batch is answered from the cache", "[caching_provider]") {
  for (const answer_mode mode : {answer_mode::synchronous, answer_mode::from_thread}) {
    fake_provider inner(mode);
    auto cache = memory_cache();
    caching_provider provider(inner, *cache);
    CHECK(provider.model_id() == "fake-model");
    CHECK(provider.dimensions() == full_dimensions);
    CHECK(provider.accepts_mime_type(""));
    CHECK_FALSE(provider.accepts_mime_type("image/png"));

    require_answers(wait_for(provider, text_batch({"cat", "dog", "owl"})), {"cat", "dog", "owl"});
    CHECK(inner.calls() == 1);
    CHECK(inner.inputs() == 3);
    require_answers(wait_for(provider, text_batch({"cat", "dog", "owl"})), {"cat", "dog", "owl"});
    CHECK(inner.calls() == 1);
    CHECK(cache->statistics().hits == 3);
  }
}

TEST_CASE("caching provider: a partial hit sends only the misses, answers stay in order", "[caching_provider]") {
  fake_provider inner(answer_mode::from_thread);
  auto cache = memory_cache();
  caching_provider provider(inner, *cache);
  require_answers(wait_for(provider, text_batch({"ant", "cow"})), {"ant", "cow"});
  require_answers(wait_for(provider, text_batch({"ant", "bee", "cow", "doe"})), {"ant", "bee", "cow", "doe"});
  REQUIRE(inner.calls() == 2);
  CHECK(inner.batch(1) == std::vector<std::string>{"bee", "doe"});
}

TEST_CASE("caching provider: the same input twice in one batch is embedded once", "[caching_provider]") {
  fake_provider inner(answer_mode::synchronous);
  auto cache = memory_cache();
  caching_provider provider(inner, *cache);
  require_answers(wait_for(provider, text_batch({"elk", "fox", "elk"})), {"elk", "fox", "elk"});
  CHECK(inner.inputs() == 2);
}

TEST_CASE("caching provider: 100 concurrent identical requests make one inner input", "[caching_provider]") {
  constexpr int requesters = 100;
  SECTION("all joined to one flight that is answered after they asked") {
    fake_provider inner(answer_mode::held);
    auto cache = memory_cache();
    caching_provider provider(inner, *cache);
    std::atomic<int> answered{0};
    std::atomic<int> correct{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < requesters; ++i) {
      threads.emplace_back([&] {
        provider.embed(text_batch({"gnu"}), [&](result<embedding_vectors> answer) {
          if (answer.ok() && answer->size() == 1 && answer->front() == fake_vector("gnu", full_dimensions)) ++correct;
          ++answered;
        });
      });
    }
    for (std::thread& thread : threads) thread.join();
    CHECK(answered == 0);  // the one flight is still held
    REQUIRE(inner.calls() == 1);
    inner.release_held();
    CHECK(answered == requesters);
    CHECK(correct == requesters);
    CHECK(inner.inputs() == 1);
  }
  SECTION("racing an inner provider that answers from its own thread") {
    fake_provider inner(answer_mode::from_thread);
    auto cache = memory_cache();
    caching_provider provider(inner, *cache);
    std::vector<std::thread> threads;
    std::atomic<int> correct{0};
    for (int i = 0; i < requesters; ++i) {
      threads.emplace_back([&] {
        const auto answer = wait_for(provider, text_batch({"gnu"}));
        if (answer.ok() && answer->front() == fake_vector("gnu", full_dimensions)) ++correct;
      });
    }
    for (std::thread& thread : threads) thread.join();
    CHECK(correct == requesters);
    // Each requester either joined the flight or found the vector cached: never a second flight.
    CHECK(inner.inputs() == 1);
  }
}

TEST_CASE("caching provider: an inner error reaches every waiter and is not cached", "[caching_provider]") {
  fake_provider inner(answer_mode::held);
  auto cache = memory_cache();
  caching_provider provider(inner, *cache);
  inner.failure_ = mosaic::make_error(mosaic::error_code::upstream_unavailable, "upstream down", 3);

  std::mutex mutex;
  std::vector<result<embedding_vectors>> answers;
  for (int i = 0; i < 10; ++i) {
    // Half of them also ask for a second input that is not in flight elsewhere.
    embedding_batch batch = i % 2 ? text_batch({"hen", "ibis"}) : text_batch({"hen"});
    provider.embed(std::move(batch), [&](result<embedding_vectors> answer) {
      std::lock_guard lock(mutex);
      answers.push_back(std::move(answer));
    });
  }
  inner.release_held();
  REQUIRE(answers.size() == 10);
  for (const auto& answer : answers) {
    REQUIRE_FALSE(answer.ok());
    CHECK(answer.failure().code == mosaic::error_code::upstream_unavailable);
    CHECK(answer.failure().retry_after_seconds == 3);
  }
  CHECK(cache->statistics().memory_entries == 0);

  // The next request asks the inner provider again, which now answers.
  inner.failure_.reset();
  std::optional<result<embedding_vectors>> retried;
  provider.embed(text_batch({"hen"}), [&](result<embedding_vectors> answer) { retried = std::move(answer); });
  inner.wait_for_held(1);
  inner.release_held();
  REQUIRE(retried.has_value());
  require_answers(*retried, {"hen"});
}

TEST_CASE("caching provider: dimensions 0 and the full size share a key, other sizes do not", "[caching_provider]") {
  fake_provider inner(answer_mode::synchronous);
  auto cache = memory_cache();
  caching_provider provider(inner, *cache);
  require_answers(wait_for(provider, text_batch({"jay"}, 0)), {"jay"});
  require_answers(wait_for(provider, text_batch({"jay"}, full_dimensions)), {"jay"});
  CHECK(inner.calls() == 1);
  require_answers(wait_for(provider, text_batch({"jay"}, 4)), {"jay"}, 4);
  CHECK(inner.calls() == 2);
}

TEST_CASE("caching provider: a salt or another task changes the key", "[caching_provider]") {
  fake_provider inner(answer_mode::synchronous);
  auto cache = memory_cache();
  caching_provider plain(inner, *cache);
  caching_provider salted(inner, *cache, "prefix: ");
  require_answers(wait_for(plain, text_batch({"kea"})), {"kea"});
  require_answers(wait_for(salted, text_batch({"kea"})), {"kea"});
  CHECK(inner.calls() == 2);
  auto document = text_batch({"kea"});
  document.task = mosaic::server::embedding_task::retrieval_document;
  require_answers(wait_for(plain, std::move(document)), {"kea"});
  CHECK(inner.calls() == 3);
}

TEST_CASE("caching provider: a wrong answer from the inner provider is an error and is not cached", "[caching_provider]") {
  fake_provider inner(answer_mode::synchronous);
  auto cache = memory_cache();
  caching_provider provider(inner, *cache);
  inner.drop_one_vector_ = true;
  const auto answer = wait_for(provider, text_batch({"lynx", "mole"}));
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.failure().code == mosaic::error_code::dimension_mismatch);
  CHECK(cache->statistics().memory_entries == 0);
}

TEST_CASE("caching provider: callbacks run without its lock held (re-entrant use works)", "[caching_provider]") {
  fake_provider inner(answer_mode::synchronous);
  auto cache = memory_cache();
  caching_provider provider(inner, *cache);
  require_answers(wait_for(provider, text_batch({"newt"})), {"newt"});
  // From inside a callback (a hit, then a miss answered synchronously), ask again.
  int nested_answers = 0;
  provider.embed(text_batch({"newt"}), [&](result<embedding_vectors> outer) {
    REQUIRE(outer.ok());
    provider.embed(text_batch({"orca"}), [&](result<embedding_vectors> inner_answer) {
      REQUIRE(inner_answer.ok());
      ++nested_answers;
    });
  });
  CHECK(nested_answers == 1);
}

TEST_CASE("caching provider: an empty batch is answered at once", "[caching_provider]") {
  fake_provider inner(answer_mode::synchronous);
  auto cache = memory_cache();
  caching_provider provider(inner, *cache);
  const auto answer = wait_for(provider, embedding_batch{});
  REQUIRE(answer.ok());
  CHECK(answer->empty());
  CHECK(inner.calls() == 0);
}
