// mosaic_gemini_double: the Gemini embedding API test double (see embedding_api.hpp for the routes,
// double_embedder.hpp for how vectors are made, command_line.cpp for the flags). Tests start it with
// --port 0 and read the port from the one line it prints on stdout.
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "command_line.hpp"
#include "double_embedder.hpp"
#include "double_server.hpp"
#include "embed/local_model_loader.hpp"
#include "embedding_api.hpp"

int main(int argument_count, char** argument_values) {
  using namespace mosaic::gemini_double;
  const std::vector<std::string> arguments(argument_values + 1, argument_values + argument_count);
  auto options = parse_command_line(arguments);
  if (!options) {
    std::cerr << "mosaic_gemini_double: " << options.failure().message << "\n";
    return 2;
  }
  if (options->show_help) {
    std::cout << usage_text;
    return 0;
  }

  std::optional<mosaic::model::use_lite_model> text_model;
  if (!options->hash_text) {
    const auto directory = options->model_directory.value_or(mosaic::server::default_model_directory());
    auto loaded = mosaic::server::load_local_model(directory);
    if (!loaded) {
      std::cerr << "mosaic_gemini_double: " << loaded.failure().message << " (or run with --hash-text)\n";
      return 1;
    }
    if (loaded->dimensions() != double_embedder::base_dimensions) {
      std::cerr << "mosaic_gemini_double: the local model has " << loaded->dimensions() << " dimensions, expected "
                << double_embedder::base_dimensions << "\n";
      return 1;
    }
    text_model = std::move(*loaded);
  }

  const double_embedder embedder(std::move(text_model));
  embedding_api api(embedder, options->api, options->faults);
  const auto served = run_double_server(options->server, api, [&options](std::uint16_t port) {
    // The one line tests wait for: flushed now, because stdout is a pipe.
    std::cout << "listening on " << options->server.address << ":" << port << std::endl;
  });
  if (!served) {
    std::cerr << "mosaic_gemini_double: " << served.failure().message << "\n";
    return 1;
  }
  return 0;
}
