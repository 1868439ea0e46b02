#pragma once
// Real videos made in the test by FFmpeg's command line from its lavfi sources (never downloaded):
// seconds of black (the fade a poster must not be), then testsrc2's moving colour pattern, H.264 with
// a key frame every 2 s, and a sine tone as AAC audio. tests/support/video_fixtures.mjs is the Node twin.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace mosaic::testing {

struct video_recipe {
  unsigned black_seconds = 2;
  unsigned picture_seconds = 28;  // testsrc2 after the black; 0: black only
  unsigned width = 320;
  unsigned height = 240;
  bool audio = true;
  bool video = true;              // false: the sine tone alone, in an MP4
  std::string extra_options;      // added before the output name ("-movflags +faststart")
};

// `black` seconds of black, then `picture` seconds of testsrc2 (designated initializers would leave
// fields out, which the warnings refuse).
inline video_recipe video_of(unsigned black, unsigned picture) {
  video_recipe recipe;
  recipe.black_seconds = black;
  recipe.picture_seconds = picture;
  return recipe;
}

inline std::vector<std::uint8_t> make_video(const video_recipe& recipe) {
  const std::filesystem::path folder =
      std::filesystem::temp_directory_path() / ("mosaic-video-fixture-" + std::to_string(::getpid()));
  std::filesystem::create_directories(folder);
  static unsigned counter = 0;
  const std::filesystem::path output = folder / ("video-" + std::to_string(++counter) + ".mp4");
  const unsigned seconds = recipe.black_seconds + recipe.picture_seconds;
  const std::string size = std::to_string(recipe.width) + "x" + std::to_string(recipe.height);
  std::string command = "ffmpeg -hide_banner -loglevel error -nostdin -y";
  std::string maps;
  if (recipe.video) {
    command += " -f lavfi -i color=c=black:s=" + size + ":r=24:d=" + std::to_string(recipe.black_seconds);
    if (recipe.picture_seconds > 0) {
      command += " -f lavfi -i testsrc2=s=" + size + ":r=24:d=" + std::to_string(recipe.picture_seconds);
    }
  }
  if (recipe.audio) command += " -f lavfi -i sine=frequency=440:sample_rate=44100:duration=" + std::to_string(seconds);
  if (recipe.video) {
    if (recipe.picture_seconds > 0) {
      command += " -filter_complex [0:v][1:v]concat=n=2:v=1:a=0[v] -map [v]";
    } else {
      command += " -map 0:v";
    }
    command += " -c:v libx264 -preset ultrafast -g 48 -keyint_min 48 -sc_threshold 0 -pix_fmt yuv420p";
  }
  if (recipe.audio) {
    const unsigned audio_input = recipe.video ? (recipe.picture_seconds > 0 ? 2 : 1) : 0;
    command += " -map " + std::to_string(audio_input) + ":a -c:a aac -b:a 64k";
  }
  command += " -fflags +bitexact " + recipe.extra_options + " " + output.string();
  if (std::system(command.c_str()) != 0) throw std::runtime_error("ffmpeg failed: " + command);
  std::ifstream file(output, std::ios::binary);
  std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  std::filesystem::remove(output);
  return bytes;
}

// The two the issue names, made once per test program: 2 s of black then 28 s (or 298 s) of picture.
inline const std::vector<std::uint8_t>& thirty_second_video() {
  static const std::vector<std::uint8_t> bytes = make_video(video_recipe());
  return bytes;
}
inline const std::vector<std::uint8_t>& five_minute_video() {
  static const std::vector<std::uint8_t> bytes = [] {
    video_recipe recipe = video_of(2, 298);
    recipe.width = 160;
    recipe.height = 120;
    return make_video(recipe);
  }();
  return bytes;
}

}  // namespace mosaic::testing
