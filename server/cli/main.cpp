// mosaic: the command-line entry point. Subcommands live in their own files (commands.hpp).
#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "cli/command_failure.hpp"
#include "cli/commands.hpp"

namespace {

constexpr const char* usage = R"(mosaic — search a folder of text, images, audio and video by meaning

usage:
  mosaic index FOLDER --out SITE [options]   embed a folder into an index site (shards + manifest.json)
  mosaic query SITE "text" [options]         search an index site from the command line
                                             (--image FILE, --audio FILE: by a picture or a recording)
  mosaic classify SITE "text" [options]      the label a query's nearest labelled items vote for, or unknown
                                             (--image FILE: by a picture)
  mosaic serve [--site SITE] [--port 8080]   serve the index, the embedding API and the web app
  mosaic embed "text" [--json]               print the local model's embedding of a text
  mosaic export SITE --out DIR               the web app and the index as a folder for any static host
  mosaic --help | --version [--json]          the program's and the file formats' versions
  mosaic completion bash                     a bash completion script (source it, or install it
                                             as /etc/bash_completion.d/mosaic)

Run `mosaic COMMAND --help` for a command's options. The local model (--provider local, the default)
needs its weights: scripts/install-model.sh installs them (make test and make demo do it for you).
)";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> arguments(argv + 1, argv + argc);
  if (arguments.empty() || arguments[0] == "--help" || arguments[0] == "-h" || arguments[0] == "help") {
    std::fputs(usage, arguments.empty() ? stderr : stdout);
    return arguments.empty() ? 2 : 0;
  }
  // --json anywhere: failures, too, are reported as JSON (cli/command_failure.hpp).
  mosaic::server::report_failures_as_json(std::find(arguments.begin(), arguments.end(), "--json") != arguments.end());
  const std::string_view command = arguments[0];
  const std::span<const std::string_view> rest(arguments.data() + 1, arguments.size() - 1);
  if (command == "--version") return mosaic::server::run_version_command(rest);
  if (command == "index") return mosaic::server::run_index_command(rest);
  if (command == "query") return mosaic::server::run_query_command(rest);
  if (command == "classify") return mosaic::server::run_classify_command(rest);
  if (command == "embed") return mosaic::server::run_embed_command(rest);
  if (command == "serve") return mosaic::server::run_serve_command(rest);
  if (command == "export") return mosaic::server::run_export_command(rest);
  if (command == "completion") return mosaic::server::run_completion_command(rest);
  if (mosaic::server::failures_reported_as_json()) {
    return mosaic::server::report_failure("", mosaic::server::usage_error_code, "unknown command '" + std::string(command) + "'", 2);
  }
  std::fprintf(stderr, "mosaic: unknown command '%.*s'\n\n%s", static_cast<int>(command.size()), command.data(), usage);
  return 2;
}
