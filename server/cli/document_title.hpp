#pragma once
// A text document's title: the `title:` of YAML front matter, else a Markdown heading on its first
// line (`# Title`, or a line underlined with `===`), else a short first line set apart from the text
// after it (followed by a blank line, or at most half as long as the next line), else the file name's
// words. The indexer shows it as every chunk's item title and embeds it with every chunk, so a chunk
// from the middle of a document still says what the document is about.
#include <cstddef>
#include <string>
#include <string_view>

namespace mosaic::server {

enum class title_origin { front_matter, heading, first_line, file_name };

struct document_title {
  std::string title;
  title_origin origin = title_origin::file_name;
  // Where the text to chunk begins: after the front matter and after a heading or first line that
  // became the title (so the title is not embedded twice). Bytes from the start of the text.
  std::size_t body_offset = 0;
};

// `file_name_words` ("red bicycle 2024" for red_bicycle-2024.txt) is the last resort.
document_title find_document_title(std::string_view text, std::string_view file_name_words);

// Whether a title from a file name says something worth embedding: names that are mostly digits or
// codes (4380635, doc_00123, IMG 1234) are shown but not embedded, so an id does not pull every chunk
// of a collection towards the same noise.
bool file_name_title_is_meaningful(std::string_view file_name_words);

// What is embedded for a chunk with the local (text-only) model: the title, then the chunk, as one
// text ("Title. chunk" or "Title? chunk" when the title ends a sentence itself).
std::string titled_chunk_text(std::string_view title, std::string_view chunk);

}  // namespace mosaic::server
