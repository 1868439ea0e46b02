// mosaic serve: the HTTP server (proxy for query embeddings, the index, the web app).
#include <cstdio>
#include <thread>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "embed/local_model_loader.hpp"
#include "http/http_server.hpp"

namespace mosaic::server {
namespace {

constexpr const char* serve_usage = R"(usage: mosaic serve [--site DIR] [--port 8080] [options]
  Serves the web app at /, the index site at /index/ and the API under /api/ (embed, search, health).
  Without --site it is a pure embedding proxy for sites hosted elsewhere.
options:
  --site DIR          the index site to serve (written by mosaic index)
  --web DIR           the web app folder (default: none yet)
  --port N            0 picks a free port; default 8080
  --address IP        default 127.0.0.1
  --provider local    the embedding provider (only the local model is available so far)
  --model-dir DIR     where the local model's files are
  --threads N         default: the number of cores
  --read-timeout S    seconds a client may take to send a request or read an answer, default 30
)";

}  // namespace

int run_serve_command(std::span<const std::string_view> arguments) {
  parsed_options options(arguments,
                         {"--site", "--web", "--port", "--address", "--provider", "--model-dir", "--threads", "--read-timeout"},
                         {"--help"});
  if (options.has("--help")) {
    std::fputs(serve_usage, stdout);
    return 0;
  }
  const auto port = options.number("--port", 8080, 0, 65535);
  const auto threads = options.number("--threads", std::max(1u, std::thread::hardware_concurrency()), 1, 256);
  const auto read_timeout = options.number("--read-timeout", 30, 1, 3600);
  const std::string provider = options.value("--provider").value_or("local");
  if (options.error() || !options.positional().empty() || provider != "local") {
    std::fprintf(stderr, "mosaic serve: %s\n\n%s",
                 options.error() ? options.error()->c_str()
                 : provider != "local" ? ("--provider " + provider + " is not available yet (only local)").c_str()
                                       : "unexpected argument",
                 serve_usage);
    return 2;
  }
  auto model = load_local_model(options.value("--model-dir").value_or(default_model_directory().string()));
  if (!model) {
    std::fprintf(stderr, "mosaic serve: %s\n", model.failure().message.c_str());
    return 1;
  }
  // The first log line says which provider answers embedding calls, with its model id.
  std::printf("mosaic serve: provider local, model %s\n", std::string(model::use_lite_model_id).c_str());
  server_context context;
  context.local_model = &model.value();
  if (auto site = options.value("--site")) {
    auto loaded = load_site(*site);
    if (!loaded) {
      std::fprintf(stderr, "mosaic serve: cannot load the index in %s: %s\n", site->c_str(), loaded.failure().message.c_str());
      return 1;
    }
    if (loaded->manifest.model_id != model::use_lite_model_id) {
      std::fprintf(stderr, "mosaic serve: the index in %s needs model '%s', but the provider embeds with '%s'\n",
                   site->c_str(), loaded->manifest.model_id.c_str(), std::string(model::use_lite_model_id).c_str());
      return 1;
    }
    context.site_directory = *site;
    context.site = std::make_shared<const loaded_site>(std::move(loaded).value());
  }
  if (auto web = options.value("--web")) context.web_directory = *web;
  server_options server;
  server.address = options.value("--address").value_or("127.0.0.1");
  server.port = static_cast<std::uint16_t>(*port);
  server.threads = static_cast<unsigned>(*threads);
  server.read_timeout_seconds = static_cast<unsigned>(*read_timeout);
  std::fflush(stdout);
  return run_http_server(context, server, [&](std::uint16_t bound) {
    std::printf("listening on http://%s:%u/\n", server.address.c_str(), static_cast<unsigned>(bound));
    std::fflush(stdout);
  });
}

}  // namespace mosaic::server
