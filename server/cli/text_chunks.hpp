#pragma once
// Splits text into chunks small enough for the embedding model's window, at word boundaries, keeping
// each chunk's byte offset in the source so a result can point back into the file.
#include <cstddef>
#include <string_view>
#include <vector>

namespace mosaic::server {

struct text_chunk {
  std::size_t offset = 0;  // bytes from the start of the text
  std::string_view text;
};

// At most `max_words` whitespace-separated words per chunk; whitespace-only text gives no chunks.
std::vector<text_chunk> split_into_chunks(std::string_view text, std::size_t max_words);

}  // namespace mosaic::server
