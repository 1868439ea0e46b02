#include "media/pdf_pages.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include "media/zlib_inflate.hpp"

namespace mosaic::media {
namespace {

bool is_whitespace(char character) noexcept {
  return character == ' ' || character == '\n' || character == '\r' || character == '\t' || character == '\f' ||
         character == '\0';
}

// PDF delimiters end a name: "/Page" in "/Pages" is not a match, in "/Page>>" or "/Page/" it is.
bool is_delimiter(char character) noexcept {
  return is_whitespace(character) || std::string_view("()<>[]{}/%").find(character) != std::string_view::npos;
}

std::size_t skip_whitespace(std::string_view text, std::size_t position) noexcept {
  while (position < text.size() && is_whitespace(text[position])) ++position;
  return position;
}

// The name after "/Type" at `position` (just past "/Type"): "Pages", "Page", ... or empty.
std::string_view type_name_at(std::string_view text, std::size_t position) {
  position = skip_whitespace(text, position);
  if (position >= text.size() || text[position] != '/') return {};
  const std::size_t start = position + 1;
  std::size_t end = start;
  while (end < text.size() && !is_delimiter(text[end])) ++end;
  return text.substr(start, end - start);
}

std::optional<std::uint64_t> integer_at(std::string_view text, std::size_t position) {
  position = skip_whitespace(text, position);
  std::uint64_t value = 0;
  std::size_t digits = 0;
  while (position < text.size() && text[position] >= '0' && text[position] <= '9' && digits < 12) {
    value = value * 10 + static_cast<std::uint64_t>(text[position] - '0');
    ++position;
    ++digits;
  }
  if (digits == 0 || digits == 12) return std::nullopt;
  return value;
}

struct page_counts {
  std::uint64_t largest_pages_count = 0;  // the largest /Count of a /Type /Pages dictionary
  std::uint64_t page_dictionaries = 0;    // /Type /Page dictionaries
  bool found = false;

  void merge(const page_counts& other) {
    largest_pages_count = std::max(largest_pages_count, other.largest_pages_count);
    page_dictionaries += other.page_dictionaries;
    found = found || other.found;
  }
};

// Dictionaries that matter here are small: looking further than this around each match would make a
// file full of "/Type /Pages" quadratic to scan.
constexpr std::size_t dictionary_window = 64 * 1024;

// The dictionary around `position`: back to the nearest unmatched "<<", forward to its ">>".
std::string_view enclosing_dictionary(std::string_view text, std::size_t position) {
  std::size_t depth = 0;
  std::size_t start = std::string_view::npos;
  const std::size_t lowest = position > dictionary_window ? position - dictionary_window : 0;
  for (std::size_t index = position; index >= 1 && index > lowest; --index) {
    if (text[index - 1] == '>' && index >= 2 && text[index - 2] == '>') {
      ++depth;
      --index;
    } else if (text[index - 1] == '<' && index >= 2 && text[index - 2] == '<') {
      if (depth == 0) {
        start = index - 2;
        break;
      }
      --depth;
      --index;
    }
  }
  if (start == std::string_view::npos) return {};
  depth = 0;
  const std::size_t highest = std::min(text.size(), start + 2 * dictionary_window);
  for (std::size_t index = start; index + 1 < highest; ++index) {
    if (text[index] == '<' && text[index + 1] == '<') {
      ++depth;
      ++index;
    } else if (text[index] == '>' && text[index + 1] == '>') {
      if (--depth == 0) return text.substr(start, index + 2 - start);
      ++index;
    }
  }
  return text.substr(start, highest - start);  // unterminated: what the window holds
}

// /Count directly in `dictionary` (not in a nested one).
std::optional<std::uint64_t> count_entry(std::string_view dictionary) {
  std::size_t depth = 0;
  for (std::size_t index = 0; index + 1 < dictionary.size(); ++index) {
    if (dictionary[index] == '<' && dictionary[index + 1] == '<') {
      ++depth;
      ++index;
    } else if (dictionary[index] == '>' && dictionary[index + 1] == '>') {
      if (depth > 0) --depth;
      ++index;
    } else if (depth == 1 && dictionary.substr(index, 6) == "/Count" &&
               (index + 6 >= dictionary.size() || is_delimiter(dictionary[index + 6]))) {
      return integer_at(dictionary, index + 6);
    }
  }
  return std::nullopt;
}

page_counts count_in(std::string_view text) {
  page_counts counts;
  std::size_t position = 0;
  while ((position = text.find("/Type", position)) != std::string_view::npos) {
    position += 5;
    if (position < text.size() && !is_delimiter(text[position])) continue;  // "/TypeX"
    const std::string_view name = type_name_at(text, position);
    if (name == "Page") {
      ++counts.page_dictionaries;
      counts.found = true;
    } else if (name == "Pages") {
      counts.found = true;
      if (auto count = count_entry(enclosing_dictionary(text, position))) {
        counts.largest_pages_count = std::max(counts.largest_pages_count, *count);
      }
    }
  }
  return counts;
}

// Counts over the file's own text, stream data left out: a stream's bytes are counted only once
// inflated (an object stream), and a stored (uncompressed) object stream would otherwise count twice.
page_counts count_outside_streams(std::string_view text) {
  page_counts counts;
  std::size_t position = 0;
  while (position < text.size()) {
    std::size_t keyword = text.find("stream", position);
    // "stream" as a keyword: after a dictionary or whitespace (not the end of "endstream"), before an EOL.
    while (keyword != std::string_view::npos) {
      const bool starts = keyword > 0 && (is_whitespace(text[keyword - 1]) || text[keyword - 1] == '>');
      const std::size_t after = keyword + 6;
      const bool ends = after < text.size() && (text[after] == '\r' || text[after] == '\n');
      if (starts && ends) break;
      keyword = text.find("stream", keyword + 6);
    }
    if (keyword == std::string_view::npos) {
      counts.merge(count_in(text.substr(position)));
      break;
    }
    counts.merge(count_in(text.substr(position, keyword - position)));
    const std::size_t end = text.find("endstream", keyword + 6);
    if (end == std::string_view::npos) break;  // the rest is stream data
    position = end + 9;
  }
  return counts;
}

}  // namespace

result<std::uint64_t> count_pdf_pages(std::span<const std::uint8_t> bytes, const pdf_page_count_limits& limits) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (text.substr(0, 5) != "%PDF-") return make_error(error_code::invalid_media, "not a PDF (no %PDF- header)");
  page_counts counts = count_outside_streams(text);

  // Object streams: "/Type /ObjStm" dictionaries whose stream is FlateDecode.
  std::size_t streams = 0;
  std::size_t inflated_total = 0;
  std::size_t position = 0;
  while ((position = text.find("/ObjStm", position)) != std::string_view::npos) {
    const std::string_view dictionary = enclosing_dictionary(text, position);
    position += 7;
    if (dictionary.empty() || dictionary.find("/FlateDecode") == std::string_view::npos) continue;
    if (dictionary.find("/DecodeParms") != std::string_view::npos) continue;  // predictors: not object streams in practice
    const std::size_t dictionary_end = static_cast<std::size_t>(dictionary.data() - text.data()) + dictionary.size();
    std::size_t data = skip_whitespace(text, dictionary_end);
    if (text.substr(data, 6) != "stream") continue;
    data += 6;
    if (data < text.size() && text[data] == '\r') ++data;
    if (data < text.size() && text[data] == '\n') ++data;
    const std::size_t end = text.find("endstream", data);
    if (end == std::string_view::npos) {
      return make_error(error_code::invalid_media, "a PDF object stream without endstream");
    }
    if (++streams > limits.max_object_streams) {
      return make_error(error_code::media_too_large, "a PDF with more than " +
                                                         std::to_string(limits.max_object_streams) + " object streams");
    }
    // The compressed data ends before "endstream" (after an optional end-of-line); zlib stops at its
    // own end marker, so trailing whitespace is harmless.
    auto inflated = inflate_zlib(bytes.subspan(data, end - data), limits.max_inflated_bytes - inflated_total);
    if (!inflated) {
      if (inflated.failure().code == error_code::media_too_large) {
        return make_error(error_code::media_too_large, "PDF object streams that inflate beyond " +
                                                           std::to_string(limits.max_inflated_bytes) + " bytes");
      }
      return make_error(error_code::invalid_media, "a PDF object stream: " + inflated.failure().message);
    }
    inflated_total += inflated->size();
    counts.merge(count_in({reinterpret_cast<const char*>(inflated->data()), inflated->size()}));
    position = end;
  }
  if (!counts.found) {
    return make_error(error_code::invalid_media, "no page tree found in the PDF, so its pages cannot be counted");
  }
  return std::max(counts.largest_pages_count, counts.page_dictionaries);
}

}  // namespace mosaic::media
