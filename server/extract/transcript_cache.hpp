#pragma once
// Transcripts kept on disk so a re-run of the indexer never transcribes the same sound twice
// (extract/extraction_cache.hpp: one JSON file per recording, keyed by its bytes and the recognizer's
// name). What is kept is every word heard with its time and posterior, before --transcribe's cuts, so
// changing the cuts needs no new run.
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "extract/extraction_cache.hpp"
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

  [[nodiscard]] const std::filesystem::path& folder() const { return files_.folder(); }

  // Changes whenever the recognizer's model, its settings or the decoder's output would.
  static constexpr const char* default_recognizer_name = "pocketsphinx-5prealpha/en-us/16k-mono/utterance-20s/v1";

 private:
  extraction_cache files_;
};

}  // namespace mosaic::extract
