#pragma once
// RIFF/WAVE audio: parsing (as hostile input), splitting into segments Gemini accepts (at most 80 s
// each, see docs/gemini-api.md), writing, and reading the LIST/INFO ICMT comment used as a caption.
//
// Policy on damaged files: a chunk (including `data`) that declares more bytes than the file holds is
// an error (invalid_media), not clamped: a truncated recording is reported rather than silently
// shortened. This also refuses streaming writers' placeholder sizes (0xFFFFFFFF); such files need a
// finished header. The one exception: a broken chunk AFTER both `fmt ` and `data` is ignored, since
// the audio itself is whole. A trailing partial frame in `data` is ignored.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace mosaic::media {

enum class wav_sample_encoding : std::uint8_t { pcm_integer, ieee_float };

struct wav_format {
  wav_sample_encoding encoding = wav_sample_encoding::pcm_integer;
  std::uint16_t channels = 0;         // 1..8
  std::uint32_t sample_rate = 0;      // 1000..768000 Hz
  std::uint16_t bits_per_sample = 0;  // PCM 8/16/24/32, float 32
  std::uint32_t bytes_per_frame() const noexcept { return std::uint32_t{channels} * (bits_per_sample / 8u); }
};

struct wav_info {
  wav_format format;
  std::uint64_t frame_count = 0;            // whole frames in `data`
  std::uint64_t duration_milliseconds = 0;  // frame_count * 1000 / sample_rate, rounded down
  std::size_t data_offset = 0;              // of the first sample byte within the parsed bytes
  std::size_t data_size = 0;                // frame_count * bytes_per_frame
};

inline constexpr std::uint16_t maximum_wav_channels = 8;
inline constexpr std::uint32_t minimum_wav_sample_rate = 1000;
inline constexpr std::uint32_t maximum_wav_sample_rate = 768000;

// Errors: invalid_media (not RIFF/WAVE, truncated, chunk past the end, missing or malformed fmt/data,
// 0 channels, bad block alignment), unsupported_media (a valid but unhandled encoding: ADPCM, A-law,
// 64-bit float, more than 8 channels, ...).
result<wav_info> parse_wav(std::span<const std::uint8_t> bytes);

// A standalone WAV file: RIFF header, a plain `fmt ` (format tag 1 or 3), an optional LIST/INFO chunk
// holding `comment` as ICMT, then `data`. Fails with invalid_argument for a format parse_wav would
// refuse, a sample size that is not whole frames, or a file over 4 GiB.
result<std::vector<std::uint8_t>> write_wav(const wav_format& format, std::span<const std::uint8_t> sample_bytes,
                                            const std::optional<std::string>& comment = std::nullopt);

// A 16-bit PCM WAV of float samples (interleaved when channels > 1), as Web Audio decodes audio: how a
// browser recording (WebM/Opus, MP4/AAC) becomes something Gemini and the proxy take, since they take
// WAV and MP3 only. Samples are clipped to [-1, 1] and rounded to the nearest step. Fails with
// invalid_argument for a format write_wav refuses or a sample count that is not whole frames, and
// with non_finite_value for a NaN or infinite sample (decoders never produce one; a caller bug does).
result<std::vector<std::uint8_t>> write_pcm16_wav(std::span<const float> samples, std::uint16_t channels,
                                                  std::uint32_t sample_rate);

struct wav_segment {
  std::vector<std::uint8_t> wav_bytes;  // a standalone WAV with the original's format (and its ICMT comment)
  std::uint64_t start_milliseconds = 0;
  std::uint64_t duration_milliseconds = 0;
};

// Cuts the audio at frame boundaries into segments of at most max_seconds each (the last one may be
// shorter). Millisecond offsets are floor(frame * 1000 / rate) of each cut, so the durations add up to
// exactly the whole file's duration_milliseconds. No audio frames gives no segments. Each segment
// carries the original's ICMT comment: a caption describes the whole recording, hence every part.
result<std::vector<wav_segment>> split_wav(std::span<const std::uint8_t> bytes, std::uint32_t max_seconds);

// The first non-empty ICMT comment of a LIST/INFO chunk, trailing NULs removed, as UTF-8 (bytes that
// are not valid UTF-8 are read as Latin-1); nullopt when there is none or the RIFF layout is broken
// before one is found. Same convention as tests/gemini_double/media_captions.cpp.
std::optional<std::string> read_wav_comment(std::span<const std::uint8_t> bytes);

}  // namespace mosaic::media
