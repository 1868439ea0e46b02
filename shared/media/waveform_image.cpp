#include "media/waveform_image.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "media/image_preparation.hpp"
#include "media/wav_audio.hpp"


namespace mosaic::media {
namespace {

// One sample's absolute level in 0..1, for every encoding parse_wav accepts.
float sample_level(const std::uint8_t* sample, const wav_format& format) {
  if (format.encoding == wav_sample_encoding::ieee_float) {
    float value = 0;
    std::uint32_t bits = std::uint32_t{sample[0]} | std::uint32_t{sample[1]} << 8 | std::uint32_t{sample[2]} << 16 |
                         std::uint32_t{sample[3]} << 24;
    std::memcpy(&value, &bits, sizeof value);
    if (!std::isfinite(value)) return 0.0f;
    return std::min(1.0f, std::fabs(value));
  }
  switch (format.bits_per_sample) {
    case 8: return static_cast<float>(std::abs(int{sample[0]} - 128)) / 128.0f;  // unsigned, centred on 128
    case 16: {
      const auto value = static_cast<std::int16_t>(std::uint16_t{sample[0]} | std::uint16_t(sample[1] << 8));
      return static_cast<float>(std::abs(int{value})) / 32768.0f;
    }
    case 24: {
      std::int32_t value = static_cast<std::int32_t>(std::uint32_t{sample[0]} << 8 | std::uint32_t{sample[1]} << 16 |
                                                     std::uint32_t{sample[2]} << 24) >> 8;
      return static_cast<float>(std::abs(static_cast<double>(value)) / 8388608.0);
    }
    default: {
      const auto value = static_cast<std::int32_t>(std::uint32_t{sample[0]} | std::uint32_t{sample[1]} << 8 |
                                                   std::uint32_t{sample[2]} << 16 | std::uint32_t{sample[3]} << 24);
      return static_cast<float>(std::fabs(static_cast<double>(value)) / 2147483648.0);
    }
  }
}

}  // namespace

result<std::vector<float>> wav_peak_levels(std::span<const std::uint8_t> wav_bytes, std::uint32_t columns) {
  auto parsed = parse_wav(wav_bytes);
  if (!parsed) return std::move(parsed).failure();
  const wav_info& info = parsed.value();
  std::vector<float> levels(columns, 0.0f);
  if (columns == 0 || info.frame_count == 0) return levels;
  const std::size_t frame_bytes = info.format.bytes_per_frame();
  const std::size_t sample_bytes = info.format.bits_per_sample / 8u;
  const std::uint8_t* data = wav_bytes.data() + info.data_offset;
  for (std::uint64_t frame = 0; frame < info.frame_count; ++frame) {
    const auto column = static_cast<std::size_t>(frame * columns / info.frame_count);
    const std::uint8_t* first = data + frame * frame_bytes;
    for (std::size_t channel = 0; channel < info.format.channels; ++channel) {
      levels[column] = std::max(levels[column], sample_level(first + channel * sample_bytes, info.format));
    }
  }
  return levels;
}

result<std::vector<std::uint8_t>> render_waveform_jpeg(std::span<const std::uint8_t> wav_bytes) {
  auto levels = wav_peak_levels(wav_bytes, waveform_width);
  if (!levels) return std::move(levels).failure();
  constexpr std::uint8_t background[3] = {243, 244, 246};
  constexpr std::uint8_t bar[3] = {55, 65, 81};
  std::vector<std::uint8_t> pixels(std::size_t{waveform_width} * waveform_height * 3);
  const float middle = static_cast<float>(waveform_height - 1) / 2.0f;
  for (std::uint32_t x = 0; x < waveform_width; ++x) {
    // A one-pixel line even for silence, so the picture reads as "audio" rather than as blank.
    const float half = std::max(0.5f, (*levels)[x] * middle);
    for (std::uint32_t y = 0; y < waveform_height; ++y) {
      const bool inside = std::fabs(static_cast<float>(y) - middle) <= half;
      std::memcpy(&pixels[(std::size_t{y} * waveform_width + x) * 3], inside ? bar : background, 3);
    }
  }
  return encode_rgb_jpeg(pixels, waveform_width, waveform_height, 85);
}

}  // namespace mosaic::media
