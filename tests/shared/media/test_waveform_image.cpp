// The waveform picture of a WAV: levels follow the samples (silence is 0, a loud half shows on its
// side, every sample format scales to 0..1) and the picture is a JPEG of the promised size.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "media/image_preparation.hpp"
#include "media/media_kind.hpp"
#include "media/waveform_image.hpp"
#include "media/wav_audio.hpp"

using namespace mosaic;
using namespace mosaic::media;

namespace {

using bytes = std::vector<std::uint8_t>;

// 16-bit mono at 8 kHz: `frames` samples, silent in the first half and at `loud` in the second.
bytes half_loud_wav(std::uint32_t frames, std::int16_t loud) {
  wav_format format;
  format.channels = 1;
  format.sample_rate = 8000;
  format.bits_per_sample = 16;
  bytes samples(std::size_t{frames} * 2, 0);
  for (std::uint32_t frame = frames / 2; frame < frames; ++frame) {
    const std::int16_t value = (frame % 2 == 0) ? loud : static_cast<std::int16_t>(-loud);
    samples[frame * 2] = static_cast<std::uint8_t>(static_cast<std::uint16_t>(value) & 0xFF);
    samples[frame * 2 + 1] = static_cast<std::uint8_t>(static_cast<std::uint16_t>(value) >> 8);
  }
  auto written = write_wav(format, samples);
  REQUIRE(written);
  return std::move(written).value();
}

}  // namespace

TEST_CASE("waveform levels follow the samples", "[waveform]") {
  auto levels = wav_peak_levels(half_loud_wav(8000, 16384), 8);
  REQUIRE(levels);
  REQUIRE(levels->size() == 8);
  for (std::size_t column = 0; column < 4; ++column) CHECK((*levels)[column] == 0.0f);
  for (std::size_t column = 4; column < 8; ++column) CHECK((*levels)[column] == Approx(0.5f));

  auto full_scale = wav_peak_levels(half_loud_wav(800, -32768), 2);
  REQUIRE(full_scale);
  CHECK((*full_scale)[1] == Approx(1.0f));

  // 8-bit samples are unsigned around 128.
  wav_format eight_bit;
  eight_bit.channels = 2;
  eight_bit.sample_rate = 8000;
  eight_bit.bits_per_sample = 8;
  auto quiet = write_wav(eight_bit, bytes{128, 128, 128, 0});
  REQUIRE(quiet);
  auto eight = wav_peak_levels(quiet.value(), 2);
  REQUIRE(eight);
  CHECK((*eight)[0] == 0.0f);
  CHECK((*eight)[1] == Approx(1.0f));
}

TEST_CASE("the waveform picture is a JPEG of 256 by 64 pixels", "[waveform]") {
  auto jpeg = render_waveform_jpeg(half_loud_wav(16000, 20000));
  REQUIRE(jpeg);
  CHECK(detect_media_kind(jpeg.value()).format == "jpeg");
  auto decoded = prepare_image(jpeg.value(), 1024);
  REQUIRE(decoded);
  CHECK(decoded->width == waveform_width);
  CHECK(decoded->height == waveform_height);
}

TEST_CASE("a waveform of a broken WAV is refused like the WAV", "[waveform]") {
  bytes broken = half_loud_wav(100, 1000);
  broken.resize(30);
  auto refused = render_waveform_jpeg(broken);
  REQUIRE_FALSE(refused);
  CHECK(refused.failure().code == error_code::invalid_media);
}
