#include "search/loaded_keywords.hpp"

#include <algorithm>

#include "hash/sha256.hpp"

namespace mosaic::search {

result<loaded_keywords> loaded_keywords::create(const index::manifest& manifest,
                                                std::span<const std::uint8_t> directory_bytes) {
  if (!manifest.keywords) return make_error(error_code::invalid_manifest, "manifest.json names no keyword index");
  // The hash first: bytes that are not the file the manifest names are not looked at any further.
  if (hash::sha256_hex(directory_bytes) != manifest.keywords->hash) {
    return make_error(error_code::checksum_mismatch, manifest.keywords->path + " does not match its content hash");
  }
  auto directory = keywords::decode_keyword_directory(directory_bytes);
  if (!directory) return make_error(directory.failure().code, manifest.keywords->path + ": " + directory.failure().message);
  return loaded_keywords(std::move(directory).value());
}

std::vector<std::size_t> loaded_keywords::term_files_needed(const keywords::keyword_query& query) const {
  std::vector<std::size_t> needed;
  for (const std::string& term : keywords::terms_to_fetch(query)) {
    const std::optional<std::size_t> file = directory_.term_file_for(term);
    // A term before the first file's first term is in no file: it has no postings.
    if (file && !files_.contains(*file)) needed.push_back(*file);
  }
  std::sort(needed.begin(), needed.end());
  needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
  return needed;
}

result<index::content_file> loaded_keywords::term_file_entry(std::size_t file_index) const {
  if (file_index >= directory_.term_files.size()) {
    return make_error(error_code::invalid_argument, "the keyword directory has " + std::to_string(directory_.term_files.size()) +
                                                        " term files; there is no term file " + std::to_string(file_index));
  }
  const keywords::term_file_entry& entry = directory_.term_files[file_index];
  return index::content_file{entry.hash, index::term_file_path_for(entry.hash), entry.bytes};
}

status loaded_keywords::add_term_file(std::size_t file_index, std::span<const std::uint8_t> bytes) {
  auto entry = term_file_entry(file_index);
  if (!entry) return std::move(entry).failure();
  if (files_.contains(file_index)) return success{};
  // The decoder checks the size and SHA-256 the directory names before anything else.
  auto decoded = keywords::term_file::decode(bytes, directory_, file_index);
  if (!decoded) return make_error(decoded.failure().code, entry->path + ": " + decoded.failure().message);
  files_.emplace(file_index, std::move(decoded).value());
  return success{};
}

status loaded_keywords::release_term_file(std::size_t file_index) {
  if (files_.erase(file_index) == 0) {
    return make_error(error_code::invalid_argument, "term file " + std::to_string(file_index) + " is not loaded");
  }
  return success{};
}

result<std::vector<keywords::keyword_hit>> loaded_keywords::search(
    const keywords::keyword_query& query, std::size_t k, const std::function<bool(keywords::item_reference)>& accept,
    const keywords::bm25_parameters& parameters) const {
  std::vector<const keywords::term_file*> files;
  files.reserve(files_.size());
  for (const auto& [position, file] : files_) files.push_back(&file);
  return keywords::search_keywords(query, directory_, files, k, accept, parameters);
}

}  // namespace mosaic::search
