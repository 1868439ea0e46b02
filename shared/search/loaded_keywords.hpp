#pragma once
// A client's keyword index in memory: the site's keyword directory and the term files that have
// arrived so far, each checked against what names it (the directory against the manifest's content
// hash, a term file against the directory's entry, then each decoder's validation). Like the vector
// shards, term files arrive lazily: a query says which files its terms need (term_files_needed), the
// client fetches those, and the search runs over what is loaded. Natively every file is loaded at once.
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "index/manifest.hpp"
#include "keywords/keyword_directory.hpp"
#include "keywords/keyword_query.hpp"
#include "keywords/keyword_search.hpp"
#include "keywords/term_file.hpp"

namespace mosaic::search {

class loaded_keywords {
 public:
  // Checks `directory_bytes` against the manifest's `keywords` entry (SHA-256: checksum_mismatch), then
  // decodes it. invalid_manifest when the manifest names no keyword index.
  static result<loaded_keywords> create(const index::manifest& manifest, std::span<const std::uint8_t> directory_bytes);

  [[nodiscard]] const keywords::keyword_directory& directory() const noexcept { return directory_; }

  // The term files (directory positions, ascending) that `query` needs and that are not loaded yet.
  [[nodiscard]] std::vector<std::size_t> term_files_needed(const keywords::keyword_query& query) const;
  // The directory's hash hex and path of a term file, for a client to fetch it.
  [[nodiscard]] result<index::content_file> term_file_entry(std::size_t file_index) const;

  // Checks and keeps a term file (its SHA-256 and every check of its decoder). Loading a file twice is
  // harmless (the second copy is dropped).
  status add_term_file(std::size_t file_index, std::span<const std::uint8_t> bytes);
  status release_term_file(std::size_t file_index);
  [[nodiscard]] std::size_t loaded_term_file_count() const noexcept { return files_.size(); }

  // BM25F over the loaded files; invalid_argument naming the term when a needed file is not loaded.
  [[nodiscard]] result<std::vector<keywords::keyword_hit>> search(const keywords::keyword_query& query, std::size_t k,
                                                                  const std::function<bool(keywords::item_reference)>& accept,
                                                                  const keywords::bm25_parameters& parameters = {}) const;

 private:
  explicit loaded_keywords(keywords::keyword_directory directory) : directory_(std::move(directory)) {}

  keywords::keyword_directory directory_;
  std::map<std::size_t, keywords::term_file> files_;  // by directory position
};

}  // namespace mosaic::search
