#pragma once
// A client's index in memory: the vector files (shards of a flat site, partitions of a partitioned
// one, docs/format.md) of one manifest that have arrived so far, each checked
// against the manifest entry that names it, with collection-wide label and tag dictionaries so that
// filters and the label vote speak names. It is the one index of every target: the browser adds
// shards one by one as they download and can search whatever is loaded; the server and the CLI read a
// site's files (server/site/site_reader.cpp) and hand their bytes here, so every check (content
// hashes, the shard decoder's validation, agreement with the manifest, item metadata that describes
// the shard row for row) is made in this one place.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "index/item_metadata.hpp"
#include "index/manifest.hpp"
#include "keywords/score_fusion.hpp"
#include "partition/partition_codec.hpp"
#include "partition/partitioned_search.hpp"
#include "search/label_vote.hpp"
#include "search/loaded_keywords.hpp"
#include "search/named_filter.hpp"
#include "search/shard_attributes.hpp"
#include "search/top_k.hpp"

namespace mosaic::search {

using shard_handle = std::uint32_t;

struct index_hit {
  std::uint64_t item_id = 0;
  float score = 0.0f;
  shard_handle shard = 0;
  std::uint32_t row = 0;
  // With one result per document: how many of the hits looked at belong to this hit's document (its
  // chunks or segments); 1 otherwise.
  std::size_t matched_items = 1;
  // Keyword and hybrid searches: the query's terms (as analyzed) that the item holds.
  std::vector<std::string> matched_terms;
  // The cosine similarity of the query's vector and the item's (vector and hybrid searches; none for
  // a keyword search): in hybrid mode the score is a fused rank, not a similarity, so it is given apart.
  std::optional<float> similarity;
  // Whether the hit is a close match for its query (search/close_match.hpp): a similarity at least the
  // model's measured figure, or the query's words in a keyword or hybrid hit. Decided here once, so
  // the browser, POST /api/search and the CLI agree; true when the model has no measured figure.
  bool close = true;
  // With query_options::group_duplicates (search/near_duplicates.hpp): the item id of the earlier hit
  // whose group this near-duplicate joins (none for a hit that leads its group), and, on a leader, how
  // many later hits joined it.
  std::optional<std::uint64_t> duplicate_of;
  std::size_t duplicates = 0;
};

// What ranks the hits: the vector scan, the keyword index (BM25F), or both fused
// (keywords/score_fusion.hpp). Hybrid is what a text query on a site with a keyword index should use.
enum class search_mode : std::uint8_t { vector, keyword, hybrid };
[[nodiscard]] std::string_view search_mode_name(search_mode mode) noexcept;  // "vector", "keyword", "hybrid"
[[nodiscard]] std::optional<search_mode> parse_search_mode(std::string_view name) noexcept;

struct classification {
  bool known = false;       // false: "unknown" (no labelled neighbour close enough)
  std::string label;        // the winner when known
  float confidence = 0.0f;  // in [0, 1], see label_vote
  std::size_t votes = 0;
  std::size_t considered = 0;
  float best_score = 0.0f;
  std::vector<index_hit> neighbours;  // the labelled neighbours looked at, best first
};

// What one query asks: the k best items passing the filter and, when `vote` is set, the label vote
// of its nearest labelled items (among the same filtered rows), both from one scan.
struct query_options {
  std::size_t k = 10;  // 0: only the vote
  named_filter filter;
  std::optional<vote_options> vote;
  // One result per document (items sharing a `source`: a text's chunks, a recording's segments), its
  // best item, so that one long document cannot fill the k places (search/document_grouping.hpp).
  // The vote is not grouped: every labelled item votes.
  bool one_per_document = true;
  // Near-duplicates (search/near_duplicates.hpp): each hit whose stored vector is near-identical to an
  // earlier hit's says so (index_hit::duplicate_of), so a client shows one card per group. Hits stay
  // in the answer and in their order; off by default for the JSON routes, on in the JavaScript API.
  bool group_duplicates = false;
  // None: hybrid when `text` is given and the index has a keyword index (and a vector is given),
  // else vector; the outcome says which ran.
  std::optional<search_mode> mode;
  // Keyword and hybrid: the query's text, NFKC-normalized by the caller (ICU natively,
  // String.prototype.normalize in the browser), as the indexer normalized the items' text.
  std::string text;
  keywords::bm25_parameters bm25;
  keywords::fusion_options fusion;
  // Hybrid: how many of the best hits of each side are fused (at least the hits k documents need).
  std::size_t fusion_depth = 100;
  // Partitioned layout: how many partitions are probed, how many candidates of the sign-code scan are
  // re-ranked exactly, and how far a filtered query probes on (partition/partitioned_search.hpp).
  std::size_t nprobe = partition::default_nprobe;
  std::size_t rerank_depth = partition::default_rerank_depth;
  std::size_t filtered_probe_budget = partition::default_filtered_probe_budget;
};

struct query_outcome {
  std::vector<index_hit> hits;                // best first
  std::optional<classification> vote;        // when asked
  search_mode mode = search_mode::vector;
  std::optional<keywords::keyword_query> keyword_query;  // keyword and hybrid: the query as analyzed
  // Partitioned layout: the vector side probed some partitions only, so its hits are approximate.
  bool approximate = false;
  // Partitioned layout: partitions (manifest positions, in the order wanted) that the query would
  // have read but that were not among the handles given: the probe's partitions, and those holding
  // keyword hits. A lazy client fetches them and asks again; the answer is final when this is empty.
  std::vector<std::uint32_t> missing_partitions;
  std::size_t rows_scanned = 0;  // partitioned: rows whose sign codes were compared
  // Partitioned layout, partitions held as heads (add_partition_head): rows (manifest position, row)
  // the re-rank or a hit's similarity needed but that have not arrived, sorted. A lazy client fetches
  // them (add_partition_rows) and asks again; the answer is final when this and missing_partitions are empty.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> missing_rows;
};

class loaded_index {
 public:
  // Fails with invalid_manifest when the manifest names a model Mosaic knows (index/known_models.hpp)
  // with another output size than that model's (its query vectors could never match the stored ones).
  static result<loaded_index> create(index::manifest manifest);

  [[nodiscard]] const index::manifest& manifest() const noexcept { return manifest_; }

  // Checks `shard_bytes` and `metadata_bytes` against manifest().shards[manifest_position]: both
  // SHA-256 content hashes (checksum_mismatch), the shard decoder's validation, dimensions,
  // quantization and item count equal to the manifest's (invalid_manifest), then the metadata parsed
  // and matched to the rows. Nothing is kept on failure. A position may be loaded once at a time.
  result<shard_handle> add_shard(std::size_t manifest_position, std::vector<std::uint8_t> shard_bytes,
                                 std::span<const std::uint8_t> metadata_bytes);
  status release_shard(shard_handle handle);

  // Partitioned layout. The centroid table first (checked against manifest().centroids: content hash,
  // the shard decoder, int8, the manifest's dimensions, one row per partition); no vector query runs
  // on a partitioned index before it.
  status set_centroids(std::vector<std::uint8_t> centroid_bytes);
  [[nodiscard]] bool has_centroids() const noexcept { return centroids_ != nullptr; }
  // Partition `manifest_position` whole with its item metadata: both content hashes, the partition
  // decoder's every check, agreement with the manifest's entry (position, dimensions, items,
  // head_bytes), then the metadata matched to the rows. The handle is used as a shard's is (query,
  // items, item, release_shard, adopt_shard). Nothing is kept on failure.
  result<shard_handle> add_partition(std::size_t manifest_position, std::span<const std::uint8_t> partition_bytes,
                                     std::span<const std::uint8_t> metadata_bytes);
  // Partition `manifest_position` as its head alone (bytes [0, head_bytes), one Range request) with its
  // item metadata: the metadata's content hash, the head decoder's every check (the head's checksum;
  // the whole file's hash cannot be checked without its rows), agreement with the manifest's entry.
  // Its codes, ids, residual statistics and items are searchable at once; its rows arrive by
  // add_partition_rows as answers name them (query_outcome::missing_rows). Nothing is kept on failure.
  result<shard_handle> add_partition_head(std::size_t manifest_position, std::span<const std::uint8_t> head_bytes,
                                          std::span<const std::uint8_t> metadata_bytes);
  // Rows [first_row, first_row + n) of a partition held as its head, as one Range request returns them
  // (n whole rows of the head's row_stride, from partition_row_range(first_row).offset): each checked by
  // the row decoder (partition_codec.hpp); nothing is kept unless all pass. Rows already held are
  // overwritten with the same bytes.
  status add_partition_rows(shard_handle handle, std::size_t first_row, std::span<const std::uint8_t> row_bytes);
  // Whether the handle is a partition held as a head whose rows are not all present.
  [[nodiscard]] bool holds_head_only(shard_handle handle) const;
  // The partitions a vector query would probe first (manifest positions, best first): a lazy client
  // fetches these before it searches; query() then names any further ones the filter's adaptive probe
  // wants (missing_partitions). Needs the centroid table.
  [[nodiscard]] result<std::vector<std::uint32_t>> partitions_to_probe(std::span<const float> vector,
                                                                       const query_options& options) const;
  // The manifest position of a loaded vector file (a shard's or a partition's); nullopt for an unknown handle.
  [[nodiscard]] std::optional<std::size_t> manifest_position(shard_handle handle) const;

  // Moves an accepted shard of `other` (another generation of the same site) into this index at
  // manifest_position, without copying or hashing its bytes again: a client refreshing to a new
  // manifest keeps the shards both generations name. The shard must be the file this manifest names
  // there (the same content hashes, so the same bytes) and agree with this manifest's dimensions,
  // quantization and item count (invalid_manifest otherwise). Nothing moves on failure; on success
  // `handle` is no longer in `other`.
  result<shard_handle> adopt_shard(std::size_t manifest_position, loaded_index& other, shard_handle handle);

  [[nodiscard]] const std::vector<index::item_metadata>* items(shard_handle handle) const;
  [[nodiscard]] std::size_t loaded_shard_count() const noexcept { return shards_.size(); }
  [[nodiscard]] std::size_t loaded_item_count() const noexcept;

  // Names to the ids the scan compares (unknown modality names are an error, unknown labels/tags match nothing).
  [[nodiscard]] result<filter> resolve_filter(const named_filter& conditions) const;

  // The one query path. Vector mode: `vector` (a model's output, a stored vector, a caller's numbers) is prepared
  // once (search/prepared_query.hpp: cut to the manifest's stored dimensions, normalized, quantized),
  // then one exact scan over the given shards (their order ranks ties: pass them in manifest order)
  // finds the hits and, when asked, the voters. Keyword mode: `options.text` through the keyword index
  // (`vector` may be empty; a vote needs it). Hybrid: both, fused; the vote comes from the vector scan.
  // Every hit says whether it is a close match (index_hit::close, index_hit::similarity).
  [[nodiscard]] result<query_outcome> query(std::span<const float> vector, std::span<const shard_handle> shards,
                                            const query_options& options) const;

  // The keyword index: its directory (checked against manifest().keywords), then term files as a
  // query needs them (keywords()->term_files_needed). nullptr until the directory is set.
  status set_keyword_directory(std::span<const std::uint8_t> directory_bytes);
  [[nodiscard]] loaded_keywords* keywords() noexcept { return keywords_ ? &*keywords_ : nullptr; }
  [[nodiscard]] const loaded_keywords* keywords() const noexcept { return keywords_ ? &*keywords_ : nullptr; }
  // A query's text as the keyword index reads it (quoted phrases, terms made by the text analysis its
  // directory names), so a client can ask which term files to fetch before searching. Needs the directory.
  [[nodiscard]] result<keywords::keyword_query> analyze_query(std::string_view normalized_text) const;

  // query() for the hits only.
  [[nodiscard]] result<std::vector<index_hit>> search(std::span<const float> vector, std::span<const shard_handle> shards,
                                                      std::size_t k, const named_filter& conditions) const;

  // The item of one row of a loaded shard (a hit's shard and row); nullptr when there is none.
  [[nodiscard]] const index::item_metadata* item(shard_handle handle, std::uint32_t row) const;
  // The item with this id in one of `shards`; nullptr when none holds it.
  [[nodiscard]] const index::item_metadata* item_by_id(std::uint64_t item_id, std::span<const shard_handle> shards) const;

  // The stored vector of an item (dequantized for int8), from whichever loaded shard holds it: the
  // query of "more like this", with no embedding call. invalid_argument when no loaded shard has it.
  [[nodiscard]] result<std::vector<float>> stored_vector(std::uint64_t item_id) const;

  // query() for the vote only: the options.k nearest labelled items passing the filter vote.
  [[nodiscard]] result<classification> classify(std::span<const float> vector, std::span<const shard_handle> shards,
                                                const vote_options& options, const named_filter& conditions) const;

  // A model's output vector as this index searches it: Matryoshka-truncated to the stored dimensions
  // and L2-normalized (for a page that embeds once and keeps the vector). dimension_mismatch when it
  // is shorter than the stored dimensions.
  [[nodiscard]] result<std::vector<float>> prepare_query(std::span<const float> model_output) const;

 private:
  struct loaded_shard {
    std::size_t manifest_position = 0;
    std::vector<std::uint8_t> bytes;  // owns what `vectors` views; 8-byte aligned (operator new)
    index::shard_view vectors;
    // Partitions: the head's bytes (centre, sign codes, ids) and its view; `bytes` then holds the
    // rows re-laid as a shard's blocks (ids, scales, codes), which `vectors` views.
    std::vector<std::uint8_t> head_bytes;
    std::optional<partition::partition_view> head;
    partition::residual_statistics residuals;  // from the head (the writer stores them there)
    // A partition added as its head: which rows have arrived (1) and which are zeros in `bytes` (0).
    // Empty for shards and whole partitions: every row is present.
    std::vector<std::uint8_t> rows_present;
    std::vector<index::item_metadata> items;
    shard_attributes attributes;
  };

  explicit loaded_index(index::manifest manifest) : manifest_(std::move(manifest)) {}
  // add_partition's and add_partition_head's common checks and building, from the file's or the head's view.
  [[nodiscard]] result<std::unique_ptr<loaded_shard>> partition_shard(std::size_t manifest_position,
                                                                      const partition::partition_view& view,
                                                                      std::span<const std::uint8_t> metadata_bytes) const;
  [[nodiscard]] result<std::vector<searchable_shard>> searchable(std::span<const shard_handle> shards) const;
  [[nodiscard]] result<query_outcome> ranked_query(std::span<const float> vector, std::span<const shard_handle> shards,
                                                   const query_options& options) const;
  // Sets each hit's similarity and close-match flag (index_hit), after any mode ranked them.
  void judge_closeness(std::span<const float> vector, query_outcome& outcome) const;
  // Sets each hit's duplicate_of and duplicates from the hits' stored rows (the first max_grouped_hits).
  void group_near_duplicates(query_outcome& outcome) const;
  [[nodiscard]] search_mode effective_mode(std::span<const float> vector, const query_options& options) const noexcept;
  [[nodiscard]] result<std::size_t> free_position(std::size_t manifest_position) const;
  [[nodiscard]] result<query_outcome> partitioned_vector_query(std::span<const float> vector,
                                                               std::span<const shard_handle> shards,
                                                               const query_options& options) const;
  [[nodiscard]] result<query_outcome> keyword_or_hybrid_query(std::span<const float> vector,
                                                              std::span<const shard_handle> shards,
                                                              search_mode mode, const query_options& options) const;

  index::manifest manifest_;
  std::map<shard_handle, std::unique_ptr<loaded_shard>> shards_;  // unique_ptr: views stay valid on insert
  shard_handle next_handle_ = 1;                                   // 0 is never a handle
  string_dictionary labels_;
  string_dictionary tags_;
  std::optional<loaded_keywords> keywords_;
  std::vector<std::uint8_t> centroid_bytes_;
  std::unique_ptr<index::shard_view> centroids_;  // views centroid_bytes_
};

}  // namespace mosaic::search
