// Crash safety: a child process appends (and compacts) in a loop and is killed with SIGKILL at a random
// moment, several times over the same file. Every reopen must succeed, and every vector it serves must
// be exactly the one stored for its key.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "cache_test_support.hpp"

using cache_test::key_for;
using cache_test::vector_for;
using mosaic::server::embedding_cache;
using mosaic::server::embedding_cache_options;

namespace {

constexpr std::size_t dimensions = 16;
constexpr std::uint64_t items_per_round = 4000;

embedding_cache_options crash_options(const std::filesystem::path& file) {
  embedding_cache_options options;
  options.file = file;
  options.memory_bytes = 64 * 1024;
  // Small enough that the child compacts every few hundred appends, so kills land inside compactions too.
  options.file_max_bytes = 64 * 1024;
  return options;
}

// The child: opens the cache, reports through the pipe once its first record is written (so the parent
// knows at least that one is in the page cache, which SIGKILL does not discard), then appends until
// killed. It never returns into the test framework.
[[noreturn]] void append_until_killed(const std::filesystem::path& file, std::uint64_t first, int report) {
  auto opened = embedding_cache::open(crash_options(file));
  if (!opened) ::_exit(3);
  embedding_cache& cache = **opened;
  for (std::uint64_t index = first; index < first + items_per_round; ++index) {
    if (!cache.store(key_for(index), vector_for(index, dimensions)).ok()) ::_exit(4);
    if (index == first) {
      const char ready = 'r';
      if (::write(report, &ready, 1) != 1) ::_exit(5);
    }
    if (index % 97 == 0 && !cache.sync().ok()) ::_exit(6);
  }
  // Ran out of items before the kill: wait for it, so every round ends the same way.
  for (;;) ::pause();
}

}  // namespace

TEST_CASE("crash safety: SIGKILL at random moments never leaves a file that serves a wrong vector",
          "[embedding_cache][file][crash]") {
  cache_test::temporary_folder folder;
  const auto file = folder.path() / "cache.log";
  std::mt19937 generator(std::random_device{}());
  constexpr int rounds = 8;

  for (int round = 0; round < rounds; ++round) {
    const std::uint64_t first = static_cast<std::uint64_t>(round) * items_per_round;
    int pipe_ends[2];
    REQUIRE(::pipe(pipe_ends) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::close(pipe_ends[0]);
      append_until_killed(file, first, pipe_ends[1]);
    }
    ::close(pipe_ends[1]);
    char ready = 0;
    const ssize_t got = ::read(pipe_ends[0], &ready, 1);
    ::close(pipe_ends[0]);
    const auto delay = std::uniform_int_distribution<int>(0, 30'000)(generator);
    ::usleep(static_cast<useconds_t>(delay));
    ::kill(child, SIGKILL);
    int child_status = 0;
    REQUIRE(::waitpid(child, &child_status, 0) == child);
    CAPTURE(round, delay);
    REQUIRE(got == 1);  // the child opened the cache and wrote its first record
    REQUIRE(WIFSIGNALED(child_status));
    REQUIRE(WTERMSIG(child_status) == SIGKILL);

    auto reopened = embedding_cache::open(crash_options(file));
    REQUIRE(reopened.ok());
    embedding_cache& cache = **reopened;
    // Every round's items, including earlier rounds' (compactions may have dropped old ones).
    std::uint64_t served = 0;
    for (std::uint64_t index = 0; index < first + items_per_round; ++index) {
      const auto found = cache.find(key_for(index));
      if (!found) continue;
      ++served;
      REQUIRE(*found == vector_for(index, dimensions));
    }
    REQUIRE(cache.statistics().records_failed_verification == 0);
    REQUIRE(served == cache.statistics().file_entries);
    // At least one record was complete before the kill, and neither an append nor a compaction (the
    // rename is atomic) can lose every record.
    REQUIRE(served >= 1);
  }
}
