// The indexer's embedding loop over a feed that is still being filled: batches are full (100) except
// the last, never more than the allowed number are out, the first go out before the feed is complete
// (preparation and embedding overlap), every item gets its own vector, and a run that stops cancels
// the feed so its producer can stop.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/index_batches.hpp"
#include "cli/item_feed.hpp"

namespace {

using namespace mosaic;
using namespace mosaic::server;

// Answers each batch on its own thread after a short delay; the vector of an input is [n, 1] where n
// is the number in its text, so a test can tell whose vector is whose.
class fake_provider : public embedding_provider {
 public:
  explicit fake_provider(std::optional<error> failure = std::nullopt) : failure_(std::move(failure)) {}
  ~fake_provider() override {
    for (auto& thread : threads_) thread.join();
  }
  const std::string& model_id() const noexcept override { return model_; }
  std::size_t dimensions() const noexcept override { return 2; }
  bool accepts_mime_type(std::string_view) const noexcept override { return true; }
  void embed(embedding_batch batch, embedding_callback done) override {
    const int now_out = ++out_;
    {
      const std::lock_guard lock(mutex_);
      most_out_ = std::max(most_out_, now_out);
      sizes_.push_back(batch.inputs.size());
    }
    threads_.emplace_back([this, owned = std::move(batch), answer = std::move(done)] {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      --out_;
      if (failure_) return answer(*failure_);
      embedding_vectors vectors;
      for (const auto& input : owned.inputs) vectors.push_back({std::stof(input.parts.front().text), 1.0f});
      answer(std::move(vectors));
    });
  }
  std::vector<std::size_t> sizes() {
    const std::lock_guard lock(mutex_);
    return sizes_;
  }
  int most_out() {
    const std::lock_guard lock(mutex_);
    return most_out_;
  }

 private:
  std::string model_ = "fake";
  std::optional<error> failure_;
  std::atomic<int> out_{0};
  std::mutex mutex_;
  int most_out_ = 0;
  std::vector<std::size_t> sizes_;
  std::vector<std::thread> threads_;  // joined by the destructor, after the loop has its answers
};

std::vector<pending_item> numbered_items(std::size_t first, std::size_t count) {
  std::vector<pending_item> items(count);
  for (std::size_t index = 0; index < count; ++index) {
    items[index].input.parts.push_back({std::to_string(first + index), {}, {}});
  }
  return items;
}

}  // namespace

TEST_CASE("index batches: a feed filled while embedding gives every item its vector", "[index]") {
  fake_provider provider;
  item_feed feed;
  std::atomic<bool> sent_before_closed{false};
  constexpr std::size_t total = 1234;
  std::thread producer([&] {
    for (std::size_t first = 0; first < total; first += 7) {
      feed.add(numbered_items(first, std::min<std::size_t>(7, total - first)));
      if (first == 700) {
        // Half the items are in: full batches should already have gone out.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (provider.sizes().empty() && std::chrono::steady_clock::now() < deadline) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        sent_before_closed = !provider.sizes().empty();
      }
    }
    feed.close();
  });
  batch_run_settings settings;
  settings.batches_in_flight = 3;
  std::size_t last_progress = 0;
  auto embedded = embed_in_batches(provider, nullptr, feed, settings, [&](std::size_t done) { last_progress = done; });
  producer.join();
  REQUIRE(embedded.ok());
  CHECK(sent_before_closed);
  REQUIRE(embedded->vectors.size() == total);
  for (std::size_t index = 0; index < total; ++index) {
    REQUIRE(embedded->vectors[index].has_value());
    CHECK(embedded->vectors[index]->front() == static_cast<float>(index));
  }
  CHECK(last_progress == total);
  const auto sizes = provider.sizes();
  REQUIRE(sizes.size() == 13);  // twelve full batches and the rest
  for (std::size_t index = 0; index + 1 < sizes.size(); ++index) CHECK(sizes[index] == 100);
  CHECK(sizes.back() == 34);
  CHECK(provider.most_out() <= 3);
  CHECK(feed.take_all().size() == total);
}

TEST_CASE("index batches: an empty feed, and one smaller than a batch", "[index]") {
  fake_provider provider;
  item_feed empty;
  empty.close();
  auto nothing = embed_in_batches(provider, nullptr, empty, {}, nullptr);
  REQUIRE(nothing.ok());
  CHECK(nothing->vectors.empty());

  item_feed few;
  few.add(numbered_items(0, 3));
  few.close();
  auto three = embed_in_batches(provider, nullptr, few, {}, nullptr);
  REQUIRE(three.ok());
  REQUIRE(three->vectors.size() == 3);
  CHECK(three->vectors[2]->front() == 2.0f);
}

TEST_CASE("index batches: a run that stops cancels the feed", "[index]") {
  fake_provider provider(make_error(error_code::upstream_unavailable, "gone"));
  item_feed feed;
  feed.add(numbered_items(0, 250));
  std::atomic<bool> saw_cancel{false};
  std::thread producer([&] {
    // A producer that would go on for a long time stops once the feed is cancelled.
    for (std::size_t first = 250; first < 1'000'000 && !feed.cancelled(); first += 10) {
      feed.add(numbered_items(first, 10));
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    saw_cancel = feed.cancelled();
    feed.close();
  });
  auto embedded = embed_in_batches(provider, nullptr, feed, {}, nullptr);
  producer.join();
  REQUIRE_FALSE(embedded.ok());
  CHECK(embedded.failure().code == error_code::upstream_unavailable);
  CHECK(saw_cancel);
}

TEST_CASE("index batches: a feed that closes while the last batch is filed ends the run", "[index]") {
  // The run's loop tests the feed, then reads it again before waiting: a feed closed in between (by
  // the producer's thread; here, deterministically, by the progress callback, which runs while the
  // last batch is filed) once left it waiting for ever with nothing out and nothing to come.
  fake_provider provider;
  item_feed feed;
  feed.add(numbered_items(0, 10));
  batch_run_settings settings;
  settings.batch_inputs = 10;
  auto running = std::async(std::launch::async, [&] {
    return embed_in_batches(provider, nullptr, feed, settings, [&](std::size_t) { feed.close(); });
  });
  REQUIRE(running.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  auto embedded = running.get();
  REQUIRE(embedded.ok());
  REQUIRE(embedded->vectors.size() == 10);
  for (std::size_t index = 0; index < 10; ++index) CHECK(embedded->vectors[index]->front() == static_cast<float>(index));
}
