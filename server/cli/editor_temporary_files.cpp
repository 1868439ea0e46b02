#include "cli/editor_temporary_files.hpp"

#include <array>
#include <cctype>

namespace mosaic::server {
namespace {

bool ends_with_ignoring_case(std::string_view text, std::string_view suffix) noexcept {
  if (text.size() < suffix.size()) return false;
  const std::string_view tail = text.substr(text.size() - suffix.size());
  for (std::size_t position = 0; position < suffix.size(); ++position) {
    if (std::tolower(static_cast<unsigned char>(tail[position])) != suffix[position]) return false;
  }
  return true;
}

}  // namespace

bool is_editor_temporary_file(std::string_view file_name) noexcept {
  if (file_name.empty()) return false;
  // vim creates "4913" (then a number counting up) to test whether it may write in the folder.
  if (file_name == "4913") return true;
  if (file_name.back() == '~') return true;
  if (file_name.starts_with(".#")) return true;
  if (file_name.size() > 2 && file_name.front() == '#' && file_name.back() == '#') return true;
  constexpr std::array<std::string_view, 8> suffixes{".swp", ".swo", ".swx", ".tmp", ".part", ".crdownload", ".kate-swp", ".partial"};
  for (const std::string_view suffix : suffixes) {
    if (ends_with_ignoring_case(file_name, suffix)) return true;
  }
  return false;
}

}  // namespace mosaic::server
