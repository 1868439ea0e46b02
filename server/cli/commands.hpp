#pragma once
// The mosaic command-line tool's subcommands. Each takes its arguments (after the subcommand name)
// and returns the process exit code: 0 success, 1 failure while working, 2 bad usage.
#include <span>
#include <string_view>

namespace mosaic::server {

int run_classify_command(std::span<const std::string_view> arguments);
int run_completion_command(std::span<const std::string_view> arguments);
int run_embed_command(std::span<const std::string_view> arguments);
int run_export_command(std::span<const std::string_view> arguments);
int run_index_command(std::span<const std::string_view> arguments);
int run_query_command(std::span<const std::string_view> arguments);
int run_serve_command(std::span<const std::string_view> arguments);
int run_version_command(std::span<const std::string_view> arguments);

}  // namespace mosaic::server
