// mosaic classify SITE --image FILE | "text": "which person is this" from a collection laid out one
// folder per label. The image (or text) is embedded through the provider (the index's model), its k nearest labelled
// neighbours vote (search::loaded_index::classify, weighted by similarity), and the winner is printed
// with its confidence, or "unknown" when nobody is similar enough or the vote is below --threshold.
#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/command_options.hpp"
#include "cli/command_failure.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/provider_setup.hpp"
#include "cli/query_embedding.hpp"
#include "search/result_json.hpp"
#include "site/site_reader.hpp"

namespace mosaic::server {
namespace {

constexpr const char* classify_usage = R"(usage: mosaic classify SITE --image FILE | "text" [options]
  Embeds the image through the provider, or the text (with the local model for its own indexes, else
  through the provider), which must embed with the index's model; lets its k nearest labelled
  neighbours vote, and prints the label with its confidence, or "unknown". The vote is the core's,
  the same the browser's API (classify) and POST /api/search ("classify") give.
options:
  -k N             neighbours that vote, default 5
  --threshold X    least confidence (0..1) for a label, default 0.6; below it the answer is unknown
  --min-similarity X   neighbours less similar than X (0..1) do not vote, default 0
  --json           {"known", "label": NAME|null, "confidence", "votes", "considered", "best_score", "neighbours"}
)";

std::optional<float> parse_fraction(const std::string& text) {
  float value = 0.0f;
  const auto [end, failure] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (failure != std::errc() || end != text.data() + text.size() || !(value >= 0.0f && value <= 1.0f)) return std::nullopt;
  return value;
}

}  // namespace

int run_classify_command(std::span<const std::string_view> arguments) {
  const command_option_table& table = command_options("classify");
  parsed_options options(arguments, table.valued, table.flags);
  if (options.has("--help")) {
    std::fputs(classify_usage, stdout);
    return 0;
  }
  const auto k = options.number("-k", 5, 1, 1000);
  const auto threshold = parse_fraction(options.value("--threshold").value_or("0.6"));
  const auto minimum_similarity = parse_fraction(options.value("--min-similarity").value_or("0"));
  std::string usage_error;
  if (options.error()) usage_error = *options.error();
  else if (options.positional().empty()) usage_error = "give SITE";
  else if (options.value("--image") && options.positional().size() != 1) usage_error = "give SITE and no query text with --image";
  else if (!options.value("--image") && options.positional().size() != 2) usage_error = "give SITE and one query text, or --image FILE";
  else if (!threshold) usage_error = "--threshold must be a number from 0 to 1";
  else if (!minimum_similarity) usage_error = "--min-similarity must be a number from 0 to 1";
  if (!usage_error.empty()) {
    return report_usage_failure("classify", usage_error, classify_usage);
  }
  auto site = load_site(options.positional()[0]);
  if (!site) {
    return report_failure("classify", site.failure(), 1);
  }
  auto query = options.value("--image") ? embed_query_file(options, site->manifest(), *options.value("--image"))
                                        : embed_query_text(options, site->manifest(), std::string(options.positional()[1]));
  if (!query) {
    return report_failure("classify", query.failure(), 1);
  }
  // The core's one label vote (search::loaded_index): the k nearest labelled items, found in the
  // scan itself, vote; the browser's API gives the same answer for the same query and options.
  search::query_options asked;
  asked.k = 0;
  asked.vote.emplace();
  asked.vote->k = *k;
  asked.vote->unknown_below = *minimum_similarity;
  asked.vote->min_confidence = *threshold;
  auto outcome = site->index.query(query.value(), site->shards, asked);
  if (!outcome) {
    return report_failure("classify", outcome.failure(), 1);
  }
  const search::classification& vote = *outcome->vote;
  if (options.has("--json")) {
    // The classification object of POST /api/search and the browser's API, neighbours included.
    const nlohmann::json output = search::query_outcome_json(site->index, outcome.value())["classification"];
    std::printf("%s\n", output.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else if (vote.known) {
    std::printf("%s (confidence %.2f, %zu of %zu neighbours)\n", vote.label.c_str(), static_cast<double>(vote.confidence),
                vote.votes, vote.considered);
  } else {
    std::printf("unknown (best confidence %.2f)\n", static_cast<double>(vote.confidence));
  }
  return 0;
}

}  // namespace mosaic::server
