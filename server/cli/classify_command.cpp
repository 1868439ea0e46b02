// mosaic classify SITE --image FILE: "which person is this" from a collection laid out one folder per
// label. The image is embedded through the provider (the index's model), its k nearest labelled
// neighbours vote (shared/search/label_vote, weighted by similarity), and the winner is printed with
// its confidence, or "unknown" when nobody is similar enough or the vote is below --threshold.
#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/provider_setup.hpp"
#include "cli/query_embedding.hpp"
#include "search/label_vote.hpp"
#include "search/top_k.hpp"
#include "site/site_reader.hpp"

namespace mosaic::server {
namespace {

constexpr const char* classify_usage = R"(usage: mosaic classify SITE --image FILE [options]
  Embeds the image through the provider (it must embed with the index's model), lets its k nearest
  labelled neighbours vote, and prints the label with its confidence, or "unknown".
options:
  -k N             neighbours that vote, default 5
  --threshold X    least confidence (0..1) for a label, default 0.6; below it the answer is unknown
  --min-similarity X   neighbours less similar than X (0..1) do not vote, default 0
  --json           {"label": NAME|null, "confidence": X, "votes": N, "considered": N}
)";

std::optional<float> parse_fraction(const std::string& text) {
  float value = 0.0f;
  const auto [end, failure] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (failure != std::errc() || end != text.data() + text.size() || !(value >= 0.0f && value <= 1.0f)) return std::nullopt;
  return value;
}

}  // namespace

int run_classify_command(std::span<const std::string_view> arguments) {
  std::set<std::string_view> valued = provider_valued_options();
  valued.insert({"-k", "--image", "--threshold", "--min-similarity"});
  std::set<std::string_view> flags = provider_flag_options();
  flags.insert({"--json", "--help"});
  parsed_options options(arguments, valued, flags);
  if (options.has("--help")) {
    std::fputs(classify_usage, stdout);
    return 0;
  }
  const auto k = options.number("-k", 5, 1, 1000);
  const auto threshold = parse_fraction(options.value("--threshold").value_or("0.6"));
  const auto minimum_similarity = parse_fraction(options.value("--min-similarity").value_or("0"));
  std::string usage_error;
  if (options.error()) usage_error = *options.error();
  else if (options.positional().size() != 1) usage_error = "give exactly one SITE";
  else if (!options.value("--image")) usage_error = "--image FILE is required";
  else if (!threshold) usage_error = "--threshold must be a number from 0 to 1";
  else if (!minimum_similarity) usage_error = "--min-similarity must be a number from 0 to 1";
  if (!usage_error.empty()) {
    std::fprintf(stderr, "mosaic classify: %s\n\n%s", usage_error.c_str(), classify_usage);
    return 2;
  }
  auto site = load_site(options.positional()[0]);
  if (!site) {
    std::fprintf(stderr, "mosaic classify: %s\n", site.failure().message.c_str());
    return 1;
  }
  auto query = embed_query_file(options, site->manifest, *options.value("--image"));
  if (!query) {
    std::fprintf(stderr, "mosaic classify: %s\n", query.failure().message.c_str());
    return 1;
  }
  // More candidates than voters: unlabelled neighbours do not vote, so k labelled ones are looked for
  // among a wider set.
  search::search_options search;
  search.k = *k * 4;
  const auto shards = site->searchable();
  auto hits = search::top_k(query.value(), shards, search);
  if (!hits) {
    std::fprintf(stderr, "mosaic classify: %s\n", hits.failure().message.c_str());
    return 1;
  }
  std::vector<search::vote_neighbour> neighbours;
  for (const search::search_hit& hit : hits.value()) {
    const std::string& label = site->item(hit).label;
    const auto id = label.empty() ? std::optional<std::uint32_t>(0) : site->labels.find(label);
    neighbours.push_back({id.value_or(0), hit.score});
  }
  search::vote_options voting;
  voting.k = *k;
  voting.unknown_below = *minimum_similarity;
  auto vote = search::vote_label(neighbours, voting);
  if (!vote) {
    std::fprintf(stderr, "mosaic classify: %s\n", vote.failure().message.c_str());
    return 1;
  }
  const bool known = vote->known && vote->confidence >= *threshold;
  const std::string label = known ? site->labels.name(vote->label) : std::string();
  if (options.has("--json")) {
    nlohmann::json output{{"label", known ? nlohmann::json(label) : nlohmann::json(nullptr)},
                          {"confidence", vote->confidence},
                          {"votes", vote->votes},
                          {"considered", vote->considered}};
    std::printf("%s\n", output.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else if (known) {
    std::printf("%s (confidence %.2f, %zu of %zu neighbours)\n", label.c_str(), static_cast<double>(vote->confidence),
                vote->votes, vote->considered);
  } else {
    std::printf("unknown (best confidence %.2f)\n", static_cast<double>(vote->confidence));
  }
  return 0;
}

}  // namespace mosaic::server
