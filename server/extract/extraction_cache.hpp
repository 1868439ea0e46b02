#pragma once
// What an extractor found in a file, kept on disk so a re-run of the indexer never runs the slow
// extractor (OCR, speech recognition) on the same bytes twice: one small JSON file per file read,
// <folder>/<key>.json, the key the SHA-256 of the file's bytes and of the extractor's name (another
// model, version or setting is another name, so another key). Each file is
// {"format": ..., "version": ..., "recognizer": <extractor name>, "words": [...]}: what the words are is
// the caller's (extract/transcript_cache.hpp, extract/image_text_cache.hpp).
//
// The cache is an optimisation: a file that cannot be written is not an error, and a file that does
// not parse (cut short, edited, another format or extractor) is a miss and is rewritten. Files are
// written to a temporary name and renamed, so a reader never sees half of one, and two writers (the
// indexer's preparation workers, two indexers) never interleave in one file.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace mosaic::extract {

class extraction_cache {
 public:
  // An empty folder: no cache (find always misses, store does nothing). `format` names the kind of
  // words kept ("mosaic-transcript"); `extractor` the model and settings that found them.
  extraction_cache(std::filesystem::path folder, std::string format, int version, std::string extractor);

  [[nodiscard]] std::string key(std::span<const std::uint8_t> file_bytes) const;
  // The "words" array of the file kept under `key`, when there is one of this format, version and
  // extractor, of at most 64 MB.
  [[nodiscard]] std::optional<nlohmann::json> find_words(const std::string& key) const;
  // False when it could not be written (the next run extracts again).
  bool store_words(const std::string& key, nlohmann::json words) const;

  [[nodiscard]] const std::filesystem::path& folder() const { return folder_; }

 private:
  std::filesystem::path folder_;
  std::string format_;
  int version_;
  std::string extractor_;
};

}  // namespace mosaic::extract
