// Files prepared on several threads reach the feed in walk order (server/cli/ordered_parallel_preparation):
// order under uneven per-file times, the bound on results held ahead of the delivery, cancellation,
// a single worker, and an exception thrown by one file.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cli/ordered_parallel_preparation.hpp"

using mosaic::server::ordered_preparation_shape;
using mosaic::server::prepare_in_order;

namespace {

const auto never_cancelled = [] { return false; };

}  // namespace

TEST_CASE("results are delivered in index order whatever order the workers finish in", "[ordered]") {
  constexpr std::size_t count = 120;
  std::vector<unsigned> delays(count);
  std::mt19937 random(20261207);
  for (unsigned& delay : delays) delay = std::uniform_int_distribution<unsigned>(0, 3000)(random);
  std::mutex mutex;
  std::set<std::size_t> workers_seen;
  std::vector<std::size_t> delivered;
  std::vector<std::string> results;
  const std::thread::id caller = std::this_thread::get_id();
  bool delivered_on_caller = true;
  prepare_in_order<std::string>(
      count, {4, 0},
      [&](std::size_t index, std::size_t worker) {
        {
          const std::lock_guard guard(mutex);
          workers_seen.insert(worker);
        }
        std::this_thread::sleep_for(std::chrono::microseconds(delays[index]));
        return "file " + std::to_string(index);
      },
      [&](std::size_t index, std::string result) {
        delivered_on_caller = delivered_on_caller && std::this_thread::get_id() == caller;
        delivered.push_back(index);
        results.push_back(std::move(result));
      },
      never_cancelled);
  REQUIRE(delivered.size() == count);
  for (std::size_t index = 0; index < count; ++index) {
    CHECK(delivered[index] == index);
    CHECK(results[index] == "file " + std::to_string(index));
  }
  CHECK(delivered_on_caller);
  // Sleeping workers leave the others to take indexes: more than one of them did.
  CHECK(workers_seen.size() > 1);
  CHECK(*workers_seen.rbegin() < 4);
}

TEST_CASE("a slow file holds back at most the window of prepared files", "[ordered]") {
  constexpr std::size_t count = 40, workers = 3, window = 6;
  std::atomic<std::size_t> started{0}, delivered_count{0}, running{0}, most_running{0};
  std::atomic<std::size_t> farthest_ahead{0};
  std::size_t started_while_first_waited = 0;
  prepare_in_order<std::size_t>(
      count, {workers, window},
      [&](std::size_t index, std::size_t) {
        const std::size_t now_running = ++running;
        std::size_t most = most_running.load();
        while (now_running > most && !most_running.compare_exchange_weak(most, now_running)) {
        }
        ++started;
        // How far past the next delivery this index was taken (delivered only grows after the take).
        const std::size_t ahead = index - std::min(index, delivered_count.load());
        std::size_t farthest = farthest_ahead.load();
        while (ahead > farthest && !farthest_ahead.compare_exchange_weak(farthest, ahead)) {
        }
        if (index == 0) {
          // The first file is slow: the others fill the window and then must wait for it.
          const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
          while (started.load() < window && std::chrono::steady_clock::now() < give_up) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          started_while_first_waited = started.load();
        }
        --running;
        return index;
      },
      [&](std::size_t index, std::size_t result) {
        CHECK(result == index);
        ++delivered_count;
      },
      never_cancelled);
  CHECK(delivered_count.load() == count);
  // Indexes 0..5 were taken, 6 waited for 0 to be delivered.
  CHECK(started_while_first_waited == window);
  CHECK(farthest_ahead.load() < window);
  CHECK(most_running.load() <= workers);
}

TEST_CASE("a cancelled run takes no new file, delivers nothing more and returns", "[ordered]") {
  constexpr std::size_t count = 500, workers = 4;
  std::atomic<bool> cancelled{false};
  std::atomic<std::size_t> prepared{0};
  std::vector<std::size_t> delivered;
  prepare_in_order<std::size_t>(
      count, {workers, 0},
      [&](std::size_t index, std::size_t) {
        ++prepared;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        return index;
      },
      [&](std::size_t index, std::size_t) {
        delivered.push_back(index);
        if (index == 10) cancelled = true;
      },
      [&] { return cancelled.load(); });
  REQUIRE(delivered.size() == 11);
  for (std::size_t index = 0; index < delivered.size(); ++index) CHECK(delivered[index] == index);
  // Besides the 11 delivered, at most the window (2 x 4) was taken before the cancellation was seen.
  CHECK(prepared.load() <= 11 + 2 * workers);
}

TEST_CASE("a run cancelled before it starts prepares nothing", "[ordered]") {
  std::atomic<std::size_t> prepared{0};
  std::size_t delivered = 0;
  prepare_in_order<int>(
      50, {2, 0}, [&](std::size_t, std::size_t) { return static_cast<int>(++prepared); },
      [&](std::size_t, int) { ++delivered; }, [] { return true; });
  CHECK(prepared.load() == 0);
  CHECK(delivered == 0);
}

TEST_CASE("one worker prepares the files one after another, in order", "[ordered]") {
  std::vector<std::size_t> prepared, delivered;
  std::set<std::size_t> workers_seen;
  std::mutex mutex;
  prepare_in_order<std::size_t>(
      30, {1, 0},
      [&](std::size_t index, std::size_t worker) {
        const std::lock_guard guard(mutex);
        prepared.push_back(index);
        workers_seen.insert(worker);
        return index * 3;
      },
      [&](std::size_t index, std::size_t result) {
        CHECK(result == index * 3);
        delivered.push_back(index);
      },
      never_cancelled);
  REQUIRE(prepared.size() == 30);
  REQUIRE(delivered.size() == 30);
  for (std::size_t index = 0; index < 30; ++index) {
    CHECK(prepared[index] == index);
    CHECK(delivered[index] == index);
  }
  CHECK(workers_seen == std::set<std::size_t>{0});
}

TEST_CASE("more workers than files, and no files at all", "[ordered]") {
  std::vector<std::size_t> delivered;
  std::set<std::size_t> workers_seen;
  std::mutex mutex;
  prepare_in_order<std::size_t>(
      2, {8, 0},
      [&](std::size_t index, std::size_t worker) {
        const std::lock_guard guard(mutex);
        workers_seen.insert(worker);
        return index;
      },
      [&](std::size_t index, std::size_t) { delivered.push_back(index); }, never_cancelled);
  CHECK(delivered == std::vector<std::size_t>{0, 1});
  CHECK(*workers_seen.rbegin() < 2);  // no more threads than files
  bool called = false;
  prepare_in_order<int>(
      0, {4, 0}, [&](std::size_t, std::size_t) { called = true; return 0; }, [&](std::size_t, int) { called = true; },
      never_cancelled);
  CHECK_FALSE(called);
}

TEST_CASE("an exception from one file is thrown on the caller's thread at its turn", "[ordered]") {
  std::vector<std::size_t> delivered;
  CHECK_THROWS_WITH(prepare_in_order<std::size_t>(
                        100, {3, 0},
                        [](std::size_t index, std::size_t) -> std::size_t {
                          if (index == 7) throw std::runtime_error("file 7 is broken");
                          return index;
                        },
                        [&](std::size_t index, std::size_t) { delivered.push_back(index); }, never_cancelled),
                    "file 7 is broken");
  REQUIRE(delivered.size() == 7);
  for (std::size_t index = 0; index < 7; ++index) CHECK(delivered[index] == index);
}
