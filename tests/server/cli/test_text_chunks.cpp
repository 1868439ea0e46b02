// The indexer's chunker (server/cli/text_chunks): no fragments, exact offsets, sentence ends, overlap
// bounds, and no gaps, checked on fixed texts and on every length of a generated one.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "cli/text_chunks.hpp"

using mosaic::server::chunking_settings;
using mosaic::server::count_words;
using mosaic::server::split_into_chunks;
using mosaic::server::text_chunk;

namespace {

// "w0 w1 w2 ...": `count` words, a sentence end after every `sentence` words (0: none).
std::string numbered_words(std::size_t count, std::size_t sentence = 0) {
  std::string text;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) text += (i % 3 == 0) ? "  \n" : " ";
    text += (sentence > 0 && i % sentence == 0) ? "W" : "w";
    text += std::to_string(i);
    if (sentence > 0 && (i + 1) % sentence == 0) text += ".";
  }
  return text;
}

// The word number of a chunk's first and one-past-last word in numbered_words' text.
std::size_t first_word(const text_chunk& chunk) { return std::stoul(std::string(chunk.text.substr(1))); }
std::size_t end_word(const text_chunk& chunk) {
  const std::size_t space = chunk.text.find_last_of(" \n");
  const std::string last(chunk.text.substr(space == std::string_view::npos ? 0 : space + 1));
  return std::stoul(last.substr(1)) + 1;
}

void check_rules(const std::string& text, const chunking_settings& settings, std::size_t words) {
  const auto chunks = split_into_chunks(text, settings);
  INFO("words " << words << ", max " << settings.max_words << ", overlap " << settings.overlap_words
                << (settings.sentence_boundaries ? ", sentences" : ", words"));
  REQUIRE(!chunks.empty());
  if (words <= settings.max_words) {
    REQUIRE(chunks.size() == 1);
    CHECK(chunks[0].text == text);
    return;
  }
  CHECK(first_word(chunks.front()) == 0);
  CHECK(end_word(chunks.back()) == words);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const text_chunk& chunk = chunks[i];
    // Exact byte ranges that start and end at a word.
    CHECK(text.substr(chunk.offset, chunk.text.size()) == chunk.text);
    CHECK(chunk.text.front() != ' ');
    CHECK(chunk.text.back() != ' ');
    CHECK(chunk.words == count_words(chunk.text));
    CHECK(chunk.words == end_word(chunk) - first_word(chunk));
    CHECK(chunk.words <= settings.max_words);
    // No fragments: a chunk of a long text has at least half a chunk of words.
    CHECK(chunk.words >= settings.max_words / 2);
    if (i > 0) {
      const text_chunk& previous = chunks[i - 1];
      // No gap, always progress.
      CHECK(first_word(chunk) > first_word(previous));
      CHECK(first_word(chunk) <= end_word(previous));
      // The overlap is at most the asked one, or half a chunk when a sentence start is near; the last
      // chunk may overlap more (it is the text's last max_words words, moved to a sentence start).
      const std::size_t overlap = end_word(previous) - first_word(chunk);
      if (i + 1 < chunks.size()) CHECK(overlap <= std::max(settings.overlap_words, settings.max_words / 2));
      if (i + 1 < chunks.size() && !settings.sentence_boundaries) CHECK(overlap == std::min(settings.overlap_words, settings.max_words / 2));
    }
  }
}

}  // namespace

TEST_CASE("a short text is one chunk, whole; whitespace is none", "[chunks]") {
  CHECK(split_into_chunks("", chunking_settings{}).empty());
  CHECK(split_into_chunks(" \n\t ", chunking_settings{}).empty());
  const std::string text = "  The soup. Simmer it slowly.\n";
  const auto chunks = split_into_chunks(text, chunking_settings{});
  REQUIRE(chunks.size() == 1);
  CHECK(chunks[0].offset == 2);
  CHECK(chunks[0].text == "The soup. Simmer it slowly.");
  CHECK(chunks[0].words == 5);
}

TEST_CASE("no two-word tail: the last chunk is the text's last words, overlapping", "[chunks]") {
  // 82 words at 80 a chunk used to leave "the soup." alone.
  const std::string text = numbered_words(80) + " the soup.";
  chunking_settings settings;
  settings.max_words = 80;
  settings.sentence_boundaries = false;
  const auto chunks = split_into_chunks(text, settings);
  REQUIRE(chunks.size() == 2);
  CHECK(chunks[0].words == 80);
  CHECK(chunks[1].words == 80);
  CHECK(chunks[1].text.ends_with("the soup."));
  CHECK(chunks[1].offset == text.find("w2 "));
}

TEST_CASE("chunks end at a sentence end in their second half", "[chunks]") {
  // Sentences of 10 words; 64 words a chunk: the first chunk ends after word 60, the end of a sentence.
  const std::string text = numbered_words(130, 10);
  chunking_settings settings;
  settings.max_words = 64;
  const auto chunks = split_into_chunks(text, settings);
  REQUIRE(chunks.size() == 3);
  CHECK(chunks[0].words == 60);
  CHECK(chunks[0].text.ends_with("w59."));
  CHECK(chunks[1].text.starts_with("W60"));
  // The last: the last 64 words (from word 66) moved forward to the sentence start at word 70.
  CHECK(chunks[2].text.starts_with("W70"));
  CHECK(end_word(chunks[2]) == 130);
}

TEST_CASE("an abbreviation before a lower-case word does not end a sentence; a blank line does", "[chunks]") {
  std::string text = "Alpha beta gamma e.g. delta epsilon.";
  for (int i = 0; i < 6; ++i) text += " Zeta eta theta iota.";
  text += "\n\nparagraph two starts here and goes on";
  chunking_settings settings;
  settings.max_words = 8;
  const auto chunks = split_into_chunks(text, settings);
  REQUIRE(!chunks.empty());
  CHECK(chunks[0].text == "Alpha beta gamma e.g. delta epsilon.");
  bool paragraph_start = false;
  for (const auto& chunk : chunks) paragraph_start = paragraph_start || chunk.text.starts_with("paragraph two");
  CHECK(paragraph_start);
}

TEST_CASE("overlap repeats words of the chunk before, within bounds", "[chunks]") {
  const std::string text = numbered_words(200);
  chunking_settings settings;
  settings.max_words = 50;
  settings.overlap_words = 10;
  settings.sentence_boundaries = false;
  const auto chunks = split_into_chunks(text, settings);
  REQUIRE(chunks.size() == 5);  // 0-50, 40-90, 80-130, 120-170, 150-200
  CHECK(first_word(chunks[1]) == 40);
  CHECK(first_word(chunks[2]) == 80);
  CHECK(first_word(chunks[4]) == 150);
  settings.overlap_words = 1000;  // capped at half a chunk
  CHECK(first_word(split_into_chunks(text, settings)[1]) == 25);
}

TEST_CASE("offsets stay exact in UTF-8 text", "[chunks]") {
  std::string text = "Ünïcödé prose — “quoted.” ";
  for (int i = 0; i < 30; ++i) text += "Straße café naïve. ";
  chunking_settings settings;
  settings.max_words = 12;
  for (const auto& chunk : split_into_chunks(text, settings)) {
    CHECK(text.substr(chunk.offset, chunk.text.size()) == chunk.text);
    CHECK(chunk.words <= 12);
  }
}

TEST_CASE("the rules hold for every length, size, overlap and boundary mode", "[chunks]") {
  for (const bool sentences : {false, true}) {
    for (const std::size_t max_words : {1u, 2u, 3u, 7u, 16u, 64u}) {
      for (const std::size_t overlap : {0u, 1u, 5u, 40u}) {
        for (std::size_t words = 1; words <= 150; words += (words < 20 ? 1 : 7)) {
          chunking_settings settings;
          settings.max_words = max_words;
          settings.overlap_words = overlap;
          settings.sentence_boundaries = sentences;
          check_rules(numbered_words(words, sentences ? 6 : 0), settings, words);
        }
      }
    }
  }
}
