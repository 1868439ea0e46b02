#include "cli/command_failure.hpp"

#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace mosaic::server {
namespace {

std::atomic<bool> json_failures{false};

}  // namespace

void report_failures_as_json(bool enabled) noexcept { json_failures = enabled; }

bool failures_reported_as_json() noexcept { return json_failures; }

int report_failure(std::string_view command, std::string_view code, std::string_view message, int exit_code) {
  if (json_failures) {
    const nlohmann::json failure{{"error", {{"code", code}, {"message", message}}}};
    std::printf("%s\n", failure.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    std::fflush(stdout);
  } else {
    std::fprintf(stderr, "mosaic %.*s: %.*s\n", static_cast<int>(command.size()), command.data(),
                 static_cast<int>(message.size()), message.data());
  }
  return exit_code;
}

int report_failure(std::string_view command, const error& failure, int exit_code) {
  return report_failure(command, error_code_name(failure.code), failure.message, exit_code);
}

int report_usage_failure(std::string_view command, std::string_view message, std::string_view usage) {
  report_failure(command, usage_error_code, message, 2);
  if (!json_failures) std::fprintf(stderr, "\n%.*s", static_cast<int>(usage.size()), usage.data());
  return 2;
}

}  // namespace mosaic::server
