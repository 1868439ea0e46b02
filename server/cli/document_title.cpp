#include "cli/document_title.hpp"

#include <algorithm>
#include <cctype>

#include "cli/text_chunks.hpp"

namespace mosaic::server {
namespace {

constexpr std::size_t front_matter_limit = 64 * 1024;  // bytes searched for the closing `---`
constexpr std::size_t first_line_title_words = 12;
constexpr std::size_t first_line_title_bytes = 150;

struct line {
  std::size_t begin = 0;  // bytes in the text
  std::size_t end = 0;    // before the line break
  std::size_t next = 0;   // after the line break
};

line line_at(std::string_view text, std::size_t position) {
  const std::size_t newline = text.find('\n', position);
  line found{position, newline == std::string_view::npos ? text.size() : newline,
             newline == std::string_view::npos ? text.size() : newline + 1};
  if (found.end > found.begin && text[found.end - 1] == '\r') --found.end;
  return found;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::string_view line_text(std::string_view text, const line& at) { return text.substr(at.begin, at.end - at.begin); }

bool is_blank(std::string_view text) { return trim(text).empty(); }

// The first line at or after `position` with anything on it.
line first_non_blank_line(std::string_view text, std::size_t position) {
  line at = line_at(text, position);
  while (at.begin < text.size() && is_blank(line_text(text, at))) at = line_at(text, at.next);
  return at;
}

std::string_view unquoted(std::string_view value) {
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
    return trim(value.substr(1, value.size() - 2));
  }
  return value;
}

// "--- … ---" at the very start: the front matter's top-level `title:` (empty when it has none), and
// where the text after it begins. No front matter: body_offset 0.
struct front_matter {
  std::string title;
  std::size_t body_offset = 0;
};

front_matter read_front_matter(std::string_view text) {
  front_matter found;
  const line opening = line_at(text, 0);
  if (line_text(text, opening) != "---") return found;
  for (line at = line_at(text, opening.next); at.begin < text.size() && at.begin < front_matter_limit;
       at = line_at(text, at.next)) {
    const std::string_view content = line_text(text, at);
    if (content == "---" || content == "...") {
      found.body_offset = at.next;
      return found;
    }
    if (content.starts_with("title:") && found.title.empty()) found.title = std::string(unquoted(trim(content.substr(6))));
  }
  return {};  // never closed: not front matter
}

// "# Title ##" -> "Title"; empty when the line is not an ATX heading.
std::string_view atx_heading(std::string_view content) {
  std::size_t level = 0;
  while (level < content.size() && content[level] == '#') ++level;
  if (level == 0 || level > 6 || level == content.size() || (content[level] != ' ' && content[level] != '\t')) return {};
  std::string_view heading = trim(content.substr(level));
  while (!heading.empty() && heading.back() == '#') heading.remove_suffix(1);
  return trim(heading);
}

bool is_setext_underline(std::string_view content) {
  content = trim(content);
  return content.size() >= 2 && std::all_of(content.begin(), content.end(), [](char c) { return c == '='; });
}

}  // namespace

document_title find_document_title(std::string_view text, std::string_view file_name_words) {
  const front_matter matter = read_front_matter(text);
  document_title found;
  found.body_offset = matter.body_offset;
  if (!matter.title.empty()) {
    found.title = matter.title;
    found.origin = title_origin::front_matter;
    return found;
  }
  const line first = first_non_blank_line(text, matter.body_offset);
  const std::string_view first_content = trim(line_text(text, first));
  if (!first_content.empty()) {
    if (const std::string_view heading = atx_heading(first_content); !heading.empty()) {
      return {std::string(heading), title_origin::heading, first.next};
    }
    const line second = line_at(text, first.next);
    const std::string_view second_content = trim(line_text(text, second));
    if (is_setext_underline(second_content)) return {std::string(first_content), title_origin::heading, second.next};
    // A short first line set apart from a text that goes on after it.
    const line body = first_non_blank_line(text, first.next);
    const bool more_text = body.begin < text.size();
    const bool set_apart = second_content.empty() || first_content.size() * 2 <= second_content.size();
    const char last = first_content.back();
    const bool ends_like_a_title = last != ',' && last != ';' && last != '.' && last != ':';
    const bool has_words = std::any_of(first_content.begin(), first_content.end(), [](char c) {
      const auto byte = static_cast<unsigned char>(c);
      return byte >= 0x80 || std::isalnum(byte) != 0;
    });
    if (more_text && set_apart && ends_like_a_title && has_words && first_content.size() <= first_line_title_bytes &&
        count_words(first_content) <= first_line_title_words) {
      return {std::string(first_content), title_origin::first_line, first.next};
    }
  }
  found.title = std::string(file_name_words);
  found.origin = title_origin::file_name;
  return found;
}

bool file_name_title_is_meaningful(std::string_view file_name_words) {
  std::size_t letters = 0, others = 0, longest_letter_run = 0, run = 0;
  for (const char character : file_name_words) {
    const auto byte = static_cast<unsigned char>(character);
    if (byte == ' ') {
      run = 0;
      continue;
    }
    // Bytes of non-ASCII letters count as letters: a name in another script is words too.
    const bool letter = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || byte >= 0x80;
    if (letter) {
      ++letters;
      longest_letter_run = std::max(longest_letter_run, ++run);
    } else {
      ++others;
      run = 0;
    }
  }
  return longest_letter_run >= 3 && letters >= 2 * others;
}

std::string titled_chunk_text(std::string_view title, std::string_view chunk) {
  if (title.empty()) return std::string(chunk);
  std::string text(title);
  const char last = title.back();
  text += (last == '.' || last == '!' || last == '?') ? " " : ". ";
  text += chunk;
  return text;
}

}  // namespace mosaic::server
