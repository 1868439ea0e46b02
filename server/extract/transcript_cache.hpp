#pragma once
// Transcripts kept on disk so a re-run of the indexer never transcribes the same sound twice: one
// small JSON file per recording, <folder>/<key>.json, the key the SHA-256 of the file's bytes and of
// the recognizer's name (another model or setting is another key). What is kept is every word heard
// with its time and posterior, before --transcribe's cuts, so changing the cuts needs no new run.
//
// The cache is an optimisation: a file that cannot be written is not an error, and a file that does
// not parse (cut short, edited, another format) is a miss and is rewritten. Files are written to a
// temporary name and renamed, so a reader never sees half of one.
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "extract/speech_transcriber.hpp"

namespace mosaic::extract {

class transcript_cache {
 public:
  // An empty folder: no cache (find always misses, store does nothing).
  explicit transcript_cache(std::filesystem::path folder, std::string recognizer_name = default_recognizer_name);

  [[nodiscard]] std::string key(std::span<const std::uint8_t> file_bytes) const;
  [[nodiscard]] std::optional<std::vector<spoken_word>> find(const std::string& key) const;
  // False when it could not be written (the next run transcribes again).
  bool store(const std::string& key, const std::vector<spoken_word>& words) const;

  [[nodiscard]] const std::filesystem::path& folder() const { return folder_; }

  // Changes whenever the recognizer's model, its settings or the decoder's output would.
  static constexpr const char* default_recognizer_name = "pocketsphinx-5prealpha/en-us/16k-mono/utterance-20s/v1";

 private:
  std::filesystem::path folder_;
  std::string recognizer_name_;
};

}  // namespace mosaic::extract
