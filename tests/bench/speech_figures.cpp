// The figures behind --transcribe and the README's word error rates (server/extract/): for each sound
// or video file given, one JSON line with the words PocketSphinx heard (time, posterior), what
// --transcribe auto keeps, and the decoding and recognition times. tests/bench/speech_benchmark.mjs
// runs it over FSDD's digits and espeak-ng's sentences and scores the words:
//   build/bin/mosaic_speech_figures FILE...
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

#include <nlohmann/json.hpp>

#include "extract/audio_decoder.hpp"
#include "extract/speech_transcriber.hpp"
#include "extract/transcript_decision.hpp"

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const auto loading = std::chrono::steady_clock::now();
  auto transcriber = mosaic::extract::speech_transcriber::create();
  if (!transcriber) {
    std::fprintf(stderr, "%s\n", transcriber.failure().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "model loaded in %.2f s\n", seconds_since(loading));
  for (int position = 1; position < argc; ++position) {
    std::ifstream file(argv[position], std::ios::binary);
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    const auto start = std::chrono::steady_clock::now();
    auto sound = mosaic::extract::decode_audio(bytes);
    const double decoding_seconds = seconds_since(start);
    if (!sound) {
      std::printf("%s\n", nlohmann::json{{"file", argv[position]}, {"error", sound.failure().message}}.dump().c_str());
      continue;
    }
    const auto listening = std::chrono::steady_clock::now();
    auto words = transcriber.value()->transcribe(sound->samples);
    const double recognition_seconds = seconds_since(listening);
    if (!words) {
      std::printf("%s\n", nlohmann::json{{"file", argv[position]}, {"error", words.failure().message}}.dump().c_str());
      continue;
    }
    nlohmann::json heard = nlohmann::json::array();
    std::string all;
    for (const auto& word : words.value()) {
      heard.push_back({{"word", word.text}, {"start_ms", word.start_milliseconds}, {"end_ms", word.end_milliseconds},
                       {"confidence", word.confidence}});
      all += (all.empty() ? "" : " ") + word.text;
    }
    const auto automatic = mosaic::extract::judge_spoken_words(words.value(), mosaic::extract::transcribe_mode::automatic);
    std::printf("%s\n", nlohmann::json{{"file", argv[position]},
                                       {"audio_seconds", static_cast<double>(sound->duration_milliseconds()) / 1000.0},
                                       {"decoding_seconds", decoding_seconds},
                                       {"recognition_seconds", recognition_seconds},
                                       {"heard", all},
                                       {"words", heard},
                                       {"mean_confidence", automatic.mean_confidence},
                                       {"auto_kept", automatic.text}}
                            .dump()
                            .c_str());
  }
  return 0;
}
