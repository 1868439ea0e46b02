// mosaic export SITE --out DIR: a folder any static file host can serve (the web app, the wasm
// modules, the local model's files when the index needs them, the index and config.json).
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <system_error>

#include "cli/command_options.hpp"
#include "cli/command_failure.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "model/use_lite_model.hpp"
#include "site/site_reader.hpp"

#ifndef MOSAIC_DEFAULT_WEB_DIR
#define MOSAIC_DEFAULT_WEB_DIR ""
#endif

namespace mosaic::server {
namespace {

namespace fs = std::filesystem;

constexpr const char* export_usage = R"(usage: mosaic export SITE --out DIR [--proxy-url URL] [--web APP]
  Writes DIR for any static file host (python3 -m http.server, GitHub Pages, a CDN): the web app and
  its wasm modules from APP, the index from SITE (only the files its manifest names, under index/), the
  local model's files under model/ when the index was built with it (text queries are then embedded
  in the browser, no server needed), and config.json.
options:
  --out DIR          the folder to write; it must not exist yet, or be empty
  --proxy-url URL    where `mosaic serve` answers POST /api/embed, for an index built with a Gemini
                     model (its text and image queries are embedded there; the API key stays there)
  --web APP          the assembled web app (build-wasm/site-app); default: the one beside this
                     checkout's native build
  --json             print a machine-readable report (folder, index files, generation, model)
)";

// Copies one file, making its folder; false (with `why`) on failure.
bool copy_one(const fs::path& from, const fs::path& to, std::string& why) {
  std::error_code error;
  fs::create_directories(to.parent_path(), error);
  if (!error) fs::copy_file(from, to, fs::copy_options::overwrite_existing, error);
  if (error) why = "cannot copy " + from.string() + " to " + to.string() + ": " + error.message();
  return !error;
}

// Copies the app folder, leaving out model/ when the index does not need the local model (28 MB).
bool copy_app(const fs::path& app, const fs::path& out, bool with_model, std::string& why) {
  std::error_code error;
  for (fs::recursive_directory_iterator entry(app, error), end; !error && entry != end; entry.increment(error)) {
    const fs::path relative = entry->path().lexically_relative(app);
    if (!with_model && *relative.begin() == "model") {
      if (entry->is_directory()) entry.disable_recursion_pending();
      continue;
    }
    // The build's own bookkeeping and the index the app may have beside it are not the app.
    if (relative == ".assembled" || *relative.begin() == "index" || relative == "config.json") {
      if (entry->is_directory()) entry.disable_recursion_pending();
      continue;
    }
    if (entry->is_regular_file() && !copy_one(entry->path(), out / relative, why)) return false;
  }
  if (error) why = "cannot read " + app.string() + ": " + error.message();
  return !error;
}

bool write_text(const fs::path& path, const std::string& text, std::string& why) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) why = "cannot write " + path.string();
  return static_cast<bool>(file);
}

}  // namespace

int run_export_command(std::span<const std::string_view> arguments) {
  parsed_options options(arguments, command_options("export").valued, command_options("export").flags);
  if (options.has("--help")) {
    std::printf("%s", export_usage);
    return 0;
  }
  std::string usage_error;
  if (options.error()) usage_error = *options.error();
  else if (options.positional().size() != 1) usage_error = "give exactly one SITE folder";
  else if (!options.value("--out")) usage_error = "--out DIR is required";
  const std::string web = options.value("--web").value_or(MOSAIC_DEFAULT_WEB_DIR);
  if (usage_error.empty() && web.empty()) usage_error = "--web APP is required (the assembled web app, build-wasm/site-app)";
  if (!usage_error.empty()) {
    return report_usage_failure("export", usage_error, export_usage);
  }
  const fs::path site = options.positional().front();
  const fs::path out = *options.value("--out");
  const fs::path app = web;
  if (!fs::is_regular_file(app / "index.html") || !fs::is_regular_file(app / "mosaic.mjs")) {
    return report_failure("export", error_code_name(error_code::io_error), app.string() +
                          " is not an assembled web app (no index.html and mosaic.mjs); build the wasm tree "
                          "(make wasm) or pass --web build-wasm/site-app", 1);
  }
  // Everything the export names is checked first, as a browser would: a broken index is not shipped.
  auto loaded = load_site(site);
  if (!loaded) {
    return report_failure("export", error_code_name(loaded.failure().code),
                          "cannot load the index in " + site.string() + ": " + loaded.failure().message, 1);
  }
  std::error_code error;
  if (fs::exists(out, error) && !fs::is_empty(out, error)) {
    return report_failure("export", error_code_name(error_code::invalid_argument), out.string() + " exists and is not empty; give a new folder", 1);
  }
  const bool local_model = loaded->manifest().model_id == model::use_lite_model_id;
  if (local_model && !fs::is_regular_file(app / "model" / "model.json")) {
    return report_failure("export", error_code_name(error_code::model_not_installed), "the index needs the local model, but " + app.string() +
                          " has no model/model.json (run scripts/install-model.sh, then rebuild the wasm tree)", 1);
  }
  std::string why;
  bool copied = copy_app(app, out, local_model, why);
  // The index: manifest.json and the files it names (shards, or the centroid table and partitions; item
  // metadata, keyword files, thumbnails, media), nothing of earlier generations.
  std::set<std::string> index_files{"manifest.json"};
  for (const auto& shard : loaded->manifest().shards) {
    index_files.insert(shard.vectors.path);
    index_files.insert(shard.metadata.path);
  }
  if (loaded->manifest().centroids) index_files.insert(loaded->manifest().centroids->path);
  for (const auto& partition : loaded->manifest().partitions) {
    index_files.insert(partition.vectors.path);
    index_files.insert(partition.metadata.path);
  }
  if (const search::loaded_keywords* keywords = loaded->index.keywords()) {
    index_files.insert(loaded->manifest().keywords->path);
    for (std::size_t file = 0; file < keywords->directory().term_files.size(); ++file) {
      index_files.insert(keywords->term_file_entry(file)->path);
    }
  }
  for (const search::shard_handle shard : loaded->shards) {
    for (const auto& item : *loaded->index.items(shard)) {
      if (!item.thumbnail.empty()) index_files.insert(item.thumbnail);
      if (!item.media.empty()) index_files.insert(item.media);
    }
  }
  for (auto file = index_files.begin(); copied && file != index_files.end(); ++file) {
    copied = copy_one(site / *file, out / "index" / *file, why);
  }
  nlohmann::json config{{"indexUrl", "index/"}};
  if (local_model) config["modelBaseUrl"] = "model/";
  if (auto proxy = options.value("--proxy-url")) config["proxyUrl"] = *proxy;
  if (copied) copied = write_text(out / "config.json", config.dump(2) + "\n", why);
  if (!copied) {
    return report_failure("export", error_code_name(error_code::io_error), why, 1);
  }
  const bool needs_proxy = !local_model && !options.value("--proxy-url");
  if (options.has("--json")) {
    const nlohmann::json report{{"out", out.string()},
                                {"index_files", index_files.size()},
                                {"generation", loaded->manifest().generation},
                                {"model", loaded->manifest().model_id},
                                {"model_in_browser", local_model},
                                {"proxy_url", options.value("--proxy-url") ? nlohmann::json(*options.value("--proxy-url")) : nlohmann::json()},
                                {"needs_proxy", needs_proxy}};
    std::printf("%s\n", report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  std::printf("mosaic export: wrote %s (%zu index files, model %s%s)\n", out.string().c_str(), index_files.size(),
              loaded->manifest().model_id.c_str(), local_model ? ", embedded in the browser" : "");
  if (needs_proxy) {
    std::printf("mosaic export: note: queries of this index are embedded by a proxy; without --proxy-url the page "
                "asks its own origin for /api/embed, which a plain static host does not have\n");
  }
  return 0;
}

}  // namespace mosaic::server
