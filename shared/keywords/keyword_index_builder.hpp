#pragma once
// Builds the keyword index of a collection (docs/format.md, "Keyword index"): what `mosaic index`
// calls with the text of every item. The output is the directory and the term files as bytes named by
// their SHA-256, deterministic for a given set of documents whatever their order.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "keywords/item_reference.hpp"
#include "keywords/keyword_analysis.hpp"

namespace mosaic::keywords {

// The names of the two fields the builder writes, in this order (their BM25F weights follow it).
inline constexpr const char* title_field_name = "title";
inline constexpr const char* body_field_name = "body";

struct keyword_document {
  item_reference reference = 0;
  std::string title;  // the document title and the file name's words; NFKC-normalized by the caller
  std::string body;   // the chunk's text, a caption, extracted text; NFKC-normalized by the caller
};

struct keyword_build_options {
  // A new term file starts once the current one reaches this size (a single huge term can exceed it).
  std::size_t target_term_file_bytes = 64 * 1024;
  // The text analysis every field is made with (keywords/keyword_analysis.hpp), recorded in the directory.
  std::uint16_t analysis = default_analysis;
};

struct built_keyword_file {
  std::string hash;  // lower-case hex SHA-256 of bytes: the file's name
  std::vector<std::uint8_t> bytes;
};

struct built_keyword_index {
  built_keyword_file directory;               // keywords/<hash>.bin
  std::vector<built_keyword_file> term_files;  // terms/<hash>.bin, in term order
  std::uint64_t item_count = 0;               // items with at least one term
};

// Documents in any order; references must be unique (invalid_argument). Every field is analyzed with
// options.analysis (an unknown one is unsupported_version); a text the tokenizer refuses (invalid UTF-8, over
// 1 MiB) fails the build with its error, naming the item. Items without any term are not counted.
result<built_keyword_index> build_keyword_index(std::span<const keyword_document> documents,
                                                const keyword_build_options& options = {});

}  // namespace mosaic::keywords
