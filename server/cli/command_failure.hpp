#pragma once
// How every mosaic command reports a failure, so scripts get one shape whatever went wrong: a line
// "mosaic COMMAND: MESSAGE" on stderr (with the command's usage after a usage error), or, when the
// command line has --json, one JSON object on stdout:
//   {"error": {"code": "usage" | an error_code_name ("io_error", "invalid_manifest", ...), "message": "..."}}
// The exit code is the same either way: 2 bad usage, 1 failure while working.
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mosaic::server {

// The code of a usage error (a bad option or argument) in the JSON shape.
inline constexpr std::string_view usage_error_code = "usage";

// Set once by main, from the whole command line, before a command runs.
void report_failures_as_json(bool enabled) noexcept;
[[nodiscard]] bool failures_reported_as_json() noexcept;

// Prints the failure and returns `exit_code`, so a command can `return report_failure(...)`.
int report_failure(std::string_view command, std::string_view code, std::string_view message, int exit_code);
int report_failure(std::string_view command, const error& failure, int exit_code);
// A usage error: exit code 2, the usage text after the message (text mode only).
int report_usage_failure(std::string_view command, std::string_view message, std::string_view usage);

}  // namespace mosaic::server
