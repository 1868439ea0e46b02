#pragma once
// The leading part of a WAV or MP3 recording, at most max_seconds long, cut at a frame boundary
// without decoding. Gemini embeds at most 80 s of audio (docs/gemini-api.md): when someone searches
// with a longer recording, the browser sends its first 80 s and says so, instead of having the proxy
// refuse the whole file. (The indexer keeps every part instead: split_wav / split_mp3.)
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mosaic::media {

struct audio_excerpt {
  std::vector<std::uint8_t> bytes;  // a standalone WAV or MP3; the input unchanged when it fits
  std::string_view mime_type;       // "audio/wav" or "audio/mpeg"
  std::uint64_t duration_milliseconds = 0;         // of `bytes`
  std::uint64_t source_duration_milliseconds = 0;  // of the whole recording
  bool truncated = false;                          // the recording was longer than max_seconds
};

// Errors: unsupported_media (not WAV or MP3, or an encoding parse_wav / parse_mp3 refuses),
// invalid_media (a damaged WAV or MP3, as parse_wav / parse_mp3 report it), invalid_argument
// (max_seconds of 0, or too short for one MP3 frame).
result<audio_excerpt> leading_audio_excerpt(std::span<const std::uint8_t> bytes, std::uint32_t max_seconds);

}  // namespace mosaic::media
