// The shared level against a real redis-server (started here on a free loopback port): two providers
// with their own names stand for two proxies; the inner provider is a fake whose answers the test
// releases, so who waits for whom is decided by the test, not by timing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "redis_server_process.hpp"
#include "shared_state/shared_embedding_provider.hpp"
#include "shared_state/shared_upstream_pacer.hpp"

using namespace mosaic;
using namespace mosaic::server;
using mosaic::server::testing::redis_server_process;

namespace {

// Answers each text with a vector made from its length and first letter, when the test releases it.
class held_provider final : public embedding_provider {
 public:
  const std::string& model_id() const noexcept override { return model_; }
  std::size_t dimensions() const noexcept override { return 4; }
  bool accepts_mime_type(std::string_view mime_type) const noexcept override { return mime_type.empty(); }
  void embed(embedding_batch batch, embedding_callback done) override {
    std::lock_guard lock(mutex_);
    calls_ += 1;
    inputs_ += batch.inputs.size();
    held_.emplace_back(std::move(batch), std::move(done));
    changed_.notify_all();
  }

  void release_all() {
    std::vector<std::pair<embedding_batch, embedding_callback>> held;
    {
      std::lock_guard lock(mutex_);
      held.swap(held_);
    }
    for (auto& [batch, done] : held) {
      embedding_vectors vectors;
      for (const auto& input : batch.inputs) {
        const auto& text = input.parts.front().text;
        vectors.push_back({static_cast<float>(text.size()), static_cast<float>(text.front()), 0.5f, 0.25f});
      }
      done(std::move(vectors));
    }
  }

  void wait_for_calls(std::size_t count) {
    std::unique_lock lock(mutex_);
    REQUIRE(changed_.wait_for(lock, std::chrono::seconds(30), [&] { return calls_ >= count; }));
  }

  std::size_t calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }
  std::size_t inputs() {
    std::lock_guard lock(mutex_);
    return inputs_;
  }

 private:
  std::string model_ = "fake-model";
  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t calls_ = 0;
  std::size_t inputs_ = 0;
  std::vector<std::pair<embedding_batch, embedding_callback>> held_;
};

embedding_batch texts(std::initializer_list<const char*> values) {
  embedding_batch batch;
  for (const char* value : values) batch.inputs.push_back({{{value, "", ""}}, ""});
  return batch;
}

redis_client_options options_for(unsigned short port, std::string password = {}) {
  redis_client_options options;
  options.address.host = "127.0.0.1";
  options.address.port = port;
  options.address.password = std::move(password);
  return options;
}

shared_embedding_options named(std::string owner) {
  shared_embedding_options options;
  options.owner = std::move(owner);
  options.poll_interval = std::chrono::milliseconds(2);
  return options;
}

template <typename Check>
void wait_until(Check check) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!check()) {
    REQUIRE(std::chrono::steady_clock::now() < give_up);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace

TEST_CASE("two proxies on one Redis: the second waits for the first's fetch instead of fetching", "[shared_state]") {
  if (!redis_server_process::available()) {
    WARN("redis-server is not installed (scripts/install-dependencies.sh installs it): skipped");
    return;
  }
  redis_server_process redis("test-password");
  redis_client connection_a(options_for(redis.port(), "test-password"));
  redis_client connection_b(options_for(redis.port(), "test-password"));
  held_provider inner;
  shared_embedding_provider first(inner, connection_a, embedding_key_model("fake-model", ""), named("first"));
  shared_embedding_provider second(inner, connection_b, embedding_key_model("fake-model", ""), named("second"));

  std::promise<result<embedding_vectors>> first_answer;
  std::promise<result<embedding_vectors>> second_answer;
  first.embed(texts({"a red bicycle"}), [&](result<embedding_vectors> answer) { first_answer.set_value(std::move(answer)); });
  inner.wait_for_calls(1);
  second.embed(texts({"a red bicycle", "a blue car"}),
               [&](result<embedding_vectors> answer) { second_answer.set_value(std::move(answer)); });
  // The second proxy fetches only the input nobody else is fetching, and waits for the other.
  inner.wait_for_calls(2);
  wait_until([&] { return second.statistics().waited == 1; });
  CHECK(inner.inputs() == 2);
  inner.release_all();

  auto first_vectors = first_answer.get_future().get();
  auto second_vectors = second_answer.get_future().get();
  REQUIRE(first_vectors);
  REQUIRE(second_vectors);
  REQUIRE(second_vectors->size() == 2);
  CHECK((*second_vectors)[0] == (*first_vectors)[0]);
  CHECK((*second_vectors)[1] == std::vector<float>{10.0f, 'a', 0.5f, 0.25f});
  CHECK(second.statistics().answered_by_peer == 1);
  CHECK(first.statistics().fetched == 1);
  CHECK(second.statistics().fetched == 1);
  wait_until([&] { return first.statistics().stores == 1 && second.statistics().stores == 1; });

  // Both vectors are in Redis now: a third ask is answered there, with no inner call.
  auto again = embed_and_wait(first, texts({"a blue car", "a red bicycle"}));
  REQUIRE(again);
  CHECK((*again)[1] == (*first_vectors)[0]);
  CHECK(first.statistics().hits == 2);
  CHECK(inner.calls() == 2);
}

TEST_CASE("Redis unreachable: inputs are embedded directly and the client says Redis is unavailable", "[shared_state]") {
  redis_client connection(options_for(mosaic::server::testing::closed_port()));
  held_provider inner;
  shared_embedding_provider shared(inner, connection, embedding_key_model("fake-model", ""), named("alone"));
  std::promise<result<embedding_vectors>> answer;
  shared.embed(texts({"offline"}), [&](result<embedding_vectors> vectors) { answer.set_value(std::move(vectors)); });
  inner.wait_for_calls(1);
  inner.release_all();
  auto vectors = answer.get_future().get();
  REQUIRE(vectors);
  CHECK((*vectors)[0] == std::vector<float>{7.0f, 'o', 0.5f, 0.25f});
  CHECK(shared.statistics().fallbacks == 1);
  const auto statistics = connection.statistics();
  CHECK_FALSE(statistics.available);
  CHECK(statistics.failures >= 1);
  CHECK(statistics.last_error.find("cannot connect") != std::string::npos);
}

TEST_CASE("the shared pacer spaces the calls of two proxies as one", "[shared_state]") {
  if (!redis_server_process::available()) {
    WARN("redis-server is not installed (scripts/install-dependencies.sh installs it): skipped");
    return;
  }
  redis_server_process redis;
  redis_client connection_a(options_for(redis.port()));
  redis_client connection_b(options_for(redis.port()));
  // 600 a minute: a slot every 100 ms, for both together.
  shared_upstream_pacer first(connection_a, 600, 600, "test:slots");
  shared_upstream_pacer second(connection_b, 600, 600, "test:slots");
  std::mutex mutex;
  std::vector<long long> waits;
  std::condition_variable answered;
  for (int i = 0; i < 3; ++i) {
    for (auto* pacer : {&first, &second}) {
      pacer->reserve([&](std::chrono::milliseconds wait) {
        std::lock_guard lock(mutex);
        waits.push_back(wait.count());
        answered.notify_all();
      });
    }
  }
  std::unique_lock lock(mutex);
  REQUIRE(answered.wait_for(lock, std::chrono::seconds(30), [&] { return waits.size() == 6; }));
  std::sort(waits.begin(), waits.end());
  // The six reservations are made within moments of each other: their waits are the six slots,
  // 0, 100, ..., 500 ms, less the time between them (small next to a slot).
  for (std::size_t slot = 0; slot < waits.size(); ++slot) {
    INFO("slot " << slot << " waits " << waits[slot] << " ms");
    CHECK(waits[slot] <= static_cast<long long>(slot) * 100 + 1);
    CHECK(waits[slot] >= static_cast<long long>(slot) * 100 - 60);
  }
  CHECK(first.shared_slots() + second.shared_slots() == 6);
  CHECK(first.local_slots() + second.local_slots() == 0);
}
