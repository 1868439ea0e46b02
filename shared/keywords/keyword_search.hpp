#pragma once
// Keyword search over the term files a query needs: BM25F scores (docs/format.md, "Scoring"), phrase
// filtering, the k best items.
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "keywords/item_reference.hpp"
#include "keywords/keyword_directory.hpp"
#include "keywords/keyword_query.hpp"
#include "keywords/term_file.hpp"

namespace mosaic::keywords {

struct bm25_parameters {
  float k1 = 0.9f;  // finite, >= 0
  float b = 0.4f;   // 0 ... 1
  // By the directory's field order (title, body as built); a field beyond the list weighs 1.
  std::vector<float> field_weights{2.0f, 1.0f};
};

struct keyword_hit {
  item_reference reference = 0;
  float score = 0;
  std::vector<std::string> matched_terms;  // the terms_to_fetch(query) the item holds, in that order
};

// The k best items (score desc, ties by reference asc) among those `accept` lets through (empty = all).
// `files` are the loaded term files (any order; the file a needed term lies in must be among them, else
// invalid_argument naming the term; a file of another directory, by hash, does not count). A term
// before the first file's range, or absent from its file, matches nothing. A query with phrases keeps
// only items where every phrase occurs (consecutive positions in one field). A directory whose
// analysis this code does not know is refused (unsupported_version); bad parameters are invalid_argument.
result<std::vector<keyword_hit>> search_keywords(const keyword_query& query, const keyword_directory& directory,
                                                 std::span<const term_file* const> files, std::size_t k,
                                                 const std::function<bool(item_reference)>& accept,
                                                 const bm25_parameters& parameters = {});

}  // namespace mosaic::keywords
