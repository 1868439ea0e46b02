#pragma once
// The words PocketSphinx (libpocketsphinx, US English model from pocketsphinx-en-us) hears in 16 kHz
// mono sound (extract/audio_decoder.hpp makes it), each with where it starts and ends and how sure
// the recognizer is. What to keep is decided elsewhere (extract/transcript_decision.hpp): this only
// listens. A transcriber loads its model once (about 0.3 s) and is reused for every recording; it is
// not thread-safe, so each thread that transcribes owns one.
//
// Long recordings are decoded as utterances of at most `max_utterance_seconds`, cut at the quietest
// 100 ms of their last part: PocketSphinx's search is meant for sentences, and one hour-long
// utterance would hold its whole lattice in memory. Silence is not removed (-remove_silence no), so
// a word's frame numbers are its time (100 frames a second) from the utterance's start. An utterance
// quieter than -60 dBFS (RMS) is not decoded: in near silence PocketSphinx hears words in the noise.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace mosaic::extract {

struct spoken_word {
  std::string text;                     // lower-case, as the dictionary spells it ("don't")
  std::uint32_t start_milliseconds = 0; // from the start of the recording
  std::uint32_t end_milliseconds = 0;
  float confidence = 0;                 // the word's posterior probability in the lattice, 0..1
};

struct speech_transcriber_settings {
  std::filesystem::path model_folder = "/usr/share/pocketsphinx/model/en-us";  // Debian's pocketsphinx-en-us
  std::uint32_t max_utterance_seconds = 20;
};

class speech_transcriber {
 public:
  // Errors: model_not_installed (the model folder lacks its files: the message names the Debian package),
  // invalid_model (PocketSphinx refused the files).
  static result<std::unique_ptr<speech_transcriber>> create(const speech_transcriber_settings& settings = {});
  ~speech_transcriber();
  speech_transcriber(const speech_transcriber&) = delete;
  speech_transcriber& operator=(const speech_transcriber&) = delete;

  // Takes 16 kHz mono samples. Words come in time order; silences, breaths and noises are not words.
  // Errors: invalid_media (PocketSphinx refused the sound). `heard`, when given, is told before every
  // utterance and at the end how far into the recording the transcriber is, in milliseconds (a progress line).
  result<std::vector<spoken_word>> transcribe(std::span<const std::int16_t> samples,
                                              const std::function<void(std::uint64_t milliseconds)>& heard = {});

  static constexpr std::uint32_t sample_rate = 16000;

 private:
  struct engine;
  explicit speech_transcriber(std::unique_ptr<engine> loaded, std::uint32_t max_utterance_seconds);
  std::unique_ptr<engine> engine_;
  std::uint32_t max_utterance_seconds_;
};

// Where the recording is cut into utterances (sample offsets, ascending, ending with samples.size()):
// every piece is at most `max_seconds` long and, past its first half, ends at the quietest 100 ms.
// Exposed for tests.
std::vector<std::size_t> utterance_boundaries(std::span<const std::int16_t> samples, std::uint32_t sample_rate,
                                              std::uint32_t max_seconds);

}  // namespace mosaic::extract
