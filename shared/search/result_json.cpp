#include "search/result_json.hpp"

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "index/item_metadata.hpp"
#include "keywords/highlight.hpp"
#include "keywords/keyword_analysis.hpp"

namespace mosaic::search {
namespace {

using nlohmann::json;

// A whole number in [smallest, largest] under `key` of `object`, or `fallback` when absent.
result<std::size_t> whole_number(const json& object, const char* key, const std::string& name, std::size_t fallback,
                                 std::size_t smallest, std::size_t largest) {
  if (!object.contains(key)) return fallback;
  const json& value = object[key];
  const std::string problem = "\"" + name + "\" must be a whole number from " + std::to_string(smallest) + " to " +
                              std::to_string(largest);
  // Any JSON number that is whole: JavaScript writes 5 and 5.0 alike.
  if (!value.is_number()) return make_error(error_code::invalid_argument, problem);
  const double number = value.get<double>();
  if (!(std::isfinite(number) && std::floor(number) == number && number >= static_cast<double>(smallest) &&
        number <= static_cast<double>(largest))) {
    return make_error(error_code::invalid_argument, problem);
  }
  return static_cast<std::size_t>(number);
}

result<float> bounded_fraction(const json& object, const char* key, const std::string& name, float smallest, float largest) {
  if (!object.contains(key)) return 0.0f;
  const json& value = object[key];
  const std::string problem = "\"" + name + "\" must be a number from " + std::to_string(static_cast<int>(smallest)) +
                              " to " + std::to_string(static_cast<int>(largest));
  if (!value.is_number()) return make_error(error_code::invalid_argument, problem);
  const double number = value.get<double>();
  if (!(number >= static_cast<double>(smallest) && number <= static_cast<double>(largest))) {
    return make_error(error_code::invalid_argument, problem);
  }
  return static_cast<float>(number);
}

// UTF-16 code units of the UTF-8 text before `byte_offset` (a character of 4 bytes is 2 units; the
// text is valid UTF-8, since it passed the tokenizer).
std::size_t utf16_units_before(std::string_view text, std::size_t byte_offset) {
  std::size_t units = 0;
  for (std::size_t position = 0; position < byte_offset && position < text.size(); ++position) {
    const auto byte = static_cast<unsigned char>(text[position]);
    if ((byte & 0xC0U) == 0x80U) continue;  // a continuation byte
    units += byte >= 0xF0U ? 2 : 1;
  }
  return units;
}

// [[start, end], ...] of the query's terms in `text`, in UTF-16 code units; empty when the text
// cannot be analyzed (the highlight is a courtesy, never a reason to fail a search).
json highlights_in(std::string_view text, const keywords::keyword_query& query, text::text_analyzer& analyzer) {
  json spans = json::array();
  auto found = keywords::find_highlights(text, query, analyzer);
  if (!found) return spans;
  for (const keywords::highlight_span& span : found.value()) {
    spans.push_back(json::array({utf16_units_before(text, span.byte_offset),
                                 utf16_units_before(text, std::size_t{span.byte_offset} + span.byte_length)}));
  }
  return spans;
}

// [{"segment": index, "spans": [[start, end], ...]}, ...]: the transcript segments that hold the query's
// terms, in time order, so a player can start at the matched words (only segments with a match).
json transcript_highlights_in(const std::vector<index::transcript_segment>& transcript,
                              const keywords::keyword_query& query, text::text_analyzer& analyzer) {
  json found = json::array();
  for (std::size_t segment = 0; segment < transcript.size(); ++segment) {
    json spans = highlights_in(transcript[segment].text, query, analyzer);
    if (!spans.empty()) found.push_back(json{{"segment", segment}, {"spans", std::move(spans)}});
  }
  return found;
}

}  // namespace

result<query_options> query_options_from_json(const json& request) {
  if (!request.is_object()) return make_error(error_code::invalid_argument, "the query options must be a JSON object");
  query_options options;
  if (request.contains("classify") && !request["classify"].is_null()) {
    const json& classify = request["classify"];
    if (!classify.is_object()) return make_error(error_code::invalid_argument, "\"classify\" must be an object");
    vote_options vote;
    auto voters = whole_number(classify, "k", "classify.k", vote.k, 1, 1000);
    if (!voters) return std::move(voters).failure();
    vote.k = voters.value();
    auto similarity = bounded_fraction(classify, "min_similarity", "classify.min_similarity", -1.0f, 1.0f);
    if (!similarity) return std::move(similarity).failure();
    vote.unknown_below = similarity.value();
    auto confidence = bounded_fraction(classify, "min_confidence", "classify.min_confidence", 0.0f, 1.0f);
    if (!confidence) return std::move(confidence).failure();
    vote.min_confidence = confidence.value();
    options.vote = vote;
  }
  if (request.contains("one_per_document")) {
    const json& grouping = request["one_per_document"];
    if (!grouping.is_boolean()) return make_error(error_code::invalid_argument, "\"one_per_document\" must be true or false");
    options.one_per_document = grouping.get<bool>();
  }
  if (request.contains("group_duplicates")) {
    const json& grouping = request["group_duplicates"];
    if (!grouping.is_boolean()) return make_error(error_code::invalid_argument, "\"group_duplicates\" must be true or false");
    options.group_duplicates = grouping.get<bool>();
  }
  if (request.contains("mode") && !request["mode"].is_null()) {
    const json& mode = request["mode"];
    const std::optional<search_mode> parsed = mode.is_string() ? parse_search_mode(mode.get<std::string>()) : std::nullopt;
    if (!parsed) return make_error(error_code::invalid_argument, "\"mode\" must be \"vector\", \"keyword\" or \"hybrid\"");
    options.mode = parsed;
  }
  if (request.contains("fusion")) {
    const json& fusion = request["fusion"];
    if (!fusion.is_object()) return make_error(error_code::invalid_argument, "\"fusion\" must be an object");
    for (const auto& [key, value] : fusion.items()) {
      if (key != "method" && key != "vector_weight") {
        return make_error(error_code::invalid_argument, "\"fusion\" has no option \"" + key + "\" (method, vector_weight)");
      }
    }
    if (fusion.contains("method")) {
      const json& method = fusion["method"];
      if (method == "convex") {
        options.fusion.method = keywords::fusion_method::convex;
      } else if (method == "reciprocal_rank") {
        options.fusion.method = keywords::fusion_method::reciprocal_rank;
      } else {
        return make_error(error_code::invalid_argument, "\"fusion.method\" must be \"convex\" or \"reciprocal_rank\"");
      }
    }
    if (fusion.contains("vector_weight")) {
      auto weight = bounded_fraction(fusion, "vector_weight", "fusion.vector_weight", 0.0f, 1.0f);
      if (!weight) return std::move(weight).failure();
      options.fusion.vector_weight = weight.value();
    }
  }
  // Partitioned sites: the probe's knobs (partition/partitioned_search.hpp); ignored on flat sites.
  auto nprobe = whole_number(request, "nprobe", "nprobe", options.nprobe, 1, partition::max_nprobe);
  if (!nprobe) return std::move(nprobe).failure();
  options.nprobe = nprobe.value();
  auto depth = whole_number(request, "rerank_depth", "rerank_depth", options.rerank_depth, 1, partition::max_rerank_depth);
  if (!depth) return std::move(depth).failure();
  options.rerank_depth = depth.value();
  auto k = whole_number(request, "k", "k", options.k, options.vote ? 0 : 1, max_query_k);
  if (!k) return std::move(k).failure();
  options.k = k.value();
  if (request.contains("filter")) {
    auto filter = named_filter_from_json(request["filter"]);
    if (!filter) return std::move(filter).failure();
    options.filter = std::move(filter).value();
  }
  return options;
}

result<query_options> query_options_from_json_text(std::string_view text) {
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded()) return make_error(error_code::invalid_json, "the query options are not valid JSON");
  return query_options_from_json(parsed);
}

std::string query_outcome_json_text(const loaded_index& index, const query_outcome& outcome) {
  return query_outcome_json(index, outcome).dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

// One result's JSON (result_json.hpp), with the analyzer the highlights use made once per answer, not
// once per hit.
json hit_json_with(const loaded_index& index, const index_hit& hit, const keywords::keyword_query* highlighted,
                   text::text_analyzer* analyzer, bool judged) {
  const index::item_metadata* item = index.item(hit.shard, hit.row);
  // Hits come from this index's own scan, so the item is always there; null keeps a bug visible.
  json answer{{"id", index::format_item_id(hit.item_id)},
              {"score", hit.score},
              {"item", item != nullptr ? index::item_metadata_json(*item) : json(nullptr)}};
  if (hit.matched_items > 1) answer["matched_items"] = hit.matched_items;
  if (judged) {
    answer["close"] = hit.close;
    if (hit.similarity) answer["similarity"] = *hit.similarity;
    if (hit.duplicate_of) answer["duplicate_of"] = index::format_item_id(*hit.duplicate_of);
    if (hit.duplicates > 0) answer["duplicates"] = hit.duplicates;
  }
  if (highlighted != nullptr) {
    answer["matched_terms"] = hit.matched_terms;
    if (item != nullptr && analyzer != nullptr) {
      answer["highlights"] = json{{"title", highlights_in(item->title, *highlighted, *analyzer)},
                                  {"snippet", highlights_in(item->snippet, *highlighted, *analyzer)}};
      if (!item->transcript.empty()) {
        answer["highlights"]["transcript"] = transcript_highlights_in(item->transcript, *highlighted, *analyzer);
      }
    }
  }
  return answer;
}

// Analyzed as the index's documents were (a query is only highlighted when the index has keywords).
std::optional<text::text_analyzer> highlight_analyzer(const loaded_index& index, const keywords::keyword_query* highlighted) {
  if (highlighted == nullptr) return std::nullopt;
  const loaded_keywords* keywords = index.keywords();
  auto analyzer = keywords::analyzer_for(keywords != nullptr ? keywords->directory().analysis : keywords::default_analysis);
  if (!analyzer) return std::nullopt;
  return std::move(analyzer).value();
}

}  // namespace

json query_outcome_json(const loaded_index& index, const query_outcome& outcome) {
  json results = json::array();
  const keywords::keyword_query* highlighted = outcome.keyword_query ? &*outcome.keyword_query : nullptr;
  std::optional<text::text_analyzer> analyzer = highlight_analyzer(index, highlighted);
  for (const index_hit& hit : outcome.hits) {
    results.push_back(hit_json_with(index, hit, highlighted, analyzer ? &*analyzer : nullptr, true));
  }
  json answer{{"mode", search_mode_name(outcome.mode)}, {"results", std::move(results)}};
  if (index.manifest().layout == index::index_layout::partitioned) {
    // Only partitioned sites say so: a flat site's answers are exact and keep their shape.
    answer["approximate"] = outcome.approximate;
    answer["missing_partitions"] = outcome.missing_partitions;
    answer["rows_scanned"] = outcome.rows_scanned;
    // Only a client holding partition heads sees rows missing (the server loads whole files).
    if (!outcome.missing_rows.empty()) {
      json rows = json::array();
      for (const auto& [position, row] : outcome.missing_rows) rows.push_back(json::array({position, row}));
      answer["missing_rows"] = std::move(rows);
    }
  }
  if (outcome.vote) {
    const classification& vote = *outcome.vote;
    json neighbours = json::array();
    for (const index_hit& hit : vote.neighbours) neighbours.push_back(hit_json_with(index, hit, nullptr, nullptr, false));
    answer["classification"] = json{{"known", vote.known},
                                    {"label", vote.known ? json(vote.label) : json(nullptr)},
                                    {"confidence", vote.confidence},
                                    {"votes", vote.votes},
                                    {"considered", vote.considered},
                                    {"best_score", vote.best_score},
                                    {"neighbours", std::move(neighbours)}};
  }
  return answer;
}

}  // namespace mosaic::search
