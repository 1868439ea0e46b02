#pragma once
// A picture of a WAV recording for result lists: one column per slice of time, a bar as tall as the
// loudest sample in that slice (all channels mixed by taking the peak), as a small JPEG. It is the
// audio counterpart of an image's thumbnail, computed from the samples with no decoder.
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"

namespace mosaic::media {

inline constexpr std::uint32_t waveform_width = 256;
inline constexpr std::uint32_t waveform_height = 64;

// The peak absolute level (0..1) of each of `columns` equal slices of the recording; silence is 0.
// Errors: those of parse_wav; a WAV without frames gives `columns` zeros.
result<std::vector<float>> wav_peak_levels(std::span<const std::uint8_t> wav_bytes, std::uint32_t columns);

// The levels drawn as a waveform_width x waveform_height JPEG (dark bars on a light background,
// mirrored around the middle line).
result<std::vector<std::uint8_t>> render_waveform_jpeg(std::span<const std::uint8_t> wav_bytes);

}  // namespace mosaic::media
