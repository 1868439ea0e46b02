#pragma once
// Splits a document's text into the chunks that are embedded, at word boundaries and (by default)
// sentence boundaries, keeping each chunk's exact byte offset in the text so a result points back
// into the file.
//
// The rules (tests/server/test_text_chunks.cpp checks each):
//  - a text of at most max_words words is one chunk, whole;
//  - otherwise every chunk has at most max_words words and no chunk is a fragment: a chunk that is
//    not the last ends where a sentence ends when one ends in its second half, and the last chunk is
//    the text's last max_words words (it overlaps its predecessor rather than being a two-word
//    tail), moved forward to a sentence start when one begins in its first quarter;
//  - consecutive chunks leave no gap: each starts after the previous one's start and at or before its
//    end; the overlap is overlap_words (less when a sentence start is near, never more than half a
//    chunk), except that the last chunk may overlap more, as above;
//  - offsets and lengths are exact byte ranges of the input: chunk.text == text.substr(chunk.offset,
//    chunk.text.size()), starting and ending at a word.
#include <cstddef>
#include <string_view>
#include <vector>

namespace mosaic::server {

struct text_chunk {
  std::size_t offset = 0;  // bytes from the start of the text
  std::string_view text;   // from the chunk's first word to its last, inclusive
  std::size_t words = 0;
};

struct chunking_settings {
  std::size_t max_words = 64;         // at least 1
  std::size_t overlap_words = 0;      // capped at max_words / 2
  bool sentence_boundaries = true;    // end chunks at sentence ends where one is near
};

// Whitespace-only text gives no chunks.
std::vector<text_chunk> split_into_chunks(std::string_view text, const chunking_settings& settings);

// Whitespace-separated words in `text`.
std::size_t count_words(std::string_view text);

}  // namespace mosaic::server
