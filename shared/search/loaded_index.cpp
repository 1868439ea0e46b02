#include "search/loaded_index.hpp"

#include <algorithm>
#include <unordered_map>

#include "hash/sha256.hpp"
#include "index/known_models.hpp"
#include "search/document_grouping.hpp"
#include "search/prepared_query.hpp"
#include "keywords/keyword_analysis.hpp"

namespace mosaic::search {
namespace {

// A label or tag the index does not have must match nothing, not everything: an id no row carries.
constexpr std::uint32_t absent_name_id = 0xFFFFFFFFu;

std::string_view as_text(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

constexpr std::uint32_t not_searched = 0xFFFFFFFFu;

}  // namespace

std::string_view search_mode_name(search_mode mode) noexcept {
  switch (mode) {
    case search_mode::vector: return "vector";
    case search_mode::keyword: return "keyword";
    case search_mode::hybrid: return "hybrid";
  }
  return "vector";
}

std::optional<search_mode> parse_search_mode(std::string_view name) noexcept {
  for (const search_mode mode : {search_mode::vector, search_mode::keyword, search_mode::hybrid}) {
    if (search_mode_name(mode) == name) return mode;
  }
  return std::nullopt;
}

result<loaded_index> loaded_index::create(index::manifest manifest) {
  const auto model_dimensions = index::known_output_dimensions(manifest.model_id);
  if (model_dimensions && manifest.full_dimensions != *model_dimensions) {
    return make_error(error_code::invalid_manifest,
                      "manifest.json names the model " + manifest.model_id + " with full_dimensions " +
                          std::to_string(manifest.full_dimensions) + ", but that model produces " +
                          std::to_string(*model_dimensions));
  }
  return loaded_index(std::move(manifest));
}

result<shard_handle> loaded_index::add_shard(std::size_t manifest_position, std::vector<std::uint8_t> shard_bytes,
                                             std::span<const std::uint8_t> metadata_bytes) {
  if (manifest_position >= manifest_.shards.size()) {
    return make_error(error_code::invalid_argument, "the manifest has " + std::to_string(manifest_.shards.size()) +
                                                        " shards; there is no shard " + std::to_string(manifest_position));
  }
  for (const auto& [handle, shard] : shards_) {
    if (shard->manifest_position == manifest_position) {
      return make_error(error_code::invalid_argument,
                        "shard " + std::to_string(manifest_position) + " is already loaded (handle " + std::to_string(handle) + ")");
    }
  }
  if (next_handle_ == 0) return make_error(error_code::invalid_argument, "no shard handles left");
  const index::manifest_shard& entry = manifest_.shards[manifest_position];
  // Hashes first: bytes that are not the file the manifest names are not looked at any further.
  if (hash::sha256_hex(shard_bytes) != entry.vectors.hash) {
    return make_error(error_code::checksum_mismatch, entry.vectors.path + " does not match its content hash");
  }
  if (hash::sha256_hex(metadata_bytes) != entry.metadata.hash) {
    return make_error(error_code::checksum_mismatch, entry.metadata.path + " does not match its content hash");
  }
  auto shard = std::make_unique<loaded_shard>();
  shard->manifest_position = manifest_position;
  shard->bytes = std::move(shard_bytes);
  auto view = index::decode_shard(shard->bytes);
  if (!view) return make_error(view.failure().code, entry.vectors.path + ": " + view.failure().message);
  shard->vectors = view.value();
  if (shard->vectors.dimensions != manifest_.dimensions || shard->vectors.kind != manifest_.vector_quantization ||
      shard->vectors.item_count != entry.item_count) {
    return make_error(error_code::invalid_manifest, entry.vectors.path + " disagrees with manifest.json");
  }
  auto items = index::parse_item_metadata(as_text(metadata_bytes), shard->vectors.item_count);
  if (!items) return make_error(items.failure().code, entry.metadata.path + ": " + items.failure().message);
  shard->items = std::move(items).value();
  if (auto matches = index::check_metadata_matches_shard(shard->vectors, shard->items); !matches) {
    return make_error(matches.failure().code, entry.metadata.path + ": " + matches.failure().message);
  }
  // Interned only now that the shard is accepted, so a rejected shard leaves the dictionaries as they were.
  shard->attributes = build_attributes(shard->items, labels_, tags_);
  const shard_handle handle = next_handle_++;
  shards_.emplace(handle, std::move(shard));
  return handle;
}

result<shard_handle> loaded_index::adopt_shard(std::size_t manifest_position, loaded_index& other, shard_handle handle) {
  if (&other == this) return make_error(error_code::invalid_argument, "a shard cannot be adopted from its own index");
  if (manifest_position >= manifest_.shards.size()) {
    return make_error(error_code::invalid_argument, "the manifest has " + std::to_string(manifest_.shards.size()) +
                                                        " shards; there is no shard " + std::to_string(manifest_position));
  }
  for (const auto& [loaded_handle, shard] : shards_) {
    if (shard->manifest_position == manifest_position) {
      return make_error(error_code::invalid_argument, "shard " + std::to_string(manifest_position) +
                                                          " is already loaded (handle " + std::to_string(loaded_handle) + ")");
    }
  }
  if (next_handle_ == 0) return make_error(error_code::invalid_argument, "no shard handles left");
  const auto found = other.shards_.find(handle);
  if (found == other.shards_.end()) {
    return make_error(error_code::invalid_argument, "no loaded shard has handle " + std::to_string(handle));
  }
  const index::manifest_shard& entry = manifest_.shards[manifest_position];
  const index::manifest_shard& source = other.manifest_.shards[found->second->manifest_position];
  // The other index checked these bytes against `source`'s hashes: equal hashes mean the same files.
  if (source.vectors.hash != entry.vectors.hash || source.metadata.hash != entry.metadata.hash) {
    return make_error(error_code::checksum_mismatch,
                      source.vectors.path + " is not " + entry.vectors.path + ", which this manifest names at shard " +
                          std::to_string(manifest_position));
  }
  const index::shard_view& vectors = found->second->vectors;
  if (vectors.dimensions != manifest_.dimensions || vectors.kind != manifest_.vector_quantization ||
      vectors.item_count != entry.item_count) {
    return make_error(error_code::invalid_manifest, entry.vectors.path + " disagrees with manifest.json");
  }
  std::unique_ptr<loaded_shard> shard = std::move(found->second);
  other.shards_.erase(found);
  shard->manifest_position = manifest_position;
  // Label and tag ids are this index's own: interned again here (the views into `bytes` stay valid,
  // since the shard moves by pointer).
  shard->attributes = build_attributes(shard->items, labels_, tags_);
  const shard_handle adopted = next_handle_++;
  shards_.emplace(adopted, std::move(shard));
  return adopted;
}

status loaded_index::release_shard(shard_handle handle) {
  if (shards_.erase(handle) == 0) {
    return make_error(error_code::invalid_argument, "no loaded shard has handle " + std::to_string(handle));
  }
  return success{};
}

const std::vector<index::item_metadata>* loaded_index::items(shard_handle handle) const {
  const auto found = shards_.find(handle);
  return found == shards_.end() ? nullptr : &found->second->items;
}

std::size_t loaded_index::loaded_item_count() const noexcept {
  std::size_t count = 0;
  for (const auto& [handle, shard] : shards_) count += shard->vectors.item_count;
  return count;
}

result<filter> loaded_index::resolve_filter(const named_filter& conditions) const {
  filter resolved;
  if (!conditions.modalities.empty()) {
    resolved.modality_mask = 0;
    for (const std::string& name : conditions.modalities) {
      auto kind = index::parse_modality(name);
      if (!kind) return std::move(kind).failure();
      resolved.modality_mask |= index::modality_bit(kind.value());
    }
  }
  for (const std::string& label : conditions.labels) resolved.any_of_labels.push_back(labels_.find(label).value_or(absent_name_id));
  for (const std::string& tag : conditions.tags) resolved.all_of_tags.push_back(tags_.find(tag).value_or(absent_name_id));
  resolved.excluded_item_ids = conditions.excluded_item_ids;
  return resolved;
}

result<std::vector<searchable_shard>> loaded_index::searchable(std::span<const shard_handle> shards) const {
  std::vector<searchable_shard> views;
  views.reserve(shards.size());
  for (const shard_handle handle : shards) {
    const auto found = shards_.find(handle);
    if (found == shards_.end()) {
      return make_error(error_code::invalid_argument, "no loaded shard has handle " + std::to_string(handle));
    }
    views.push_back({found->second->vectors, &found->second->attributes});
  }
  return views;
}

status loaded_index::set_keyword_directory(std::span<const std::uint8_t> directory_bytes) {
  auto loaded = loaded_keywords::create(manifest_, directory_bytes);
  if (!loaded) return std::move(loaded).failure();
  keywords_.emplace(std::move(loaded).value());
  return success{};
}

result<keywords::keyword_query> loaded_index::analyze_query(std::string_view normalized_text) const {
  if (!keywords_) return make_error(error_code::invalid_argument, "the keyword directory is not loaded");
  // An analyzer per query: it is not thread-safe (the stemmer's buffer), and queries run concurrently.
  auto analyzer = keywords::analyzer_for(keywords_->directory().analysis);
  if (!analyzer) return std::move(analyzer).failure();
  return keywords::parse_keyword_query(normalized_text, analyzer.value());
}

search_mode loaded_index::effective_mode(std::span<const float> vector, const query_options& options) const noexcept {
  if (options.mode) return *options.mode;
  const bool has_text = options.text.find_first_not_of(" \t\r\n") != std::string::npos;
  return has_text && manifest_.keywords && !vector.empty() ? search_mode::hybrid : search_mode::vector;
}

result<query_outcome> loaded_index::keyword_or_hybrid_query(std::span<const float> vector,
                                                            std::span<const shard_handle> shards, search_mode mode,
                                                            const query_options& options) const {
  if (!keywords_) {
    return make_error(error_code::invalid_argument,
                      manifest_.keywords ? "the keyword index is not loaded yet"
                                         : "this index has no keyword index (it was built without one): search it in "
                                           "vector mode, or rebuild it with mosaic index");
  }
  if (mode == search_mode::hybrid && vector.empty()) {
    return make_error(error_code::invalid_argument, "a hybrid search needs the query's vector as well as its text");
  }
  if (options.vote && vector.empty()) return make_error(error_code::invalid_argument, "the label vote needs a query vector");
  auto analyzed = analyze_query(options.text);
  if (!analyzed) return std::move(analyzed).failure();
  auto views = searchable(shards);
  if (!views) return std::move(views).failure();
  auto resolved = resolve_filter(options.filter);
  if (!resolved) return std::move(resolved).failure();
  const filter& conditions = resolved.value();

  // Keyword hits name items by (manifest position, row); the slot is the shard's place in `shards`.
  std::vector<std::uint32_t> slot_of_position(manifest_.shards.size(), not_searched);
  std::size_t total_items = 0;
  for (std::size_t slot = 0; slot < shards.size(); ++slot) {
    slot_of_position[shards_.find(shards[slot])->second->manifest_position] = static_cast<std::uint32_t>(slot);
    total_items += (*views)[slot].vectors.item_count;
  }
  const auto slot_of = [&](keywords::item_reference reference) -> std::uint32_t {
    const std::uint32_t position = keywords::reference_vector_file(reference);
    if (position >= slot_of_position.size()) return not_searched;
    const std::uint32_t slot = slot_of_position[position];
    if (slot == not_searched || keywords::reference_row(reference) >= (*views)[slot].vectors.item_count) return not_searched;
    return slot;
  };
  // The filter applies to keyword hits as it does in the scan: rows that fail are never ranked.
  const std::function<bool(keywords::item_reference)> accept = [&](keywords::item_reference reference) {
    const std::uint32_t slot = slot_of(reference);
    if (slot == not_searched) return false;
    const std::uint32_t row = keywords::reference_row(reference);
    const searchable_shard& view = (*views)[slot];
    if (conditions.needs_attributes() && !row_passes(conditions, *view.attributes, row)) return false;
    if (!conditions.excluded_item_ids.empty()) {
      const std::uint64_t id = view.vectors.item_id(row);
      if (std::find(conditions.excluded_item_ids.begin(), conditions.excluded_item_ids.end(), id) !=
          conditions.excluded_item_ids.end()) {
        return false;
      }
    }
    return true;
  };
  const auto source_of = [&](std::uint32_t slot, std::uint32_t row) -> std::string_view {
    return shards_.find(shards[slot])->second->items[row].source;
  };

  query_outcome outcome;
  outcome.mode = mode;
  if (mode == search_mode::keyword) {
    const auto document_of = [&](const keywords::keyword_hit& hit) {
      return source_of(slot_of(hit.reference), keywords::reference_row(hit.reference));
    };
    const auto to_index_hit = [&](const keywords::keyword_hit& hit, std::size_t matched_items) {
      const std::uint32_t slot = slot_of(hit.reference);
      const std::uint32_t row = keywords::reference_row(hit.reference);
      return index_hit{(*views)[slot].vectors.item_id(row), hit.score, shards[slot], row, matched_items, hit.matched_terms};
    };
    if (options.k > 0 && options.one_per_document) {
      auto documents = search_documents<keywords::keyword_hit>(
          options.k, total_items,
          [&](std::size_t asked) { return keywords_->search(analyzed.value(), asked, accept, options.bm25); }, document_of);
      if (!documents) return std::move(documents).failure();
      for (const auto& [hit, matched_items] : documents.value()) outcome.hits.push_back(to_index_hit(hit, matched_items));
    } else if (options.k > 0) {
      auto hits = keywords_->search(analyzed.value(), options.k, accept, options.bm25);
      if (!hits) return std::move(hits).failure();
      for (const keywords::keyword_hit& hit : hits.value()) outcome.hits.push_back(to_index_hit(hit, 1));
    }
    if (options.vote) {
      query_options voting = options;
      voting.mode = search_mode::vector;
      voting.k = 0;
      auto voted = query(vector, shards, voting);
      if (!voted) return std::move(voted).failure();
      outcome.vote = std::move(voted->vote);
    }
    outcome.keyword_query = std::move(analyzed).value();
    return outcome;
  }

  // Hybrid: the best `depth` of each side, fused, then one result per document among the fused. Each
  // side is normalized over its best fusion_depth entries whatever the depth, so asking for more
  // results (a larger k) does not reorder the first ones.
  const std::size_t depth = std::max(options.fusion_depth, first_hits_to_ask(options.k, total_items));
  keywords::fusion_options fusion = options.fusion;
  fusion.normalization_window = options.fusion_depth;
  query_options vector_options = options;
  vector_options.mode = search_mode::vector;
  vector_options.k = std::min(depth, total_items);
  vector_options.one_per_document = false;
  auto vector_side = query(vector, shards, vector_options);
  if (!vector_side) return std::move(vector_side).failure();
  auto keyword_side = keywords_->search(analyzed.value(), depth, accept, options.bm25);
  if (!keyword_side) return std::move(keyword_side).failure();

  std::unordered_map<keywords::item_reference, const std::vector<std::string>*> terms_of;
  for (const keywords::keyword_hit& hit : keyword_side.value()) terms_of.emplace(hit.reference, &hit.matched_terms);
  const auto hit_for = [&](keywords::item_reference reference, float score) -> std::optional<index_hit> {
    const std::uint32_t slot = slot_of(reference);
    if (slot == not_searched) return std::nullopt;
    const std::uint32_t row = keywords::reference_row(reference);
    index_hit hit{(*views)[slot].vectors.item_id(row), score, shards[slot], row, 1, {}};
    if (const auto terms = terms_of.find(reference); terms != terms_of.end()) hit.matched_terms = *terms->second;
    return hit;
  };
  std::vector<keywords::scored_reference> vector_scores;
  vector_scores.reserve(vector_side->hits.size());
  for (const index_hit& hit : vector_side->hits) {
    const std::size_t position = shards_.find(hit.shard)->second->manifest_position;
    vector_scores.push_back({keywords::make_item_reference(static_cast<std::uint32_t>(position), hit.row), hit.score});
  }
  std::vector<keywords::scored_reference> keyword_scores;
  keyword_scores.reserve(keyword_side->size());
  for (const keywords::keyword_hit& hit : keyword_side.value()) keyword_scores.push_back({hit.reference, hit.score});

  if (!options.one_per_document) {
    for (const keywords::scored_reference& entry : keywords::fuse_scores(vector_scores, keyword_scores, fusion)) {
      if (outcome.hits.size() == options.k) break;
      if (auto hit = hit_for(entry.reference, entry.score)) outcome.hits.push_back(std::move(*hit));
    }
  } else {
    // Documents are fused, not chunks: each side is first cut to its best item per document, so a
    // document's vector evidence and its keyword evidence meet even when they come from different
    // chunks (measured on beir-msmarco-5k: nDCG@10 0.7494 against 0.7462 fusing chunks, README).
    // A document stands under the reference of the first of its items seen (its canonical one), and
    // is shown by its best chunk as the chunks fused one by one rank them (so it is the chunk that
    // leads the document's chunks in an every-chunk search).
    // Flat tables, no tree per query: this runs on every hybrid search (measured at 100,000 items in
    // wasm, a map keyed by copied source strings cost as much as the BM25 scoring).
    struct document_sides {
      keywords::item_reference canonical = 0;
      bool on_vector_side = false;
      bool on_keyword_side = false;
      std::optional<keywords::item_reference> best_chunk;
      std::size_t items = 0;  // distinct items of the document on either side
    };
    std::vector<document_sides> documents;
    documents.reserve(vector_scores.size() + keyword_scores.size());
    std::unordered_map<std::string_view, std::uint32_t> document_by_source;  // views into the items' metadata
    std::unordered_map<keywords::item_reference, std::uint32_t> document_by_item;
    document_by_source.reserve(documents.capacity());
    document_by_item.reserve(documents.capacity());
    constexpr std::uint32_t no_document = 0xFFFFFFFFu;
    const auto document_for = [&](keywords::item_reference reference) -> std::uint32_t {
      if (const auto known = document_by_item.find(reference); known != document_by_item.end()) return known->second;
      const std::uint32_t slot = slot_of(reference);
      if (slot == not_searched) return no_document;
      const std::string_view source = source_of(slot, keywords::reference_row(reference));
      // An item with no source is a document of its own.
      const auto found = source.empty() ? document_by_source.end() : document_by_source.find(source);
      std::uint32_t index = 0;
      if (found != document_by_source.end()) {
        index = found->second;
      } else {
        index = static_cast<std::uint32_t>(documents.size());
        documents.push_back({reference, false, false, std::nullopt, 0});
        if (!source.empty()) document_by_source.emplace(source, index);
      }
      document_by_item.emplace(reference, index);
      ++documents[index].items;
      return index;
    };
    std::vector<keywords::scored_reference> vector_documents, keyword_documents;
    for (const keywords::scored_reference& entry : vector_scores) {
      const std::uint32_t index = document_for(entry.reference);
      // Best first: only a document's first item on this side stands for it.
      if (index == no_document || documents[index].on_vector_side) continue;
      documents[index].on_vector_side = true;
      vector_documents.push_back({documents[index].canonical, entry.score});
    }
    for (const keywords::scored_reference& entry : keyword_scores) {
      const std::uint32_t index = document_for(entry.reference);
      if (index == no_document || documents[index].on_keyword_side) continue;
      documents[index].on_keyword_side = true;
      keyword_documents.push_back({documents[index].canonical, entry.score});
    }
    for (const keywords::scored_reference& entry : keywords::fuse_scores(vector_scores, keyword_scores, fusion)) {
      const auto known = document_by_item.find(entry.reference);
      if (known != document_by_item.end() && !documents[known->second].best_chunk) documents[known->second].best_chunk = entry.reference;
    }
    for (const keywords::scored_reference& entry : keywords::fuse_scores(vector_documents, keyword_documents, fusion)) {
      if (outcome.hits.size() == options.k) break;
      const document_sides& document = documents[document_by_item.at(entry.reference)];
      auto hit = hit_for(document.best_chunk.value_or(document.canonical), entry.score);
      if (!hit) continue;
      hit->matched_items = document.items;
      outcome.hits.push_back(std::move(*hit));
    }
  }
  outcome.vote = std::move(vector_side->vote);
  outcome.keyword_query = std::move(analyzed).value();
  return outcome;
}

result<query_outcome> loaded_index::query(std::span<const float> vector, std::span<const shard_handle> shards,
                                          const query_options& options) const {
  const search_mode mode = effective_mode(vector, options);
  if (mode != search_mode::vector) return keyword_or_hybrid_query(vector, shards, mode, options);
  auto views = searchable(shards);
  if (!views) return std::move(views).failure();
  auto resolved = resolve_filter(options.filter);
  if (!resolved) return std::move(resolved).failure();
  if (options.vote && options.vote->k == 0) return make_error(error_code::invalid_argument, "the label vote needs k >= 1");
  auto prepared = search::prepare_query(vector, manifest_.dimensions);
  if (!prepared) return std::move(prepared).failure();
  std::size_t total_items = 0;
  for (const searchable_shard& view : views.value()) total_items += view.vectors.item_count;
  search_options scan_options;
  scan_options.k = options.one_per_document ? first_hits_to_ask(options.k, total_items) : options.k;
  scan_options.filter = std::move(resolved).value();
  scan_options.labelled_k = options.vote ? options.vote->k : 0;
  auto scanned = scan(prepared.value(), views.value(), scan_options);
  if (!scanned) return std::move(scanned).failure();
  auto to_index_hit = [&](const search_hit& hit, std::size_t matched_items) {
    return index_hit{hit.item_id, hit.score, shards[hit.shard], hit.row, matched_items, {}};
  };
  auto to_index_hits = [&](const std::vector<search_hit>& hits) {
    std::vector<index_hit> converted;
    converted.reserve(hits.size());
    for (const search_hit& hit : hits) converted.push_back(to_index_hit(hit, 1));
    return converted;
  };
  query_outcome outcome;
  if (options.one_per_document && options.k > 0) {
    // The first scan asked for enough hits to hold k documents in most collections; a longer prefix
    // is scanned again (without the voters, already found) only when it did not.
    const std::size_t first_asked = scan_options.k;
    auto documents = search_documents<search_hit>(
        options.k, total_items,
        [&](std::size_t asked) -> result<std::vector<search_hit>> {
          if (asked == first_asked) return scanned->best;
          search_options longer = scan_options;
          longer.k = asked;
          longer.labelled_k = 0;
          auto again = scan(prepared.value(), views.value(), longer);
          if (!again) return std::move(again).failure();
          return std::move(again->best);
        },
        [&](const search_hit& hit) -> std::string_view {
          return shards_.find(shards[hit.shard])->second->items[hit.row].source;
        });
    if (!documents) return std::move(documents).failure();
    outcome.hits.reserve(documents->size());
    for (const auto& [hit, matched_items] : documents.value()) outcome.hits.push_back(to_index_hit(hit, matched_items));
  } else {
    outcome.hits = to_index_hits(scanned->best);
  }
  if (!options.vote) return outcome;
  std::vector<vote_neighbour> neighbours;
  neighbours.reserve(scanned->best_labelled.size());
  for (const search_hit& hit : scanned->best_labelled) {
    neighbours.push_back({(*views)[hit.shard].attributes->labels[hit.row], hit.score});
  }
  auto vote = vote_label(neighbours, *options.vote);
  if (!vote) return std::move(vote).failure();
  classification& voted = outcome.vote.emplace();
  voted.known = vote->known;
  if (vote->known) voted.label = labels_.name(vote->label);
  voted.confidence = vote->confidence;
  voted.votes = vote->votes;
  voted.considered = vote->considered;
  voted.best_score = vote->best_score;
  voted.neighbours = to_index_hits(scanned->best_labelled);
  return outcome;
}

result<std::vector<index_hit>> loaded_index::search(std::span<const float> vector, std::span<const shard_handle> shards,
                                                    std::size_t k, const named_filter& conditions) const {
  query_options options;
  options.k = k;
  options.filter = conditions;
  auto outcome = query(vector, shards, options);
  if (!outcome) return std::move(outcome).failure();
  return std::move(outcome->hits);
}

result<classification> loaded_index::classify(std::span<const float> vector, std::span<const shard_handle> shards,
                                              const vote_options& options, const named_filter& conditions) const {
  query_options asked;
  asked.k = 0;
  asked.filter = conditions;
  asked.vote = options;
  auto outcome = query(vector, shards, asked);
  if (!outcome) return std::move(outcome).failure();
  return std::move(*outcome->vote);
}

const index::item_metadata* loaded_index::item(shard_handle handle, std::uint32_t row) const {
  const auto found = shards_.find(handle);
  if (found == shards_.end() || row >= found->second->items.size()) return nullptr;
  return &found->second->items[row];
}

const index::item_metadata* loaded_index::item_by_id(std::uint64_t item_id, std::span<const shard_handle> shards) const {
  for (const shard_handle handle : shards) {
    const auto found = shards_.find(handle);
    if (found == shards_.end()) continue;
    for (const index::item_metadata& candidate : found->second->items) {
      if (candidate.id == item_id) return &candidate;
    }
  }
  return nullptr;
}

result<std::vector<float>> loaded_index::stored_vector(std::uint64_t item_id) const {
  for (const auto& [handle, shard] : shards_) {
    const index::shard_view& vectors = shard->vectors;
    for (std::size_t row = 0; row < vectors.item_count; ++row) {
      if (vectors.item_id(row) != item_id) continue;
      std::vector<float> values(vectors.dimensions);
      vectors.row_as_f32(row, values);
      return values;
    }
  }
  return make_error(error_code::invalid_argument, "no loaded shard holds item " + index::format_item_id(item_id));
}

result<std::vector<float>> loaded_index::prepare_query(std::span<const float> model_output) const {
  auto prepared = search::prepare_query(model_output, manifest_.dimensions);
  if (!prepared) return std::move(prepared).failure();
  return std::move(prepared->unit);
}

}  // namespace mosaic::search
