#include "cli/text_chunks.hpp"

namespace mosaic::server {
namespace {

bool is_space(char character) {
  return character == ' ' || character == '\n' || character == '\t' || character == '\r' || character == '\f' ||
         character == '\v';
}

}  // namespace

std::vector<text_chunk> split_into_chunks(std::string_view text, std::size_t max_words) {
  std::vector<text_chunk> chunks;
  std::size_t position = 0;
  while (position < text.size()) {
    while (position < text.size() && is_space(text[position])) ++position;
    if (position == text.size()) break;
    const std::size_t start = position;
    std::size_t end = position;
    for (std::size_t words = 0; words < max_words && position < text.size(); ++words) {
      while (position < text.size() && !is_space(text[position])) ++position;
      end = position;
      while (position < text.size() && is_space(text[position])) ++position;
    }
    chunks.push_back({start, text.substr(start, end - start)});
  }
  return chunks;
}

}  // namespace mosaic::server
