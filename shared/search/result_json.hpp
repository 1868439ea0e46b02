#pragma once
// Query options and answers as JSON: the one shape of a search, used by the browser (the wasm
// bindings hand it to JavaScript whole, one crossing per query), POST /api/search and
// `mosaic query --json`. A result is {"id", "score", "item"} where "item" has exactly the fields of
// an items/<hash>.json entry (index::item_metadata_json), its paths relative to the index root.
#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "search/loaded_index.hpp"

namespace mosaic::search {

inline constexpr std::size_t max_query_k = 10000;

// {"k": 1..10000 (default 10; 0 allowed with "classify"), "filter": {...} (named_filter_from_json),
//  "one_per_document": true (default) | false,
//  "group_duplicates": true | false (default; search/near_duplicates.hpp),
//  "mode": "vector" | "keyword" | "hybrid" (default: hybrid for a text query on an index with a keyword
//          index, else vector), "fusion": {"method": "convex" (default) | "reciprocal_rank",
//          "vector_weight": 0..1 (convex; default 0.2)},
//  "classify": {"k": voters 1..1000 (default 5), "min_similarity": -1..1 (default 0),
//               "min_confidence": 0..1 (default 0)}}. Other keys are the caller's (a query's text or
// vector) and are left alone. Every error names the field.
result<query_options> query_options_from_json(const nlohmann::json& request);

// The same from and to JSON text, for callers that should not instantiate the JSON library's parser
// and writer themselves (the wasm bindings: this file is compiled for size there). Text that is not
// JSON is invalid_json.
result<query_options> query_options_from_json_text(std::string_view text);
std::string query_outcome_json_text(const loaded_index& index, const query_outcome& outcome);

// A result is {"id", "score", "item", "close"}: "close" is the core's close-match decision
// (index_hit::close), with "similarity" (the query's cosine similarity to the item) in vector and
// hybrid searches; with "group_duplicates", "duplicate_of" (the id of the earlier result whose
// near-duplicate this is) and "duplicates" (on such an earlier result: how many joined it), each only
// when there is one; "matched_items" when more than one item of the hit's
// document matched; keyword and hybrid hits add "matched_terms" (the query's terms, as analyzed, that
// the item holds) and "highlights": {"title": [[start, end], ...], "snippet": [...]}, where the query's
// terms occur in the item's title and snippet, as offsets in UTF-16 code units (JavaScript string
// indexes), end excluded; an item with a transcript adds "transcript": [{"segment": index, "spans":
// [[start, end], ...]}, ...], the segments whose text holds the terms (none: an empty array).

// {"mode": "vector" | "keyword" | "hybrid", "results": [result...], "classification": {"known", "label" (null when unknown), "confidence",
//  "votes", "considered", "best_score", "neighbours": [result...]}} (classification when asked).
nlohmann::json query_outcome_json(const loaded_index& index, const query_outcome& outcome);

}  // namespace mosaic::search
