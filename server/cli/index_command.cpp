// mosaic index FOLDER --out SITE: walks a folder, embeds what the provider can embed, writes the site.
// This first version indexes text files with the local model; images, audio, video and PDFs are
// reported as skipped with that reason (the Gemini provider and media preparation come with the
// indexer issue). Every skipped file is reported with its reason, never dropped silently.
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/text_chunks.hpp"
#include "embed/local_model_loader.hpp"
#include "embed/unicode_normalization.hpp"
#include "hash/sha256.hpp"
#include "site/site_reader.hpp"
#include "site/site_writer.hpp"
#include "vector/normalize.hpp"

namespace mosaic::server {
namespace {

namespace fs = std::filesystem;

constexpr const char* index_usage = R"(usage: mosaic index FOLDER --out SITE [options]
  Embeds every text file under FOLDER (recursively) and writes an index site to SITE: content-addressed
  shards, item metadata and manifest.json (written last, so an interrupted run keeps the old index).
options:
  --out SITE          the site folder to write (created if missing)
  --provider local    the embedding provider; only the offline local model is available so far
  --model-dir DIR     where the local model's files are (default: the install-model.sh cache)
  --dims N            store the first N dimensions (Matryoshka truncation, renormalized), 1..512, default 512
  --quant int8|f32    vector storage: int8 with a per-vector scale (default, 4x smaller) or float32
  --shard-items N     items per shard, default 10000
  --chunk-words N     words per text chunk, default 80 (the local model reads 128 tokens)
  --json              print a machine-readable report (every skipped file with its reason)
)";

constexpr std::uintmax_t max_text_file_bytes = 16 * 1024 * 1024;

struct skipped_file {
  std::string path;
  std::string reason;
};

bool looks_binary(const std::vector<std::uint8_t>& bytes) {
  const std::size_t probe = std::min<std::size_t>(bytes.size(), 8192);
  for (std::size_t i = 0; i < probe; ++i) {
    if (bytes[i] == 0) return true;
  }
  return false;
}

std::uint64_t item_id_for(const std::string& relative_path, std::size_t offset) {
  const std::string key = relative_path + "#" + std::to_string(offset);
  const auto digest = hash::sha256({reinterpret_cast<const std::uint8_t*>(key.data()), key.size()});
  std::uint64_t id = 0;
  for (std::size_t i = 0; i < 8; ++i) id = id << 8 | digest[i];
  return id;
}

std::string mime_type_for(const fs::path& path) {
  const std::string extension = path.extension().string();
  if (extension == ".md" || extension == ".markdown") return "text/markdown";
  if (extension == ".json") return "application/json";
  if (extension == ".csv") return "text/csv";
  if (extension == ".html" || extension == ".htm") return "text/html";
  return "text/plain";
}

std::string snippet_of(std::string_view text) {
  constexpr std::size_t limit = 240;
  if (text.size() <= limit) return std::string(text);
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // not inside a UTF-8 sequence
  return std::string(text.substr(0, end)) + "…";
}

}  // namespace

int run_index_command(std::span<const std::string_view> arguments) {
  parsed_options options(arguments, {"--out", "--provider", "--model-dir", "--dims", "--quant", "--shard-items", "--chunk-words"},
                         {"--json", "--help"});
  if (options.has("--help")) {
    std::fputs(index_usage, stdout);
    return 0;
  }
  const auto dimensions = options.number("--dims", 512, 1, 512);
  const auto shard_items = options.number("--shard-items", 10000, 1, 1000000);
  const auto chunk_words = options.number("--chunk-words", 80, 1, 10000);
  const std::string provider = options.value("--provider").value_or("local");
  const std::string quantization_name = options.value("--quant").value_or("int8");
  std::string usage_error;
  if (options.error()) usage_error = *options.error();
  else if (options.positional().size() != 1) usage_error = "give exactly one FOLDER";
  else if (!options.value("--out")) usage_error = "--out SITE is required";
  else if (provider != "local") usage_error = "--provider " + provider + " is not available yet (only local)";
  else if (quantization_name != "int8" && quantization_name != "f32") usage_error = "--quant must be int8 or f32";
  if (!usage_error.empty()) {
    std::fprintf(stderr, "mosaic index: %s\n\n%s", usage_error.c_str(), index_usage);
    return 2;
  }
  const fs::path folder = options.positional()[0];
  const fs::path site = *options.value("--out");
  std::error_code failure;
  if (!fs::is_directory(folder, failure)) {
    std::fprintf(stderr, "mosaic index: %s is not a folder\n", folder.c_str());
    return 1;
  }

  auto model = load_local_model(options.value("--model-dir").value_or(default_model_directory().string()));
  if (!model) {
    std::fprintf(stderr, "mosaic index: %s\n", model.failure().message.c_str());
    return 1;
  }

  std::vector<indexed_item> items;
  std::vector<skipped_file> skipped;
  std::size_t files_indexed = 0, truncated_chunks = 0;
  const fs::path site_absolute = fs::weakly_canonical(site, failure);
  // Directory symlinks are not followed (no loops); unreadable folders are skipped, not fatal.
  fs::recursive_directory_iterator walker(folder, fs::directory_options::skip_permission_denied, failure);
  for (; !failure && walker != fs::recursive_directory_iterator(); walker.increment(failure)) {
    const fs::directory_entry& entry = *walker;
    const std::string relative = fs::relative(entry.path(), folder).generic_string();
    if (entry.is_directory()) {
      if (fs::weakly_canonical(entry.path(), failure) == site_absolute) walker.disable_recursion_pending();
      continue;
    }
    if (!entry.is_regular_file()) {
      skipped.push_back({relative, "not a regular file"});
      continue;
    }
    if (entry.file_size() > max_text_file_bytes) {
      skipped.push_back({relative, "larger than 16 MB"});
      continue;
    }
    auto bytes = read_whole_file(entry.path());
    if (!bytes) {
      skipped.push_back({relative, bytes.failure().message});
      continue;
    }
    if (looks_binary(bytes.value())) {
      skipped.push_back({relative, "not text: images, audio, video and PDFs are not indexed by this version yet"});
      continue;
    }
    const std::string_view raw(reinterpret_cast<const char*>(bytes->data()), bytes->size());
    auto normalized = normalize_nfkc(raw);
    if (!normalized) {
      skipped.push_back({relative, normalized.failure().message});
      continue;
    }
    const auto chunks = split_into_chunks(normalized.value(), *chunk_words);
    if (chunks.empty()) {
      skipped.push_back({relative, "no text (empty or whitespace only)"});
      continue;
    }
    const fs::path parent = fs::path(relative).parent_path();
    for (std::size_t part = 0; part < chunks.size(); ++part) {
      auto embedding = model->embed(chunks[part].text);
      if (!embedding) {
        skipped.push_back({relative, embedding.failure().message});
        continue;
      }
      if (embedding->truncated) ++truncated_chunks;
      auto stored = vector::truncate_and_normalize(embedding->vector, *dimensions);
      if (!stored) {
        skipped.push_back({relative, stored.failure().message});
        continue;
      }
      indexed_item item;
      item.metadata.id = item_id_for(relative, chunks[part].offset);
      item.metadata.title = entry.path().filename().string();
      if (chunks.size() > 1) item.metadata.title += " (part " + std::to_string(part + 1) + ")";
      item.metadata.source = relative;
      item.metadata.kind = index::modality::text;
      item.metadata.mime_type = mime_type_for(entry.path());
      item.metadata.label = parent.empty() ? std::string() : parent.filename().string();  // folder-per-label
      item.metadata.snippet = snippet_of(chunks[part].text);
      // Offsets are into the NFKC-normalized text, which equals the file for already-normalized text.
      item.metadata.source_offset = chunks[part].offset;
      item.vector = std::move(stored).value();
      items.push_back(std::move(item));
    }
    ++files_indexed;
  }
  if (failure) {
    std::fprintf(stderr, "mosaic index: cannot walk %s: %s\n", folder.c_str(), failure.message().c_str());
    return 1;
  }

  site_layout layout;
  layout.model_id = std::string(model::use_lite_model_id);
  layout.dimensions = static_cast<std::uint32_t>(*dimensions);
  layout.full_dimensions = static_cast<std::uint32_t>(model->dimensions());
  layout.vector_quantization = quantization_name == "f32" ? index::quantization::f32 : index::quantization::i8;
  layout.items_per_shard = *shard_items;
  auto manifest = write_site(site, layout, items);
  if (!manifest) {
    std::fprintf(stderr, "mosaic index: %s\n", manifest.failure().message.c_str());
    return 1;
  }
  if (options.has("--json")) {
    nlohmann::json report{{"site", site.string()},
                          {"generation", manifest->generation},
                          {"model", manifest->model_id},
                          {"files_indexed", files_indexed},
                          {"items", items.size()},
                          {"shards", manifest->shards.size()},
                          {"truncated_chunks", truncated_chunks},
                          {"skipped", nlohmann::json::array()}};
    for (const skipped_file& file : skipped) report["skipped"].push_back({{"path", file.path}, {"reason", file.reason}});
    std::printf("%s\n", report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("indexed %zu files as %zu items in %zu shards (generation %llu) into %s; skipped %zu files\n",
                files_indexed, items.size(), manifest->shards.size(),
                static_cast<unsigned long long>(manifest->generation), site.c_str(), skipped.size());
    for (const skipped_file& file : skipped) std::printf("  skipped %s: %s\n", file.path.c_str(), file.reason.c_str());
  }
  return 0;
}

}  // namespace mosaic::server
