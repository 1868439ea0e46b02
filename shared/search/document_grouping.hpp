#pragma once
// One result per document: a document cut into chunks (a text's parts, a recording's segments) is
// several items sharing one `source`; a search that lists each of them fills its k places with one
// document. Grouping keeps each document's best hit (its best chunk), in rank order, and counts how
// many of the hits looked at belong to it.
//
// Exact with an exact search: hits come in a total order (top_k.hpp), so the k best documents are the
// first k distinct documents of any ranked prefix that holds k distinct documents; a document missing
// from the prefix scores below all of it. search_documents asks for a prefix, and for a longer one
// only when the first holds fewer than k documents and the index has more hits to give.
//
// No I/O; the caller says which document a hit belongs to (an item's `source`; an empty key makes the
// hit a document of its own, as for items with no source).
#include <cstddef>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace mosaic::search {

struct grouped_hit {
  std::size_t position = 0;       // the document's best hit: its place in the hits given
  std::size_t matched_items = 0;  // hits of the same document among those given (1: only the best)
};

// The first hit of each document among `hit_count` ranked hits, at most `k` of them, in rank order.
// `document_of(position)` names the document of the hit at that position; the names must stay valid
// during the call (views into the items' metadata).
std::vector<grouped_hit> best_hit_per_document(std::size_t hit_count,
                                               const std::function<std::string_view(std::size_t)>& document_of,
                                               std::size_t k);

// How many hits to ask for first: four per document wanted (a document of a few chunks, with room),
// never more than the index holds.
inline std::size_t first_hits_to_ask(std::size_t k, std::size_t total_items) {
  const std::size_t wanted = k > total_items / 4 ? total_items : k * 4;
  return wanted < k ? k : wanted;
}

// Runs `search(n)` (the n best hits, ranked) with a growing n until its hits hold k documents or the
// index has no more to give (fewer hits than asked, or n reached `total_items`), then groups them.
// Hit is any hit type (search_hit, index_hit), named by the caller: search_documents<index_hit>(...);
// `search(n)` returns result<std::vector<Hit>>; `document_of(hit)` names a hit's document (a
// string_view into its item's metadata). Each kept hit comes with its document's matched_items.
template <class Hit, class Search, class DocumentOf>
result<std::vector<std::pair<Hit, std::size_t>>> search_documents(std::size_t k, std::size_t total_items, Search&& search,
                                                                 DocumentOf&& document_of) {
  std::size_t asked = first_hits_to_ask(k, total_items);
  for (;;) {
    result<std::vector<Hit>> hits = search(asked);
    if (!hits) return std::move(hits).failure();
    const std::vector<Hit>& ranked = hits.value();
    const auto groups = best_hit_per_document(
        ranked.size(), [&](std::size_t position) -> std::string_view { return document_of(ranked[position]); }, k);
    const bool exhausted = ranked.size() < asked || asked >= total_items;
    if (groups.size() >= k || exhausted) {
      std::vector<std::pair<Hit, std::size_t>> documents;
      documents.reserve(groups.size());
      for (const grouped_hit& group : groups) documents.emplace_back(ranked[group.position], group.matched_items);
      return documents;
    }
    asked = asked > total_items / 4 ? total_items : asked * 4;
  }
}

}  // namespace mosaic::search
