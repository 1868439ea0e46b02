#include "cli/text_chunks.hpp"

#include <algorithm>

namespace mosaic::server {
namespace {

bool is_space(char character) {
  return character == ' ' || character == '\n' || character == '\t' || character == '\r' || character == '\f' ||
         character == '\v';
}

struct word_span {
  std::size_t begin = 0;  // byte offsets in the text
  std::size_t end = 0;
  bool starts_sentence = false;
};

bool is_closing_mark(char character) {
  return character == '"' || character == '\'' || character == ')' || character == ']' || character == '*' ||
         character == '_';
}

// "end." "end?!" "end.)" "end.\"" and the UTF-8 closing quotes ” and ’ (E2 80 9D / E2 80 99).
bool ends_sentence(std::string_view word) {
  std::size_t end = word.size();
  while (end > 0) {
    if (is_closing_mark(word[end - 1])) {
      --end;
    } else if (end >= 3 && word[end - 3] == '\xE2' && word[end - 2] == '\x80' &&
               (word[end - 1] == '\x9D' || word[end - 1] == '\x99')) {
      end -= 3;
    } else {
      break;
    }
  }
  if (end == 0) return false;
  const char last = word[end - 1];
  // "…" is E2 80 A6.
  return last == '.' || last == '!' || last == '?' || last == ':' ||
         (end >= 3 && word[end - 3] == '\xE2' && word[end - 2] == '\x80' && last == '\xA6');
}

// A new sentence starts with a capital, a digit, an opening mark or any non-ASCII letter (whose case
// is not worth decoding here); "e.g. the" does not end a sentence.
bool may_start_sentence(std::string_view word) {
  const auto first = static_cast<unsigned char>(word.front());
  return (first >= 'A' && first <= 'Z') || (first >= '0' && first <= '9') || first >= 0x80 || first == '"' ||
         first == '\'' || first == '(' || first == '[' || first == '#' || first == '-' || first == '*';
}

std::vector<word_span> find_words(std::string_view text) {
  std::vector<word_span> words;
  std::size_t position = 0;
  while (position < text.size()) {
    std::size_t newlines = 0;
    while (position < text.size() && is_space(text[position])) {
      if (text[position] == '\n') ++newlines;
      ++position;
    }
    if (position == text.size()) break;
    word_span word;
    word.begin = position;
    while (position < text.size() && !is_space(text[position])) ++position;
    word.end = position;
    if (words.empty()) {
      word.starts_sentence = true;
    } else {
      const word_span& previous = words.back();
      const std::string_view previous_text = text.substr(previous.begin, previous.end - previous.begin);
      // A blank line is a paragraph break; a line break after a sentence's end is one too.
      word.starts_sentence = newlines >= 2 || (ends_sentence(previous_text) &&
                                               (newlines >= 1 || may_start_sentence(text.substr(word.begin, word.end - word.begin))));
    }
    words.push_back(word);
  }
  return words;
}

}  // namespace

std::size_t count_words(std::string_view text) {
  std::size_t words = 0;
  bool in_word = false;
  for (const char character : text) {
    const bool space = is_space(character);
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

std::vector<text_chunk> split_into_chunks(std::string_view text, const chunking_settings& settings) {
  const std::vector<word_span> words = find_words(text);
  const std::size_t count = words.size();
  const std::size_t max_words = std::max<std::size_t>(settings.max_words, 1);
  const std::size_t overlap = std::min(settings.overlap_words, max_words / 2);
  const bool sentences = settings.sentence_boundaries;
  std::vector<text_chunk> chunks;
  const auto emit = [&](std::size_t first, std::size_t end) {
    const std::size_t offset = words[first].begin;
    chunks.push_back({offset, text.substr(offset, words[end - 1].end - offset), end - first});
  };
  if (count == 0) return chunks;

  std::size_t start = 0;
  while (count - start > max_words) {
    std::size_t end = start + max_words;
    if (sentences) {
      // End where a sentence ends, when one ends in the chunk's second half.
      for (std::size_t boundary = end; boundary > start + max_words / 2; --boundary) {
        if (words[boundary].starts_sentence) {
          end = boundary;
          break;
        }
      }
    }
    emit(start, end);
    std::size_t next = end - std::min(overlap, end - start - 1);
    if (sentences && overlap > 0) {
      // Start the overlap at the start of the sentence it falls in, when that adds at most half a chunk.
      const std::size_t earliest = std::max(start + 1, end > max_words / 2 ? end - max_words / 2 : 0);
      for (std::size_t candidate = next; candidate >= earliest && candidate > 0; --candidate) {
        if (words[candidate].starts_sentence) {
          next = candidate;
          break;
        }
      }
    }
    if (count - next <= max_words) {
      // The rest fits one chunk: make it the text's last max_words words, never a short tail, moved
      // forward to a sentence start in its first quarter (never past `next`, so nothing is skipped).
      std::size_t last = count - max_words;
      if (sentences) {
        const std::size_t limit = std::min(next, last + max_words / 4);
        for (std::size_t candidate = last; candidate <= limit; ++candidate) {
          if (words[candidate].starts_sentence) {
            last = candidate;
            break;
          }
        }
      }
      start = std::max(last, start + 1);
      break;
    }
    start = next;
  }
  emit(start, count);
  return chunks;
}

}  // namespace mosaic::server
