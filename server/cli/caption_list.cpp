#include "cli/caption_list.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "site/site_reader.hpp"

namespace mosaic::server {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

// Empty when the path can name a file inside the collection, else why not.
std::string path_problem(const std::string& path) {
  if (path.empty()) return "\"path\" is empty";
  if (path.front() == '/') return "\"path\" must be relative to the collection folder, not absolute";
  if (path.find('\0') != std::string::npos) return "\"path\" contains a NUL character";
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part(path.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") {
      return "\"path\" must be a plain relative path ('/'-separated, no empty, '.' or '..' parts)";
    }
    start = end + 1;
  }
  return {};
}

// The problem with one line, empty when it is good (then `path` and `entry` are filled in).
std::string check_line(std::string_view line, const caption_list_limits& limits, std::string& path,
                       listed_caption& entry) {
  if (line.size() > limits.max_line_bytes) {
    return "the line is " + std::to_string(line.size()) + " bytes, over the " + std::to_string(limits.max_line_bytes) +
           " a caption line may have";
  }
  // nlohmann's parser checks the UTF-8 of every string and keeps its nesting on the heap, so a hostile
  // line is an error message, never a crash.
  json parsed = json::parse(line, nullptr, false);
  if (parsed.is_discarded()) return "not valid JSON (or not UTF-8)";
  if (!parsed.is_object()) return "not a JSON object; each line is {\"path\": ..., \"caption\": ...}";
  for (auto field = parsed.begin(); field != parsed.end(); ++field) {
    if (field.key() != "path" && field.key() != "caption" && field.key() != "title" && field.key() != "description") {
      return "unknown key \"" + field.key() + "\" (the keys are path, caption and an optional title and description)";
    }
  }
  const auto path_field = parsed.find("path");
  if (path_field == parsed.end() || !path_field->is_string()) return "\"path\" is missing or not a string";
  const auto caption_field = parsed.find("caption");
  if (caption_field == parsed.end() || !caption_field->is_string()) return "\"caption\" is missing or not a string";
  path = path_field->get<std::string>();
  if (std::string problem = path_problem(path); !problem.empty()) return problem;
  entry.caption = trimmed(caption_field->get_ref<const std::string&>());
  if (entry.caption.empty()) return "\"caption\" is empty";
  if (entry.caption.size() > limits.max_caption_bytes) {
    return "\"caption\" is " + std::to_string(entry.caption.size()) + " bytes, over the " +
           std::to_string(limits.max_caption_bytes) + " a caption may have";
  }
  if (const auto title_field = parsed.find("title"); title_field != parsed.end()) {
    if (!title_field->is_string()) return "\"title\" is not a string";
    entry.title = trimmed(title_field->get_ref<const std::string&>());
    if (entry.title.size() > limits.max_caption_bytes) return "\"title\" is longer than a caption may be";
  }
  if (const auto description_field = parsed.find("description"); description_field != parsed.end()) {
    if (!description_field->is_string()) return "\"description\" is not a string";
    entry.description = trimmed(description_field->get_ref<const std::string&>());
    if (entry.description.size() > limits.max_caption_bytes) return "\"description\" is longer than a caption may be";
  }
  return {};
}

}  // namespace

result<caption_list> read_caption_list(const fs::path& file, const caption_list_limits& limits) {
  std::error_code failure;
  const std::uintmax_t size = fs::file_size(file, failure);
  if (failure) return make_error(error_code::io_error, "cannot read the captions file " + file.string() + ": " + failure.message());
  if (size > limits.max_file_bytes) {
    return make_error(error_code::invalid_argument, "the captions file " + file.string() + " is " + std::to_string(size) +
                                                        " bytes, over the " + std::to_string(limits.max_file_bytes) + " allowed");
  }
  auto bytes = read_whole_file(file);
  if (!bytes) return bytes.failure();
  std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte order mark some editors write

  caption_list list;
  std::vector<std::string> problems;
  std::size_t bad_lines = 0;
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (trimmed(line).empty()) continue;
    std::string path;
    listed_caption entry;
    entry.line = line_number;
    std::string problem = check_line(line, limits, path, entry);
    if (problem.empty()) {
      const auto [existing, inserted] = list.by_path.emplace(path, entry);
      if (!inserted) problem = "\"" + path + "\" was already given on line " + std::to_string(existing->second.line);
    }
    if (problem.empty()) continue;
    ++bad_lines;
    if (problems.size() < limits.max_reported_lines) problems.push_back("line " + std::to_string(line_number) + ": " + problem);
  }
  if (bad_lines > 0) {
    std::string message = "the captions file " + file.string() + " has " + std::to_string(bad_lines) +
                          (bad_lines == 1 ? " bad line" : " bad lines") + " (nothing was indexed):";
    for (const std::string& problem : problems) message += "\n  " + problem;
    if (bad_lines > problems.size()) message += "\n  ... and " + std::to_string(bad_lines - problems.size()) + " more";
    return make_error(error_code::invalid_argument, std::move(message));
  }
  return list;
}

}  // namespace mosaic::server
