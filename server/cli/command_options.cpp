#include "cli/command_options.hpp"

#include <array>
#include <utility>

#include "cli/provider_setup.hpp"

namespace mosaic::server {
namespace {

std::set<std::string_view> with(std::set<std::string_view> options, std::initializer_list<std::string_view> more) {
  options.insert(more.begin(), more.end());
  return options;
}

std::vector<command_option_table> make_tables() {
  std::vector<command_option_table> tables;
  tables.push_back({"index",
                    with(provider_valued_options(),
                         {"--out", "--captions", "--dims", "--quant", "--shard-items", "--chunk-words", "--chunk-overlap",
                          "--chunk-at", "--concurrency", "--layout", "--keep-generations-seconds", "--watch-quiet-ms",
                          "--watch-max-batch-ms", "--watch-poll-ms", "--ocr", "--transcribe", "--batch-job-inputs",
                          "--batch-poll-ms", "--batch-poll-max-ms"}),
                    with(provider_flag_options(),
                         {"--json", "--help", "--recluster", "--watch", "--watch-poll", "--batch-jobs"})});
  tables.push_back({"query",
                    with(provider_valued_options(),
                         {"-k", "--image", "--audio", "--mode", "--vector-weight", "--nprobe", "--rerank-depth", "--filter"}),
                    with(provider_flag_options(), {"--json", "--help", "--all-chunks"})});
  tables.push_back({"classify", with(provider_valued_options(), {"-k", "--image", "--threshold", "--min-similarity"}),
                    with(provider_flag_options(), {"--json", "--help"})});
  tables.push_back({"serve",
                    with(provider_valued_options(),
                         {"--site", "--web", "--port", "--address", "--threads", "--workers", "--read-timeout",
                          "--min-transfer-rate",
                          "--allow-origin", "--rate-limit", "--rate-burst", "--image-max-side", "--watch-ms",
                          "--max-event-streams", "--heartbeat", "--max-connections"}),
                    with(provider_flag_options(), {"--help", "--json"})});
  tables.push_back({"embed", {"--model-dir"}, {"--json", "--help"}});
  tables.push_back({"export", {"--out", "--proxy-url", "--web"}, {"--help", "--json"}});
  tables.push_back({"completion", {}, {"--help", "--json"}});
  return tables;
}

constexpr std::array<std::string_view, 3> layouts{"flat", "partitioned", "auto"};
constexpr std::array<std::string_view, 2> quantizations{"int8", "f32"};
constexpr std::array<std::string_view, 3> modes{"hybrid", "vector", "keyword"};
constexpr std::array<std::string_view, 2> providers{"gemini", "local"};
constexpr std::array<std::string_view, 2> chunk_boundaries{"sentences", "words"};
constexpr std::array<std::string_view, 3> ocr_choices{"auto", "on", "off"};  // and --transcribe's

}  // namespace

const std::vector<command_option_table>& command_option_tables() {
  static const std::vector<command_option_table> tables = make_tables();
  return tables;
}

const command_option_table& command_options(std::string_view command) {
  for (const command_option_table& table : command_option_tables()) {
    if (table.command == command) return table;
  }
  return command_option_tables().front();  // unreachable for the commands main knows
}

std::span<const std::string_view> option_choices(std::string_view option) {
  if (option == "--layout") return layouts;
  if (option == "--quant") return quantizations;
  if (option == "--mode") return modes;
  if (option == "--provider") return providers;
  if (option == "--chunk-at") return chunk_boundaries;
  if (option == "--ocr" || option == "--transcribe") return ocr_choices;
  return {};
}

bool option_takes_path(std::string_view option) {
  constexpr std::array<std::string_view, 10> path_options{"--out", "--site", "--captions", "--image", "--audio", "--web",
                                                          "--model-dir", "--cache-dir", "--api-key-file", "--ca-file"};
  for (const std::string_view path_option : path_options) {
    if (option == path_option) return true;
  }
  return false;
}

}  // namespace mosaic::server
