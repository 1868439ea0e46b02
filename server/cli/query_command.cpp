// mosaic query SITE "text": embeds the query with the index's model and prints ranked results.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/provider_setup.hpp"
#include "cli/query_embedding.hpp"
#include "embed/local_model_loader.hpp"
#include "embed/unicode_normalization.hpp"
#include "index/item_metadata.hpp"
#include "site/site_reader.hpp"
#include "vector/normalize.hpp"

namespace mosaic::server {
namespace {

constexpr const char* query_usage = R"(usage: mosaic query SITE "text" | --image FILE | --audio FILE [options]
  Embeds the text (with the local model for its own indexes, else through the provider, e.g.
  --provider gemini for a Gemini-built index) or the file (through the provider), which must embed
  with the model the index was built with, and prints the best matches with scores.
options:
  --image FILE, --audio FILE   query by an image or a recording (provider options as for index)
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

std::set<std::string_view> with_json_and_help(std::set<std::string_view> flags) {
  flags.insert({"--json", "--help"});
  return flags;
}

// A text query with the local model, for an index it built.
result<std::vector<float>> embed_query_text(const parsed_options& options, const std::string& text, std::size_t dimensions) {
  auto model = load_local_model(options.value("--model-dir").value_or(default_model_directory().string()));
  if (!model) return std::move(model).failure();
  auto normalized = normalize_nfkc(text);
  if (!normalized) return std::move(normalized).failure();
  auto embedding = model->embed(normalized.value());
  if (!embedding) return std::move(embedding).failure();
  return vector::truncate_and_normalize(embedding->vector, dimensions);
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
  std::set<std::string_view> valued = provider_valued_options();
  valued.insert({"-k", "--image", "--audio"});
  parsed_options options(remaining, valued, with_json_and_help(provider_flag_options()));
  if (options.has("--help")) {
    std::fputs(query_usage, stdout);
    return 0;
  }
  const auto k = options.number("-k", 10, 1, 10000);
  const std::optional<std::string> media_file = options.value("--image") ? options.value("--image") : options.value("--audio");
  const std::size_t positional_wanted = media_file ? 1 : 2;
  if (options.error() || options.positional().size() != positional_wanted) {
    std::fprintf(stderr, "mosaic query: %s\n\n%s", options.error() ? options.error()->c_str()
                 : media_file ? "give SITE and no query text with --image or --audio" : "give SITE and one query text",
                 query_usage);
    return 2;
  }
  auto site = load_site(options.positional()[0]);
  if (!site) {
    std::fprintf(stderr, "mosaic query: %s\n", site.failure().message.c_str());
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
  // A text query on the built-in local model's index is embedded here; on another model's (Gemini)
  // index, through the provider the options choose, which must embed with that model.
  const std::string query_text = media_file ? std::string() : std::string(options.positional()[1]);
  auto query = media_file ? embed_query_file(options, site->manifest, *media_file)
               : site->manifest.model_id == model::use_lite_model_id
                   ? embed_query_text(options, query_text, site->manifest.dimensions)
                   : embed_query_text_with_provider(options, site->manifest, query_text);
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
    nlohmann::json output{{"query", media_file ? *media_file : options.positional()[1]}, {"model", site->manifest.model_id}, {"results", nlohmann::json::array()}};
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
