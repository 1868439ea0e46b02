#pragma once
// The double's flags (see usage_text) turned into settings. `--flag value` and `--flag=value` both work.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "double_server.hpp"
#include "embedding_api.hpp"
#include "fault_injection.hpp"

namespace mosaic::gemini_double {

struct double_options {
  server_settings server;
  api_settings api;
  fault_settings faults;
  std::optional<std::filesystem::path> model_directory;  // unset: mosaic::server::default_model_directory()
  bool hash_text = false;                                // embed text by hash, without the model
  bool show_help = false;
};

result<double_options> parse_command_line(const std::vector<std::string>& arguments);

extern const char* const usage_text;

}  // namespace mosaic::gemini_double
