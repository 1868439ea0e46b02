#pragma once
// Helpers the keyword tests share: build an index and load it the way a client does (decode the
// directory, then each term file against it), search by query text, and re-seal a corrupted file so
// that the one defect a test made is the one the decoder must name.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hash/sha256.hpp"
#include "keywords/keyword_directory.hpp"
#include "keywords/keyword_file_headers.hpp"
#include "keywords/keyword_index_builder.hpp"
#include "keywords/keyword_query.hpp"
#include "keywords/keyword_search.hpp"
#include "keywords/term_file.hpp"
#include "text/text_analysis.hpp"

namespace mosaic::keywords::testing {

struct loaded_index {
  keyword_directory directory;
  std::vector<term_file> files;
  std::vector<const term_file*> pointers;  // into `files`; rebuilt by load()
};

inline loaded_index load(const built_keyword_index& built) {
  loaded_index loaded;
  auto directory = decode_keyword_directory(built.directory.bytes);
  if (!directory) FAIL(directory.failure().message);
  loaded.directory = std::move(directory).value();
  REQUIRE(loaded.directory.term_files.size() == built.term_files.size());
  for (std::size_t index = 0; index < built.term_files.size(); ++index) {
    auto file = term_file::decode(built.term_files[index].bytes, loaded.directory, index);
    if (!file) FAIL(file.failure().message);
    loaded.files.push_back(std::move(file).value());
  }
  for (const term_file& file : loaded.files) loaded.pointers.push_back(&file);
  return loaded;
}

inline built_keyword_index build(const std::vector<keyword_document>& documents, keyword_build_options options = {}) {
  auto built = build_keyword_index(documents, options);
  if (!built) FAIL(built.failure().message);
  return std::move(built).value();
}

inline text::text_analyzer& shared_analyzer() {
  static text::text_analyzer analyzer = [] {
    // As the builder's default analysis makes the documents' terms.
    auto created = analyzer_for(default_analysis);
    REQUIRE(created.ok());
    return std::move(created).value();
  }();
  return analyzer;
}

inline keyword_query parse(std::string_view text) {
  auto query = parse_keyword_query(text, shared_analyzer());
  if (!query) FAIL(query.failure().message);
  return std::move(query).value();
}

inline std::vector<keyword_hit> search(const loaded_index& index, std::string_view text, std::size_t k = 10,
                                       const bm25_parameters& parameters = {},
                                       const std::function<bool(item_reference)>& accept = {}) {
  auto hits = search_keywords(parse(text), index.directory, index.pointers, k, accept, parameters);
  if (!hits) FAIL(hits.failure().message);
  return std::move(hits).value();
}

inline std::vector<item_reference> references_of(const std::vector<keyword_hit>& hits) {
  std::vector<item_reference> references;
  for (const keyword_hit& hit : hits) references.push_back(hit.reference);
  return references;
}

// Recomputes the XXH64 checksum after an edit, as the writer would have.
inline void reseal(std::vector<std::uint8_t>& bytes) {
  const std::uint64_t checksum = keyword_file_checksum(bytes);
  std::memcpy(bytes.data() + keyword_checksum_offset, &checksum, sizeof checksum);
}

// Makes directory.term_files[index] name `bytes` (size and SHA-256), so a decoder gets past the
// directory's hash and reaches the check a test aims at.
inline void name_in_directory(keyword_directory& directory, std::size_t index, std::span<const std::uint8_t> bytes) {
  directory.term_files[index].bytes = bytes.size();
  directory.term_files[index].hash = hash::sha256_hex(bytes);
}

template <typename Value>
void write_little_endian(std::vector<std::uint8_t>& bytes, std::size_t offset, Value value) {
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}

inline std::string hex(std::span<const std::uint8_t> bytes) { return hash::to_hex(bytes); }

}  // namespace mosaic::keywords::testing
