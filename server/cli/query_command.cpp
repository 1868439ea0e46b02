// mosaic query SITE "text": embeds the query with the index's model and prints ranked results.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "embed/local_model_loader.hpp"
#include "embed/unicode_normalization.hpp"
#include "index/item_metadata.hpp"
#include "site/site_reader.hpp"
#include "vector/normalize.hpp"

namespace mosaic::server {
namespace {

constexpr const char* query_usage = R"(usage: mosaic query SITE "text" [options]
  Embeds the text with the model the index was built with and prints the best matches with scores.
options:
  -k N                    how many results, default 10
  --filter KEY=VALUE      modality=text|image|audio|video|pdf, label=NAME or tag=NAME; repeatable
                          filters of one key are alternatives, different keys must all match
  --model-dir DIR         where the local model's files are
  --json                  one JSON object with the results
)";

// Applies one --filter to `conditions`; false (with `why`) when it cannot.
bool add_filter(const std::string& text, const loaded_site& site, search::filter& conditions, std::string& why) {
  const auto equals = text.find('=');
  if (equals == std::string::npos) {
    why = "--filter needs KEY=VALUE, got '" + text + "'";
    return false;
  }
  const std::string key = text.substr(0, equals), value = text.substr(equals + 1);
  if (key == "modality") {
    auto kind = index::parse_modality(value);
    if (!kind) {
      why = kind.failure().message;
      return false;
    }
    if (conditions.modality_mask == index::all_modalities_mask) conditions.modality_mask = 0;
    conditions.modality_mask |= index::modality_bit(kind.value());
    return true;
  }
  if (key == "label" || key == "tag") {
    const auto& dictionary = key == "label" ? site.labels : site.tags;
    // A name the index has never seen matches nothing: an id no row carries.
    const std::uint32_t id = dictionary.find(value).value_or(0xFFFFFFFFu);
    (key == "label" ? conditions.any_of_labels : conditions.all_of_tags).push_back(id);
    return true;
  }
  why = "unknown filter key '" + key + "' (use modality, label or tag)";
  return false;
}

}  // namespace

int run_query_command(std::span<const std::string_view> arguments) {
  // --filter may repeat: gather those first, then parse the rest.
  std::vector<std::string_view> remaining;
  std::vector<std::string> filters;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    if (arguments[i] == "--filter" && i + 1 < arguments.size()) filters.emplace_back(arguments[++i]);
    else remaining.push_back(arguments[i]);
  }
  parsed_options options(remaining, {"-k", "--model-dir"}, {"--json", "--help"});
  if (options.has("--help")) {
    std::fputs(query_usage, stdout);
    return 0;
  }
  const auto k = options.number("-k", 10, 1, 10000);
  if (options.error() || options.positional().size() != 2) {
    std::fprintf(stderr, "mosaic query: %s\n\n%s", options.error() ? options.error()->c_str() : "give SITE and one query text",
                 query_usage);
    return 2;
  }
  auto site = load_site(options.positional()[0]);
  if (!site) {
    std::fprintf(stderr, "mosaic query: %s\n", site.failure().message.c_str());
    return 1;
  }
  if (site->manifest.model_id != model::use_lite_model_id) {
    std::fprintf(stderr, "mosaic query: the index was built with model '%s'; this version embeds queries only with '%s'\n",
                 site->manifest.model_id.c_str(), std::string(model::use_lite_model_id).c_str());
    return 1;
  }
  search::search_options search;
  search.k = *k;
  for (const std::string& filter : filters) {
    std::string why;
    if (!add_filter(filter, site.value(), search.filter, why)) {
      std::fprintf(stderr, "mosaic query: %s\n", why.c_str());
      return 2;
    }
  }
  auto model = load_local_model(options.value("--model-dir").value_or(default_model_directory().string()));
  if (!model) {
    std::fprintf(stderr, "mosaic query: %s\n", model.failure().message.c_str());
    return 1;
  }
  auto normalized = normalize_nfkc(options.positional()[1]);
  if (!normalized) {
    std::fprintf(stderr, "mosaic query: %s\n", normalized.failure().message.c_str());
    return 1;
  }
  auto embedding = model->embed(normalized.value());
  if (!embedding) {
    std::fprintf(stderr, "mosaic query: %s\n", embedding.failure().message.c_str());
    return 1;
  }
  auto query = vector::truncate_and_normalize(embedding->vector, site->manifest.dimensions);
  if (!query) {
    std::fprintf(stderr, "mosaic query: %s\n", query.failure().message.c_str());
    return 1;
  }
  const auto shards = site->searchable();
  auto hits = search::top_k(query.value(), shards, search);
  if (!hits) {
    std::fprintf(stderr, "mosaic query: %s\n", hits.failure().message.c_str());
    return 1;
  }
  if (options.has("--json")) {
    nlohmann::json output{{"query", options.positional()[1]}, {"model", site->manifest.model_id}, {"results", nlohmann::json::array()}};
    for (const search::search_hit& hit : hits.value()) {
      const index::item_metadata& item = site->item(hit);
      nlohmann::json result{{"id", index::format_item_id(item.id)}, {"score", hit.score},  {"title", item.title},
                            {"source", item.source}, {"modality", index::modality_name(item.kind)}};
      if (!item.label.empty()) result["label"] = item.label;
      if (!item.snippet.empty()) result["snippet"] = item.snippet;
      if (item.source_offset) result["source_offset"] = *item.source_offset;
      output["results"].push_back(std::move(result));
    }
    std::printf("%s\n", output.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  std::size_t rank = 0;
  for (const search::search_hit& hit : hits.value()) {
    const index::item_metadata& item = site->item(hit);
    std::printf("%2zu. %.4f  %s  [%s]%s%s\n", ++rank, static_cast<double>(hit.score), item.title.c_str(), item.source.c_str(),
                item.label.empty() ? "" : "  label: ", item.label.c_str());
  }
  if (rank == 0) std::puts("no results");
  return 0;
}

}  // namespace mosaic::server
