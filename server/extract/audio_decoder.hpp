#pragma once
// The sound of a file decoded to what a speech recognizer takes: 16 kHz mono signed 16-bit samples,
// through FFmpeg's libraries (libavformat opens the container, libavcodec decodes, libswresample
// mixes down and resamples). Any container with an audio stream will do: WAV, MP3, and a video's
// audio track (MP4, MOV, MKV, WebM). The best audio stream is FFmpeg's own choice
// (av_find_best_stream: the default stream, else the one with most channels and bit rate).
//
// The bytes are hostile: they are read from memory (no file names reach FFmpeg, so no protocol or
// side file is ever opened), the declared duration is never trusted (decoding stops after
// `max_seconds` of decoded sound, and the result says it was cut), and every failure is a value
// with the reason a person can act on.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace mosaic::extract {

struct audio_decoding_limits {
  std::uint32_t sample_rate = 16000;             // of the decoded samples (PocketSphinx's model is 16 kHz)
  std::uint32_t max_seconds = 2 * 60 * 60;       // decoded sound kept; later sound is not decoded
  std::size_t max_input_bytes = 2ull * 1024 * 1024 * 1024 - 1;  // FFmpeg's buffer sizes are ints
};

struct decoded_audio {
  std::vector<std::int16_t> samples;  // mono, `sample_rate` a second
  std::uint32_t sample_rate = 0;
  std::string codec;                  // FFmpeg's short name of the stream's codec: "pcm_s16le", "mp3", "aac"
  std::string container;              // FFmpeg's short name of the container: "wav", "mp3", "mov,mp4,m4a,3gp,3g2,mj2"
  std::uint32_t source_channels = 0;
  std::uint32_t source_sample_rate = 0;
  bool cut = false;                   // max_seconds stopped the decoding
  // Packets the decoder refused (damaged frames in the middle of a stream are skipped, as players do).
  std::size_t damaged_packets = 0;

  [[nodiscard]] std::uint64_t duration_milliseconds() const {
    return sample_rate == 0 ? 0 : std::uint64_t{samples.size()} * 1000 / sample_rate;
  }
};

// Errors: invalid_argument (limits of zero), media_too_large (over max_input_bytes), invalid_media
// (not a container FFmpeg recognises, or truncated before any sound), unsupported_media (no audio
// stream, or a codec this FFmpeg build cannot decode). A stream that decodes to no sample at all is
// invalid_media.
result<decoded_audio> decode_audio(std::span<const std::uint8_t> bytes, const audio_decoding_limits& limits = {});

}  // namespace mosaic::extract
