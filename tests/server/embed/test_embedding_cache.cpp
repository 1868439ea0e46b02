// The embedding cache: the memory LRU, the file log across reopen, and every way its file can be
// damaged (cut, flipped, foreign, hostile, damaged after open), the lock and the compaction.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <random>

#include "cache_test_support.hpp"
#include "hash/xxhash64.hpp"

using cache_test::key_for;
using cache_test::record_size;
using cache_test::temporary_folder;
using cache_test::vector_for;
using mosaic::server::embedding_cache;
using mosaic::server::embedding_cache_options;

namespace {

constexpr std::size_t dimensions = 8;

std::unique_ptr<embedding_cache> open_cache(embedding_cache_options options) {
  auto opened = embedding_cache::open(std::move(options));
  if (!opened) FAIL("open failed: " << opened.failure().message);
  return std::move(opened).value();
}

std::unique_ptr<embedding_cache> open_file_cache(const std::filesystem::path& file, std::size_t memory_bytes = 1 << 20) {
  embedding_cache_options options;
  options.file = file;
  options.memory_bytes = memory_bytes;
  return open_cache(options);
}

void store_items(embedding_cache& cache, std::uint64_t first, std::uint64_t count) {
  for (std::uint64_t index = first; index < first + count; ++index) {
    REQUIRE(cache.store(key_for(index), vector_for(index, dimensions)).ok());
  }
}

// A file holding `count` records, written by the cache itself.
std::vector<std::uint8_t> make_log(const std::filesystem::path& file, std::uint64_t count) {
  {
    auto cache = open_file_cache(file);
    store_items(*cache, 0, count);
  }
  return cache_test::read_bytes(file);
}

bool serves(embedding_cache& cache, std::uint64_t index) {
  const auto found = cache.find(key_for(index));
  if (!found) return false;
  // Anything served must be exactly what was stored for that key.
  REQUIRE(*found == vector_for(index, dimensions));
  return true;
}

}  // namespace

TEST_CASE("memory level: bounded by bytes, least recently used evicted first, hits and misses counted",
          "[embedding_cache]") {
  const std::size_t bound = 4096;
  embedding_cache_options options;
  options.memory_bytes = bound;

  // How many entries fit is the cache's own accounting; find it, then check the order of eviction.
  std::uint64_t capacity = 0;
  {
    auto probe = open_cache(options);
    for (std::uint64_t index = 0; index < 1000; ++index) {
      REQUIRE(probe->store(key_for(index), vector_for(index, dimensions)).ok());
      const auto statistics = probe->statistics();
      REQUIRE(statistics.memory_bytes <= bound);
      // Honest accounting: at least the key and the floats of every entry.
      REQUIRE(statistics.memory_bytes >= statistics.memory_entries * (32 + 4 * dimensions));
      if (statistics.memory_entries <= index) break;
      capacity = statistics.memory_entries;
    }
  }
  REQUIRE(capacity >= 3);
  REQUIRE(capacity < 1000);

  auto cache = open_cache(options);
  store_items(*cache, 0, capacity);
  REQUIRE(serves(*cache, 0));  // 0 becomes the most recently used; 1 is now the least
  store_items(*cache, capacity, 1);
  CHECK_FALSE(serves(*cache, 1));
  CHECK(serves(*cache, 0));
  for (std::uint64_t index = 2; index <= capacity; ++index) CHECK(serves(*cache, index));
  CHECK_FALSE(serves(*cache, 999'999));

  const auto statistics = cache->statistics();
  CHECK(statistics.hits == 2 + (capacity - 1));
  CHECK(statistics.misses == 2);
  CHECK(statistics.memory_entries == capacity);
  CHECK(statistics.file_entries == 0);
  CHECK(statistics.file_bytes == 0);
}

TEST_CASE("memory level: a vector larger than the whole bound is not kept, and the bound holds",
          "[embedding_cache]") {
  embedding_cache_options options;
  options.memory_bytes = 1000;
  auto cache = open_cache(options);
  REQUIRE(cache->store(key_for(1), vector_for(1, 4096)).ok());
  CHECK_FALSE(cache->find(key_for(1)));
  CHECK(cache->statistics().memory_bytes == 0);
  // Refused input: no dimensions, or more than the format allows.
  CHECK_FALSE(cache->store(key_for(2), {}).ok());
  CHECK_FALSE(cache->store(key_for(3), vector_for(3, 65'537)).ok());
}

TEST_CASE("file level: entries survive close and reopen", "[embedding_cache][file]") {
  temporary_folder folder;
  const auto file = folder.path() / "nested" / "cache.log";
  {
    auto cache = open_file_cache(file);
    store_items(*cache, 0, 50);
    REQUIRE(cache->sync().ok());
    CHECK(cache->statistics().file_entries == 50);
    CHECK(cache->statistics().file_bytes == cache_test::file_header_size + 50 * record_size(dimensions));
  }
  auto cache = open_file_cache(file);
  auto statistics = cache->statistics();
  CHECK(statistics.file_entries == 50);
  CHECK(statistics.memory_entries == 0);
  CHECK(statistics.dropped_records == 0);
  CHECK(statistics.dropped_bytes == 0);
  for (std::uint64_t index = 0; index < 50; ++index) CHECK(serves(*cache, index));
  CHECK_FALSE(serves(*cache, 50));
  statistics = cache->statistics();
  CHECK(statistics.hits == 50);
  CHECK(statistics.misses == 1);
  CHECK(statistics.memory_entries == 50);  // read from the file, then kept in memory
}

TEST_CASE("file level: memory_bytes 0 serves everything from the file", "[embedding_cache][file]") {
  temporary_folder folder;
  auto cache = open_file_cache(folder.path() / "cache.log", 0);
  store_items(*cache, 0, 10);
  for (std::uint64_t index = 0; index < 10; ++index) CHECK(serves(*cache, index));
  CHECK(cache->statistics().memory_entries == 0);
}

TEST_CASE("file level: a log cut anywhere inside its last record keeps the records before it",
          "[embedding_cache][file][damage]") {
  temporary_folder folder;
  const auto file = folder.path() / "cache.log";
  const std::vector<std::uint8_t> log = make_log(file, 5);
  const std::size_t last_start = cache_test::file_header_size + 4 * record_size(dimensions);
  REQUIRE(log.size() == last_start + record_size(dimensions));

  for (std::size_t cut = last_start; cut < log.size(); ++cut) {
    CAPTURE(cut);
    cache_test::write_bytes(file, std::vector<std::uint8_t>(log.begin(), log.begin() + static_cast<std::ptrdiff_t>(cut)));
    {
      auto cache = open_file_cache(file);
      const auto statistics = cache->statistics();
      CHECK(statistics.file_entries == 4);
      CHECK(statistics.file_bytes == last_start);
      CHECK(statistics.dropped_records == (cut == last_start ? 0u : 1u));
      CHECK(statistics.dropped_bytes == cut - last_start);
      for (std::uint64_t index = 0; index < 4; ++index) CHECK(serves(*cache, index));
      CHECK_FALSE(serves(*cache, 4));
      CHECK(std::filesystem::file_size(file) == last_start);
      // Appending after the cut works, and the new record is read back after reopening.
      store_items(*cache, 4, 1);
    }
    auto reopened = open_file_cache(file);
    CHECK(reopened->statistics().file_entries == 5);
    CHECK(reopened->statistics().dropped_records == 0);
    CHECK(serves(*reopened, 4));
  }
}

TEST_CASE("file level: a flipped byte anywhere in a middle record drops it and everything after, never served",
          "[embedding_cache][file][damage]") {
  temporary_folder folder;
  const auto file = folder.path() / "cache.log";
  const std::vector<std::uint8_t> log = make_log(file, 5);
  const std::size_t middle_start = cache_test::file_header_size + 2 * record_size(dimensions);

  for (std::size_t offset = middle_start; offset < middle_start + record_size(dimensions); ++offset) {
    CAPTURE(offset);
    std::vector<std::uint8_t> damaged = log;
    damaged[offset] ^= 0x01;
    cache_test::write_bytes(file, damaged);
    auto cache = open_file_cache(file);
    const auto statistics = cache->statistics();
    CHECK(statistics.file_entries == 2);
    CHECK(statistics.file_bytes == middle_start);
    CHECK(statistics.dropped_bytes == log.size() - middle_start);
    CHECK(statistics.dropped_records >= 1);
    CHECK(statistics.dropped_records <= 3);
    CHECK(serves(*cache, 0));
    CHECK(serves(*cache, 1));
    for (std::uint64_t index = 2; index < 5; ++index) CHECK_FALSE(serves(*cache, index));
  }
  // A payload byte leaves the lengths intact, so all three dropped records are counted.
  std::vector<std::uint8_t> damaged = log;
  damaged[middle_start + cache_test::record_header_size + 3] ^= 0x80;
  cache_test::write_bytes(file, damaged);
  CHECK(open_file_cache(file)->statistics().dropped_records == 3);
}

TEST_CASE("file level: a damaged or foreign header rebuilds the file empty", "[embedding_cache][file][damage]") {
  temporary_folder folder;
  const auto file = folder.path() / "cache.log";
  const std::vector<std::uint8_t> log = make_log(file, 3);

  for (std::size_t offset = 0; offset < cache_test::file_header_size; ++offset) {
    CAPTURE(offset);
    std::vector<std::uint8_t> damaged = log;
    damaged[offset] ^= 0x04;
    cache_test::write_bytes(file, damaged);
    auto cache = open_file_cache(file);
    const auto statistics = cache->statistics();
    CHECK(statistics.file_entries == 0);
    CHECK(statistics.file_bytes == cache_test::file_header_size);
    CHECK(statistics.dropped_bytes == log.size());
    CHECK(statistics.dropped_records == 3);
    for (std::uint64_t index = 0; index < 3; ++index) CHECK_FALSE(serves(*cache, index));
    CHECK(std::filesystem::file_size(file) == cache_test::file_header_size);
  }

  SECTION("a text file, a short file and an empty file") {
    for (const std::string& contents : {std::string("not a cache at all, just some words\n"), std::string("\x89MC"),
                                       std::string()}) {
      cache_test::write_bytes(file, std::vector<std::uint8_t>(contents.begin(), contents.end()));
      auto cache = open_file_cache(file);
      CHECK(cache->statistics().file_entries == 0);
      CHECK(cache->statistics().dropped_bytes == contents.size());
      CHECK(cache->statistics().dropped_records == (contents.empty() ? 0u : 1u));
      store_items(*cache, 7, 1);
      CHECK(serves(*cache, 7));
    }
  }
}

TEST_CASE("file level: files of random bytes open empty", "[embedding_cache][file][damage]") {
  temporary_folder folder;
  const auto file = folder.path() / "cache.log";
  const std::vector<std::uint8_t> valid_header =
      std::vector<std::uint8_t>(make_log(file, 0));  // the header alone
  REQUIRE(valid_header.size() == cache_test::file_header_size);
  std::mt19937_64 generator(20261122);
  for (int round = 0; round < 40; ++round) {
    CAPTURE(round);
    std::vector<std::uint8_t> bytes(generator() % 8192);
    for (auto& byte : bytes) byte = static_cast<std::uint8_t>(generator());
    // Half the rounds keep a valid header so the record reader sees the garbage.
    if (round % 2 == 1) bytes.insert(bytes.begin(), valid_header.begin(), valid_header.end());
    cache_test::write_bytes(file, bytes);
    auto cache = open_file_cache(file);
    CHECK(cache->statistics().file_entries == 0);
    CHECK(cache->statistics().file_bytes == cache_test::file_header_size);
    CHECK_FALSE(serves(*cache, 0));
  }
}

TEST_CASE("file level: a record claiming huge dimensions is dropped without allocating for it",
          "[embedding_cache][file][damage]") {
  temporary_folder folder;
  const auto file = folder.path() / "cache.log";
  const std::vector<std::uint8_t> log = make_log(file, 2);

  for (const std::uint32_t claimed : {std::uint32_t{1} << 31, std::uint32_t{0xFFFFFFFF}, std::uint32_t{65'537},
                                      std::uint32_t{65'536}, std::uint32_t{0}}) {
    CAPTURE(claimed);
    // A third record whose header is well-formed apart from its size, with a correct checksum over
    // what is there, followed by some payload (far less than the claim).
    std::vector<std::uint8_t> record(cache_test::record_header_size + 4096, 0x11);
    const std::uint32_t magic = 0x3152434Du;
    std::memcpy(record.data() + 8, &magic, 4);
    std::memcpy(record.data() + 12, &claimed, 4);
    const std::uint64_t checksum = mosaic::hash::xxhash64(std::span<const std::uint8_t>(record).subspan(8));
    std::memcpy(record.data(), &checksum, 8);
    std::vector<std::uint8_t> hostile = log;
    hostile.insert(hostile.end(), record.begin(), record.end());
    cache_test::write_bytes(file, hostile);

    auto cache = open_file_cache(file);
    CHECK(cache->statistics().file_entries == 2);
    CHECK(cache->statistics().file_bytes == log.size());
    CHECK(cache->statistics().dropped_records == 1);
    CHECK(serves(*cache, 0));
    CHECK(serves(*cache, 1));
  }
}

TEST_CASE("file level: a record damaged on disk after open is dropped, never served", "[embedding_cache][file][damage]") {
  temporary_folder folder;
  const auto file = folder.path() / "cache.log";
  // No memory level, so every lookup reads the file.
  auto cache = open_file_cache(file, 0);
  store_items(*cache, 0, 4);
  const std::size_t record_one = cache_test::file_header_size + record_size(dimensions);

  SECTION("in the payload") { cache_test::flip_byte_on_disk(file, record_one + cache_test::record_header_size + 5); }
  SECTION("in the key") { cache_test::flip_byte_on_disk(file, record_one + 20); }
  SECTION("in the checksum") { cache_test::flip_byte_on_disk(file, record_one + 1); }
  SECTION("in the dimensions") { cache_test::flip_byte_on_disk(file, record_one + 12); }

  CHECK_FALSE(serves(*cache, 1));
  CHECK(cache->statistics().records_failed_verification == 1);
  CHECK(cache->statistics().file_entries == 3);
  CHECK_FALSE(serves(*cache, 1));  // gone from the index: a plain miss now
  CHECK(cache->statistics().records_failed_verification == 1);
  CHECK(serves(*cache, 0));
  CHECK(serves(*cache, 2));
  CHECK(serves(*cache, 3));
  // Storing it again makes it available again.
  store_items(*cache, 1, 1);
  CHECK(serves(*cache, 1));
}

TEST_CASE("file level: a second opener is refused while the file is in use", "[embedding_cache][file]") {
  temporary_folder folder;
  const auto file = folder.path() / "cache.log";
  embedding_cache_options options;
  options.file = file;
  {
    auto first = open_cache(options);
    auto second = embedding_cache::open(options);
    REQUIRE_FALSE(second.ok());
    CHECK(second.failure().code == mosaic::error_code::io_error);
    CHECK_THAT(second.failure().message, Catch::Contains("cache file in use by another process"));

    // Another process is refused as well.
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      auto in_child = embedding_cache::open(options);
      ::_exit(!in_child.ok() && in_child.failure().message.find("in use") != std::string::npos ? 0 : 1);
    }
    int child_status = 0;
    REQUIRE(::waitpid(child, &child_status, 0) == child);
    CHECK(WIFEXITED(child_status));
    CHECK(WEXITSTATUS(child_status) == 0);
  }
  // Closing releases the lock.
  CHECK(embedding_cache::open(options).ok());
}

TEST_CASE("file level: compaction keeps the most recently used entries and the file under its bound",
          "[embedding_cache][file][compaction]") {
  temporary_folder folder;
  const auto file = folder.path() / "cache.log";
  const std::uint64_t bound = cache_test::file_header_size + 20 * record_size(dimensions);
  embedding_cache_options options;
  options.file = file;
  options.file_max_bytes = bound;
  options.memory_bytes = 0;  // everything comes from the file, so a lost record would show
  std::uint64_t entries_before_close = 0;
  {
    auto cache = open_cache(options);
    for (std::uint64_t index = 1; index <= 200; ++index) {
      store_items(*cache, index, 1);
      // Item 0 is used all the time, so it is always among the most recent.
      if (index == 1) store_items(*cache, 0, 1);
      REQUIRE(serves(*cache, 0));
      REQUIRE(cache->statistics().file_bytes <= bound);
      REQUIRE(std::filesystem::file_size(file) <= bound);
    }
    const auto statistics = cache->statistics();
    CHECK(statistics.compactions >= 10);
    entries_before_close = statistics.file_entries;
    // The newest items are still there, the oldest untouched ones are not.
    for (std::uint64_t index = 195; index <= 200; ++index) CHECK(serves(*cache, index));
    for (std::uint64_t index = 1; index <= 20; ++index) CHECK_FALSE(serves(*cache, index));
  }
  CHECK_FALSE(std::filesystem::exists(folder.path() / "cache.log.tmp"));
  auto reopened = open_cache(options);
  CHECK(reopened->statistics().file_entries == entries_before_close);
  CHECK(reopened->statistics().dropped_records == 0);
  CHECK(serves(*reopened, 0));
  for (std::uint64_t index = 195; index <= 200; ++index) CHECK(serves(*reopened, index));
}

TEST_CASE("file level: a vector too large for the file bound stays in memory only", "[embedding_cache][file]") {
  temporary_folder folder;
  embedding_cache_options options;
  options.file = folder.path() / "cache.log";
  options.file_max_bytes = 1024;
  auto cache = open_cache(options);
  REQUIRE(cache->store(key_for(1), vector_for(1, 512)).ok());
  CHECK(cache->find(key_for(1)) == vector_for(1, 512));
  CHECK(cache->statistics().file_entries == 0);
  CHECK(cache->statistics().file_bytes == cache_test::file_header_size);
}

namespace {

// AddressSanitizer keeps freed memory resident (its quarantine), so peak resident memory says nothing
// about a compaction's buffers there; the check runs in the plain build.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool resident_memory_is_meaningful = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool resident_memory_is_meaningful = false;
#else
constexpr bool resident_memory_is_meaningful = true;
#endif
#else
constexpr bool resident_memory_is_meaningful = true;
#endif

// Resident memory in kB from /proc/self/status ("VmRSS" now, "VmHWM" the peak since the last reset).
std::uint64_t status_kilobytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1));
  }
  return 0;
}

}  // namespace

TEST_CASE("file level: a compaction of many megabytes is written a chunk at a time, every kept record read back intact",
          "[embedding_cache][file][compaction][memory]") {
  // 2,048 dimensions: 8 KB records; a 48 MB bound, so a compaction writes up to 24 MB (many 1 MB
  // chunks). Before the fix the whole new file was built in one vector first: its peak resident
  // memory grew by the compacted size (24 MB, more with the vector's doubling); now by one chunk.
  constexpr std::size_t wide = 2048;
  temporary_folder folder;
  const auto file = folder.path() / "cache.log";
  embedding_cache_options options;
  options.file = file;
  options.file_max_bytes = 48ull * 1024 * 1024;
  options.memory_bytes = 0;  // every kept vector is read back from the file, so a wrong offset would show
  auto cache = open_cache(options);
  const std::uint64_t records_in_bound = (options.file_max_bytes - cache_test::file_header_size) / record_size(wide);
  std::uint64_t index = 0;
  for (; index < records_in_bound; ++index) REQUIRE(cache->store(key_for(index), vector_for(index, wide)).ok());
  REQUIRE(cache->statistics().compactions == 0);
  // Reset the peak (Linux: "5" to clear_refs), then the store that overflows the bound compacts.
  const bool peak_resettable = static_cast<bool>(std::ofstream("/proc/self/clear_refs") << "5");
  const std::uint64_t before = status_kilobytes("VmRSS");
  REQUIRE(cache->store(key_for(index), vector_for(index, wide)).ok());
  const std::uint64_t peak = status_kilobytes("VmHWM");
  REQUIRE(cache->statistics().compactions == 1);
  if (resident_memory_is_meaningful && peak_resettable && before > 0) {
    INFO("resident memory before " << before << " kB, peak during the compaction " << peak << " kB");
    CHECK(peak < before + 8 * 1024);
  }
  // The newest half survived, each vector exactly as stored; the file holds them and nothing else.
  const std::uint64_t kept = cache->statistics().file_entries;
  CHECK(kept >= records_in_bound / 2 - 1);
  for (std::uint64_t newest = index; newest + kept > index; --newest) {
    const auto found = cache->find(key_for(newest));
    REQUIRE(found);
    REQUIRE(*found == vector_for(newest, wide));
  }
  CHECK(std::filesystem::file_size(file) == cache_test::file_header_size + kept * record_size(wide));
  CHECK_FALSE(std::filesystem::exists(folder.path() / "cache.log.tmp"));
}
