// The memo of vectors' JSON text must write exactly what append_json_float_array writes, for vectors it
// has seen and for new ones, stay within its byte bound, and never answer one vector with another's
// text (vectors that differ in one bit, or only in the sign of a zero).
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "embed/float_array_text_memo.hpp"
#include "embed/float_json.hpp"

namespace {

using namespace mosaic::server;

std::string direct(const std::vector<float>& values) {
  std::string text;
  append_json_float_array(text, values);
  return text;
}

std::string through(float_array_text_memo& memo, const std::vector<float>& values, std::string prefix = "") {
  memo.append(prefix, values);
  return prefix;
}

std::vector<float> random_vector(std::mt19937& random, std::size_t size) {
  std::normal_distribution<float> normal;
  std::vector<float> values(size);
  for (float& value : values) value = normal(random);
  return values;
}

}  // namespace

TEST_CASE("vector text memo: the text is the direct text, seen or new", "[memo]") {
  float_array_text_memo memo(1 << 20);
  std::mt19937 random(7);
  std::vector<std::vector<float>> vectors;
  for (int index = 0; index < 20; ++index) vectors.push_back(random_vector(random, 1 + static_cast<std::size_t>(index) * 37));
  vectors.push_back({});
  for (int round = 0; round < 3; ++round) {
    for (const auto& vector : vectors) CHECK(through(memo, vector, "x") == "x" + direct(vector));
  }
  const auto statistics = memo.statistics();
  CHECK(statistics.misses == vectors.size());
  CHECK(statistics.hits == 2 * vectors.size());
  CHECK(statistics.entries == vectors.size());
}

TEST_CASE("vector text memo: vectors one bit apart get their own text", "[memo]") {
  float_array_text_memo memo(1 << 20);
  const std::vector<float> zero{0.0f, 1.0f};
  const std::vector<float> negative_zero{-0.0f, 1.0f};
  std::vector<float> next = zero;
  next[1] = std::nextafter(1.0f, 2.0f);
  CHECK(through(memo, zero) == "[0,1]");
  CHECK(through(memo, negative_zero) == "[-0,1]");
  CHECK(through(memo, next) == direct(next));
  CHECK(through(memo, zero) == "[0,1]");
  CHECK(memo.statistics().hits == 1);
}

TEST_CASE("vector text memo: the byte bound holds and the least recently used go first", "[memo]") {
  float_array_text_memo memo(64 * 1024);
  std::mt19937 random(11);
  const std::vector<float> kept = random_vector(random, 256);
  for (int index = 0; index < 200; ++index) {
    const auto vector = random_vector(random, 256);
    CHECK(through(memo, vector) == direct(vector));
    CHECK(through(memo, kept) == direct(kept));  // used all along: never the oldest
    CHECK(memo.statistics().bytes <= 64 * 1024);
  }
  CHECK(memo.statistics().entries < 200);
  CHECK(memo.statistics().misses == 201);  // `kept` was written once, then always remembered

  float_array_text_memo tiny(16);  // smaller than any entry: writes, remembers nothing
  const auto vector = random_vector(random, 8);
  CHECK(through(tiny, vector) == direct(vector));
  CHECK(through(tiny, vector) == direct(vector));
  CHECK(tiny.statistics().entries == 0);
}

TEST_CASE("vector text memo: threads sharing it all get the right text", "[memo]") {
  float_array_text_memo memo(256 * 1024);
  std::mt19937 random(13);
  std::vector<std::vector<float>> vectors;
  std::vector<std::string> expected;
  for (int index = 0; index < 64; ++index) {
    vectors.push_back(random_vector(random, 128));
    expected.push_back(direct(vectors.back()));
  }
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int thread = 0; thread < 4; ++thread) {
    threads.emplace_back([&, thread] {
      for (int round = 0; round < 500; ++round) {
        const std::size_t pick = static_cast<std::size_t>(round * 7 + thread * 13) % vectors.size();
        if (through(memo, vectors[pick]) != expected[pick]) ++wrong[static_cast<std::size_t>(thread)];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(wrong == std::vector<int>(4, 0));
  CHECK(memo.statistics().bytes <= 256 * 1024);
}
