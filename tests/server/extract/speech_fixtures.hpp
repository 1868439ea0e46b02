#pragma once
// Recordings made in the test by Debian's espeak-ng, sox and ffmpeg (scripts/install-dependencies.sh),
// in a scratch folder of their own: never downloaded.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace mosaic::test_support {

inline std::filesystem::path speech_scratch_folder() {
  static const std::filesystem::path folder = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "mosaic-speech-XXXXXX").string();
    const char* made = ::mkdtemp(pattern.data());
    return std::filesystem::path(made == nullptr ? "/tmp" : made);
  }();
  return folder;
}

// Runs a shell command line made of fixed words and scratch paths; true when it succeeded.
inline bool run_command(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()) == 0; }

inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// `sentence` spoken by espeak-ng (voice en-us+f2, 160 words a minute), as a 22.05 kHz mono WAV.
inline std::filesystem::path spoken_wav(const std::string& name, const std::string& sentence) {
  const std::filesystem::path file = speech_scratch_folder() / (name + ".wav");
  if (!std::filesystem::exists(file)) run_command("espeak-ng -v en-us+f2 -s 160 -w '" + file.string() + "' '" + sentence + "'");
  return file;
}

}  // namespace mosaic::test_support
