// mosaic --version [--json]: the program's version (the CMake project's, compiled in as
// MOSAIC_VERSION) and the version of every file format it writes and reads, taken from the constants
// the codecs in shared/ check, so a site and a program can be matched without opening either.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/command_failure.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "index/item_metadata.hpp"
#include "index/manifest.hpp"
#include "index/shard_header.hpp"
#include "keywords/keyword_file_headers.hpp"
#include "partition/partition_header.hpp"

namespace mosaic::server {

int run_version_command(std::span<const std::string_view> arguments) {
  parsed_options options(arguments, {}, {"--json"});
  if (options.error() || !options.positional().empty()) {
    return report_usage_failure("--version", options.error().value_or("--version takes no arguments"),
                                "usage: mosaic --version [--json]\n");
  }
  const nlohmann::json formats{{"manifest", index::manifest_format_version},
                               {"shard", index::shard_format_version},
                               {"partition", partition::partition_format_version},
                               {"keywords", keywords::keyword_format_version},
                               {"item_metadata", index::item_metadata_format_version}};
  if (options.has("--json")) {
    const nlohmann::json report{{"program", "mosaic"}, {"version", MOSAIC_VERSION}, {"formats", formats}};
    std::printf("%s\n", report.dump(2).c_str());
    return 0;
  }
  std::printf("mosaic %s\n", MOSAIC_VERSION);
  std::printf("formats: site manifest %u, shard %u, partition %u, keyword index %u, item metadata %u\n",
              index::manifest_format_version, static_cast<unsigned>(index::shard_format_version),
              static_cast<unsigned>(partition::partition_format_version),
              static_cast<unsigned>(keywords::keyword_format_version), index::item_metadata_format_version);
  return 0;
}

}  // namespace mosaic::server
