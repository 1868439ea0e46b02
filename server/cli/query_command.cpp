// mosaic query SITE "text": embeds the query with the index's model, searches (hybrid, vector or
// keyword) and prints ranked results.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/command_options.hpp"
#include "cli/command_failure.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/provider_setup.hpp"
#include "cli/query_embedding.hpp"
#include "embed/unicode_normalization.hpp"
#include "index/item_metadata.hpp"
#include "partition/partitioned_search.hpp"
#include "search/result_json.hpp"
#include "site/site_reader.hpp"

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
  --all-chunks            every matching chunk or segment; by default one result per document
                          (its best chunk, with how many of its chunks matched)
  --mode hybrid|vector|keyword   how results are ranked: hybrid (default for a text query on an
                          index with a keyword index) fuses the vector search with the keyword
                          index's BM25; keyword needs no model; "quoted phrases" match as phrases
  --vector-weight W       hybrid: the vector side's weight in the fusion, 0..1 (default 0.2)
  --nprobe N              partitioned index: partitions probed per query (default 16; more is
                          slower and closer to exact)
  --rerank-depth N        partitioned index: candidates of the sign-code scan re-ranked exactly
                          (default: one per 16 rows scanned, at least 256)
  --json                  one JSON object with the results
)";

// Adds one --filter KEY=VALUE to `conditions` (the core's filter reader: search/named_filter.hpp).
status add_filter(const std::string& text, search::named_filter& conditions) {
  const auto equals = text.find('=');
  if (equals == std::string::npos) return make_error(error_code::invalid_argument, "--filter needs KEY=VALUE, got '" + text + "'");
  return search::add_condition(conditions, std::string_view(text).substr(0, equals), std::string_view(text).substr(equals + 1));
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
  const command_option_table& table = command_options("query");
  parsed_options options(remaining, table.valued, table.flags);
  if (options.has("--help")) {
    std::fputs(query_usage, stdout);
    return 0;
  }
  const auto k = options.number("-k", 10, 1, 10000);
  const auto nprobe = options.number("--nprobe", partition::default_nprobe, 1, partition::max_nprobe);
  const auto rerank_depth = options.number("--rerank-depth", partition::default_rerank_depth, 1, partition::max_rerank_depth);
  const std::optional<std::string> mode_name = options.value("--mode");
  const std::optional<search::search_mode> mode = mode_name ? search::parse_search_mode(*mode_name) : std::nullopt;
  if (mode_name && !mode) {
    return report_usage_failure("query", "--mode must be hybrid, vector or keyword", query_usage);
  }
  std::optional<float> vector_weight;
  if (const std::optional<std::string> weight = options.value("--vector-weight")) {
    char* end = nullptr;
    const float parsed = std::strtof(weight->c_str(), &end);
    if (weight->empty() || *end != '\0' || !(parsed >= 0.0f && parsed <= 1.0f)) {
      return report_usage_failure("query", "--vector-weight must be a number from 0 to 1", query_usage);
    }
    vector_weight = parsed;
  }
  const std::optional<std::string> media_file = options.value("--image") ? options.value("--image") : options.value("--audio");
  const std::size_t positional_wanted = media_file ? 1 : 2;
  if (options.error() || options.positional().size() != positional_wanted) {
    return report_usage_failure("query", options.error() ? options.error()->c_str()
                 : media_file ? "give SITE and no query text with --image or --audio" : "give SITE and one query text",
                 query_usage);
    return 2;
  }
  auto site = load_site(options.positional()[0]);
  if (!site) {
    return report_failure("query", site.failure(), 1);
  }
  search::query_options query_options;
  query_options.k = *k;
  query_options.nprobe = *nprobe;
  query_options.rerank_depth = *rerank_depth;
  query_options.one_per_document = !options.has("--all-chunks");
  query_options.mode = mode;
  if (vector_weight) query_options.fusion.vector_weight = *vector_weight;
  if (media_file && mode && *mode != search::search_mode::vector) {
    return report_failure("query", usage_error_code, "an image or recording is searched by its vector only (--mode vector)", 2);
  }
  for (const std::string& filter : filters) {
    if (auto added = add_filter(filter, query_options.filter); !added) {
      return report_failure("query", added.failure(), 2);
    }
  }
  const std::string query_text = media_file ? std::string() : std::string(options.positional()[1]);
  if (!media_file) {
    // The keyword index reads NFKC text, as the indexer wrote it.
    auto normalized = normalize_nfkc(query_text);
    if (!normalized) {
      return report_failure("query", normalized.failure(), 2);
    }
    query_options.text = std::move(normalized).value();
  }
  // A keyword search needs no vector, so no model: it works where the model is not installed.
  const bool keyword_only = mode == search::search_mode::keyword;
  auto query = keyword_only ? result<std::vector<float>>(std::vector<float>())
               : media_file ? embed_query_file(options, site->manifest(), *media_file)
                            : embed_query_text(options, site->manifest(), query_text);
  if (!query) {
    return report_failure("query", query.failure(), 1);
  }
  auto outcome = site->index.query(query.value(), site->shards, query_options);
  if (!outcome) {
    return report_failure("query", outcome.failure(), 1);
  }
  if (options.has("--json")) {
    nlohmann::json output = search::query_outcome_json(site->index, outcome.value());
    output["query"] = media_file ? *media_file : std::string(options.positional()[1]);
    output["model"] = site->manifest().model_id;
    std::printf("%s\n", output.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  std::size_t rank = 0;
  for (const search::index_hit& hit : outcome->hits) {
    const index::item_metadata& item = *site->index.item(hit.shard, hit.row);
    std::printf("%2zu. %.4f  %s  [%s]%s%s", ++rank, static_cast<double>(hit.score), item.title.c_str(), item.source.c_str(),
                item.label.empty() ? "" : "  label: ", item.label.c_str());
    if (hit.matched_items > 1) std::printf("  (%zu parts matched)", hit.matched_items);
    if (!hit.matched_terms.empty()) {
      std::string terms;
      for (const std::string& term : hit.matched_terms) terms += (terms.empty() ? "" : " ") + term;
      std::printf("  terms: %s", terms.c_str());
    }
    std::putchar('\n');
  }
  if (rank == 0) std::puts("no results");
  if (outcome->approximate) {
    std::printf("(approximate: a partitioned index, %zu of its %zu partitions probed first; --nprobe N probes more)\n",
                std::min(query_options.nprobe, site->manifest().partitions.size()), site->manifest().partitions.size());
  }
  return 0;
}

}  // namespace mosaic::server
