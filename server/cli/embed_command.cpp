// mosaic embed "text": the local model's embedding of one text, for scripts and for checking that the
// browser module embeds a query identically to the native side.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/command_options.hpp"
#include "cli/command_failure.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "embed/local_model_loader.hpp"
#include "embed/unicode_normalization.hpp"

namespace mosaic::server {

int run_embed_command(std::span<const std::string_view> arguments) {
  parsed_options options(arguments, command_options("embed").valued, command_options("embed").flags);
  if (options.has("--help")) {
    std::puts("usage: mosaic embed \"text\" [--model-dir DIR] [--json]\n"
              "  Prints the local model's 512-dimensional unit vector for the text (one number per line,\n"
              "  or one JSON object with --json: model, dimensions, token_count, truncated, vector).");
    return 0;
  }
  if (options.error() || options.positional().size() != 1) {
    return report_failure("embed", usage_error_code, options.error() ? options.error()->c_str() : "give exactly one text", 2);
  }
  auto model = load_local_model(options.value("--model-dir").value_or(default_model_directory().string()));
  if (!model) {
    return report_failure("embed", model.failure(), 1);
  }
  auto normalized = normalize_nfkc(options.positional()[0]);
  if (!normalized) {
    return report_failure("embed", normalized.failure(), 1);
  }
  auto embedding = model->embed(normalized.value());
  if (!embedding) {
    return report_failure("embed", embedding.failure(), 1);
  }
  if (options.has("--json")) {
    const nlohmann::json output{{"model", model::use_lite_model_id},
                                {"dimensions", embedding->vector.size()},
                                {"token_count", embedding->token_count},
                                {"truncated", embedding->truncated},
                                {"vector", embedding->vector}};
    std::printf("%s\n", output.dump().c_str());
  } else {
    for (float value : embedding->vector) std::printf("%.9g\n", static_cast<double>(value));
  }
  return 0;
}

}  // namespace mosaic::server
