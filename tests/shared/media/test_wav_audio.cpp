// WAV audio: write/parse round trips for the sample formats we read, splitting at frame boundaries
// with offsets and durations that add up, the ICMT caption, hostile headers refused with their cause,
// and (natively, when the data set is present) every recording of the FSDD set.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "media/media_kind.hpp"
#include "media/wav_audio.hpp"

#ifndef __EMSCRIPTEN__
#include <filesystem>
#include <fstream>
#include <iterator>
#endif

using namespace mosaic;
using namespace mosaic::media;

namespace {

using bytes = std::vector<std::uint8_t>;

wav_format make_format(wav_sample_encoding encoding, std::uint16_t channels, std::uint32_t sample_rate, std::uint16_t bits) {
  wav_format format;
  format.encoding = encoding;
  format.channels = channels;
  format.sample_rate = sample_rate;
  format.bits_per_sample = bits;
  return format;
}

// Distinct bytes per position, so a misplaced cut shows up as different content.
bytes sample_bytes(const wav_format& format, std::uint64_t frames) {
  bytes samples(static_cast<std::size_t>(frames * format.bytes_per_frame()));
  for (std::size_t index = 0; index < samples.size(); ++index) samples[index] = static_cast<std::uint8_t>(index * 31 + index / 251);
  return samples;
}

bytes make_wav(const wav_format& format, std::uint64_t frames, const std::optional<std::string>& comment = std::nullopt) {
  auto written = write_wav(format, sample_bytes(format, frames), comment);
  if (!written) FAIL(written.failure().message);
  return std::move(*written);
}

std::uint32_t read_u32(const bytes& data, std::size_t offset) {
  return std::uint32_t{data[offset]} | (std::uint32_t{data[offset + 1]} << 8) | (std::uint32_t{data[offset + 2]} << 16) |
         (std::uint32_t{data[offset + 3]} << 24);
}

void write_u32(bytes& data, std::size_t offset, std::uint32_t value) {
  for (std::size_t index = 0; index < 4; ++index) data[offset + index] = static_cast<std::uint8_t>(value >> (8 * index));
}

void write_u16(bytes& data, std::size_t offset, std::uint16_t value) {
  data[offset] = static_cast<std::uint8_t>(value);
  data[offset + 1] = static_cast<std::uint8_t>(value >> 8);
}

// Offsets in what write_wav produces without a comment: RIFF header (12), fmt chunk (8 + 16), data.
constexpr std::size_t format_chunk = 12;
constexpr std::size_t data_chunk = 36;

bytes chunk(std::string_view tag, const bytes& payload) {
  bytes output(tag.begin(), tag.end());
  output.resize(8);
  write_u32(output, 4, static_cast<std::uint32_t>(payload.size()));
  output.insert(output.end(), payload.begin(), payload.end());
  if (payload.size() % 2 != 0) output.push_back(0);
  return output;
}

// The chunks of a written file with `extra` inserted before its data chunk; the RIFF size is fixed up.
bytes with_chunk_before_data(const bytes& wav, const bytes& extra) {
  bytes output(wav.begin(), wav.begin() + data_chunk);
  output.insert(output.end(), extra.begin(), extra.end());
  output.insert(output.end(), wav.begin() + data_chunk, wav.end());
  write_u32(output, 4, static_cast<std::uint32_t>(output.size() - 8));
  return output;
}

void check_split(const bytes& wav, std::uint32_t max_seconds) {
  const auto info = parse_wav(wav);
  REQUIRE(info.ok());
  const auto segments = split_wav(wav, max_seconds);
  if (!segments) FAIL(segments.failure().message);
  const std::uint64_t frames_per_segment = std::uint64_t{max_seconds} * info->format.sample_rate;
  CHECK(segments->size() == (info->frame_count + frames_per_segment - 1) / frames_per_segment);
  std::uint64_t expected_start = 0;
  std::uint64_t frames_seen = 0;
  bytes joined;
  for (const wav_segment& segment : *segments) {
    CHECK(segment.start_milliseconds == expected_start);
    CHECK(segment.duration_milliseconds <= std::uint64_t{max_seconds} * 1000);
    expected_start += segment.duration_milliseconds;
    const auto part = parse_wav(segment.wav_bytes);
    REQUIRE(part.ok());
    CHECK(part->format.channels == info->format.channels);
    CHECK(part->format.sample_rate == info->format.sample_rate);
    CHECK(part->format.bits_per_sample == info->format.bits_per_sample);
    CHECK(part->format.encoding == info->format.encoding);
    CHECK(part->frame_count <= frames_per_segment);
    frames_seen += part->frame_count;
    joined.insert(joined.end(), segment.wav_bytes.begin() + static_cast<std::ptrdiff_t>(part->data_offset),
                  segment.wav_bytes.begin() + static_cast<std::ptrdiff_t>(part->data_offset + part->data_size));
  }
  CHECK(expected_start == info->duration_milliseconds);  // the durations add up exactly
  CHECK(frames_seen == info->frame_count);
  CHECK(joined == bytes(wav.begin() + static_cast<std::ptrdiff_t>(info->data_offset),
                        wav.begin() + static_cast<std::ptrdiff_t>(info->data_offset + info->data_size)));
}

}  // namespace

TEST_CASE("WAV round trip for every sample format we read", "[media][wav]") {
  struct format_case {
    wav_format format;
    std::uint64_t frames;
    std::uint64_t duration_milliseconds;
  };
  const std::vector<format_case> cases = {
      {make_format(wav_sample_encoding::pcm_integer, 2, 8000, 16), 20000, 2500},   // stereo 16-bit
      {make_format(wav_sample_encoding::pcm_integer, 1, 11025, 8), 11025, 1000},   // mono 8-bit
      {make_format(wav_sample_encoding::ieee_float, 1, 48000, 32), 12345, 257},    // float32
      {make_format(wav_sample_encoding::pcm_integer, 2, 44100, 24), 44101, 1000},  // 24-bit, rounded down
      {make_format(wav_sample_encoding::pcm_integer, 8, 16000, 32), 100, 6},
  };
  for (const auto& test : cases) {
    const bytes samples = sample_bytes(test.format, test.frames);
    const auto written = write_wav(test.format, samples);
    REQUIRE(written.ok());
    CHECK(detect_media_kind(*written).mime_type == "audio/wav");
    const auto info = parse_wav(*written);
    REQUIRE(info.ok());
    CHECK(info->format.encoding == test.format.encoding);
    CHECK(info->format.channels == test.format.channels);
    CHECK(info->format.sample_rate == test.format.sample_rate);
    CHECK(info->format.bits_per_sample == test.format.bits_per_sample);
    CHECK(info->frame_count == test.frames);
    CHECK(info->duration_milliseconds == test.duration_milliseconds);
    CHECK(info->data_size == samples.size());
    CHECK(bytes(written->begin() + static_cast<std::ptrdiff_t>(info->data_offset),
                written->begin() + static_cast<std::ptrdiff_t>(info->data_offset + info->data_size)) == samples);
    CHECK_FALSE(read_wav_comment(*written).has_value());
  }
}

TEST_CASE("float samples become a 16-bit PCM WAV: scaled, rounded, clipped, parsed back", "[media][wav]") {
  const std::vector<float> samples = {0.0f, 1.0f, -1.0f, 0.5f, -0.5f, 2.0f, -3.0f, 1.0f / 32767.0f, 0.49f / 32767.0f, -0.51f / 32767.0f};
  const std::vector<std::int16_t> expected = {0, 32767, -32767, 16384, -16384, 32767, -32767, 1, 0, -1};
  const auto written = write_pcm16_wav(samples, 1, 16000);
  if (!written) FAIL(written.failure().message);
  CHECK(detect_media_kind(*written).mime_type == "audio/wav");
  const auto info = parse_wav(*written);
  REQUIRE(info.ok());
  CHECK(info->format.encoding == wav_sample_encoding::pcm_integer);
  CHECK(info->format.channels == 1);
  CHECK(info->format.sample_rate == 16000);
  CHECK(info->format.bits_per_sample == 16);
  REQUIRE(info->frame_count == samples.size());
  for (std::size_t index = 0; index < expected.size(); ++index) {
    const std::size_t offset = info->data_offset + index * 2;
    const auto value = static_cast<std::int16_t>(static_cast<std::uint16_t>((*written)[offset] | ((*written)[offset + 1] << 8)));
    CHECK(value == expected[index]);
  }
  CHECK_FALSE(read_wav_comment(*written).has_value());

  // 80 s at 16 kHz, the longest recording a query takes, in stereo: the duration is read back exactly.
  const std::vector<float> long_stereo(std::size_t{80} * 16000 * 2, 0.25f);
  const auto long_written = write_pcm16_wav(long_stereo, 2, 16000);
  REQUIRE(long_written.ok());
  const auto long_info = parse_wav(*long_written);
  REQUIRE(long_info.ok());
  CHECK(long_info->format.channels == 2);
  CHECK(long_info->duration_milliseconds == 80000);

  const auto empty = write_pcm16_wav({}, 1, 16000);
  REQUIRE(empty.ok());
  CHECK(parse_wav(*empty)->frame_count == 0);
}

TEST_CASE("float samples that cannot make a WAV are refused with their cause", "[media][wav][hostile]") {
  const auto refusal = [](const result<std::vector<std::uint8_t>>& outcome) {
    REQUIRE_FALSE(outcome.ok());
    return outcome.failure();
  };
  const std::vector<float> three = {0.1f, 0.2f, 0.3f};
  CHECK(refusal(write_pcm16_wav(three, 2, 16000)).code == error_code::invalid_argument);  // not whole frames
  CHECK(refusal(write_pcm16_wav(three, 0, 16000)).code == error_code::invalid_argument);  // no channels
  CHECK(refusal(write_pcm16_wav(three, 9, 16000)).code == error_code::invalid_argument);  // too many
  CHECK(refusal(write_pcm16_wav(three, 1, 999)).code == error_code::invalid_argument);    // implausible rate
  const std::vector<float> not_finite = {0.1f, std::numeric_limits<float>::quiet_NaN()};
  const error refused = refusal(write_pcm16_wav(not_finite, 1, 16000));
  CHECK(refused.code == error_code::non_finite_value);
  CHECK(refused.message.find("sample 1") != std::string::npos);
  const std::vector<float> infinite = {std::numeric_limits<float>::infinity()};
  CHECK(refusal(write_pcm16_wav(infinite, 1, 16000)).code == error_code::non_finite_value);
}

TEST_CASE("splitting cuts at frame boundaries with offsets and durations that add up", "[media][wav]") {
  const bytes stereo = make_wav(make_format(wav_sample_encoding::pcm_integer, 2, 8000, 16), 20000);  // 2.5 s
  const auto segments = split_wav(stereo, 1);
  REQUIRE(segments.ok());
  REQUIRE(segments->size() == 3);
  CHECK((*segments)[0].start_milliseconds == 0);
  CHECK((*segments)[1].start_milliseconds == 1000);
  CHECK((*segments)[2].start_milliseconds == 2000);
  CHECK((*segments)[0].duration_milliseconds == 1000);
  CHECK((*segments)[2].duration_milliseconds == 500);
  check_split(stereo, 1);
  check_split(stereo, 2);
  check_split(stereo, 3);  // shorter than the limit: one segment
  check_split(make_wav(make_format(wav_sample_encoding::pcm_integer, 1, 11025, 8), 100001), 2);     // mono 8-bit
  check_split(make_wav(make_format(wav_sample_encoding::ieee_float, 2, 22050, 32), 22050 * 5 + 7), 2);  // float32
  check_split(make_wav(make_format(wav_sample_encoding::pcm_integer, 1, 44100, 24), 44100 * 3), 1);  // exact multiple

  const bytes silence = make_wav(make_format(wav_sample_encoding::pcm_integer, 1, 8000, 16), 0);
  const auto none = split_wav(silence, 80);
  REQUIRE(none.ok());
  CHECK(none->empty());
  CHECK(split_wav(stereo, 0).failure().code == error_code::invalid_argument);
  CHECK(split_wav(bytes{1, 2, 3}, 10).failure().code == error_code::invalid_media);
}

TEST_CASE("the ICMT comment is read, and carried into every segment", "[media][wav]") {
  const wav_format format = make_format(wav_sample_encoding::pcm_integer, 1, 8000, 16);
  for (const std::string comment : {"a dog barking", "odd length!", "caf\xc3\xa9 in the rain"}) {
    const bytes wav = make_wav(format, 8000 * 3, comment);
    CHECK(read_wav_comment(wav) == comment);
    CHECK(parse_wav(wav)->frame_count == 8000 * 3);
    const auto segments = split_wav(wav, 1);
    REQUIRE(segments.ok());
    REQUIRE(segments->size() == 3);
    for (const auto& segment : *segments) CHECK(read_wav_comment(segment.wav_bytes) == comment);
  }
  // A Latin-1 comment (not valid UTF-8) comes back as UTF-8.
  const bytes latin1 = make_wav(format, 10, std::string("caf\xe9"));
  CHECK(read_wav_comment(latin1) == std::string("caf\xc3\xa9"));
  CHECK_FALSE(read_wav_comment(make_wav(format, 10, std::string())).has_value());
  CHECK_FALSE(read_wav_comment(bytes{}).has_value());
  CHECK_FALSE(read_wav_comment(bytes{'R', 'I', 'F', 'F'}).has_value());
}

TEST_CASE("odd-sized chunks are padded, unknown chunks skipped, trailing damage after the audio ignored", "[media][wav]") {
  const bytes wav = make_wav(make_format(wav_sample_encoding::pcm_integer, 1, 8000, 16), 800);
  const bytes padded = with_chunk_before_data(wav, chunk("junk", bytes{1, 2, 3}));
  const auto info = parse_wav(padded);
  if (!info) FAIL(info.failure().message);
  CHECK(info->frame_count == 800);

  bytes trailing = wav;
  const bytes broken = {'L', 'I', 'S', 'T', 0xFF, 0xFF, 0x00, 0x00, 'I', 'N'};  // declares 65535 bytes
  trailing.insert(trailing.end(), broken.begin(), broken.end());
  write_u32(trailing, 4, static_cast<std::uint32_t>(trailing.size() - 8));
  CHECK(parse_wav(trailing).ok());

  bytes streaming = wav;  // a RIFF size left at 0 by a streaming writer is not trusted
  write_u32(streaming, 4, 0);
  CHECK(parse_wav(streaming).ok());

  bytes odd_frames = wav;  // a partial frame at the end of data is ignored
  odd_frames.push_back(7);
  write_u32(odd_frames, data_chunk + 4, read_u32(odd_frames, data_chunk + 4) + 1);
  write_u32(odd_frames, 4, static_cast<std::uint32_t>(odd_frames.size() - 8));
  REQUIRE(parse_wav(odd_frames).ok());
  CHECK(parse_wav(odd_frames)->frame_count == 800);

  // WAVE_FORMAT_EXTENSIBLE carrying PCM.
  bytes extensible_format(40, 0);
  write_u16(extensible_format, 0, 0xFFFE);
  write_u16(extensible_format, 2, 2);
  write_u32(extensible_format, 4, 16000);
  write_u32(extensible_format, 8, 16000 * 4);
  write_u16(extensible_format, 12, 4);
  write_u16(extensible_format, 14, 16);
  write_u16(extensible_format, 16, 22);
  write_u16(extensible_format, 18, 16);
  write_u16(extensible_format, 24, 1);
  const std::uint8_t suffix[] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
  std::memcpy(extensible_format.data() + 26, suffix, sizeof suffix);
  bytes extensible = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E'};
  const bytes format_chunk_bytes = chunk("fmt ", extensible_format);
  const bytes data_chunk_bytes = chunk("data", bytes(400, 3));
  extensible.insert(extensible.end(), format_chunk_bytes.begin(), format_chunk_bytes.end());
  extensible.insert(extensible.end(), data_chunk_bytes.begin(), data_chunk_bytes.end());
  write_u32(extensible, 4, static_cast<std::uint32_t>(extensible.size() - 8));
  const auto extensible_info = parse_wav(extensible);
  if (!extensible_info) FAIL(extensible_info.failure().message);
  CHECK(extensible_info->format.channels == 2);
  CHECK(extensible_info->frame_count == 100);
}

TEST_CASE("hostile WAV headers fail cleanly with their cause", "[media][wav][hostile]") {
  const bytes wav = make_wav(make_format(wav_sample_encoding::pcm_integer, 2, 8000, 16), 1000);
  const auto refuse = [](const bytes& input, error_code code, std::string_view part) {
    const auto parsed = parse_wav(input);
    REQUIRE_FALSE(parsed.ok());
    INFO(parsed.failure().message);
    CHECK(parsed.failure().code == code);
    CHECK(parsed.failure().message.find(part) != std::string::npos);
    CHECK_FALSE(split_wav(input, 1).ok());
  };

  // Truncated anywhere: in the header, in fmt, in the data.
  for (std::size_t length = 0; length < wav.size(); length += (length < 64 ? 1 : 997)) {
    const bytes truncated(wav.begin(), wav.begin() + static_cast<std::ptrdiff_t>(length));
    INFO("cut to " << length << " bytes");
    CHECK_FALSE(parse_wav(truncated).ok());
  }
  refuse(bytes(wav.begin(), wav.end() - 1), error_code::invalid_media, "truncated WAV: chunk 'data'");

  bytes no_channels = wav;
  write_u16(no_channels, format_chunk + 8 + 2, 0);
  refuse(no_channels, error_code::invalid_media, "0 channels");

  bytes too_many_channels = wav;
  write_u16(too_many_channels, format_chunk + 8 + 2, 9);
  refuse(too_many_channels, error_code::unsupported_media, "9 channels");

  bytes data_past_end = wav;
  write_u32(data_past_end, data_chunk + 4, read_u32(wav, data_chunk + 4) + 2);
  refuse(data_past_end, error_code::invalid_media, "truncated WAV");

  bytes four_gigabytes = wav;  // also what streaming writers leave behind: refused, not clamped
  write_u32(four_gigabytes, data_chunk + 4, 0xFFFFFFFFu);
  refuse(four_gigabytes, error_code::invalid_media, "declares 4294967295 bytes");

  refuse(with_chunk_before_data(wav, {'j', 'u', 'n', 'k', 0x00, 0x00, 0x00, 0x80}), error_code::invalid_media,
         "chunk 'junk'");

  bytes adpcm = wav;
  write_u16(adpcm, format_chunk + 8, 2);
  refuse(adpcm, error_code::unsupported_media, "ADPCM");

  bytes float64 = wav;
  write_u16(float64, format_chunk + 8, 3);
  write_u16(float64, format_chunk + 8 + 14, 64);
  write_u16(float64, format_chunk + 8 + 12, 16);
  refuse(float64, error_code::unsupported_media, "64-bit");

  bytes odd_bits = wav;
  write_u16(odd_bits, format_chunk + 8 + 14, 12);
  refuse(odd_bits, error_code::unsupported_media, "12-bit");

  bytes wrong_alignment = wav;
  write_u16(wrong_alignment, format_chunk + 8 + 12, 3);
  refuse(wrong_alignment, error_code::invalid_media, "block alignment");

  bytes zero_rate = wav;
  write_u32(zero_rate, format_chunk + 8 + 4, 0);
  refuse(zero_rate, error_code::invalid_media, "sample rate");

  bytes short_format = wav;
  write_u32(short_format, format_chunk + 4, 14);  // the fmt chunk claims 14 bytes: too short to hold a format
  refuse(short_format, error_code::invalid_media, "fmt chunk of 14 bytes");

  bytes no_data = wav;
  no_data[data_chunk] = 'D';  // now an unknown chunk
  refuse(no_data, error_code::invalid_media, "without a data chunk");

  bytes no_format = wav;
  no_format[format_chunk] = 'F';
  refuse(no_format, error_code::invalid_media, "without a fmt chunk");

  bytes not_wave = wav;
  not_wave[8] = 'A';
  refuse(not_wave, error_code::invalid_media, "not a WAV");

  const bytes two_formats = with_chunk_before_data(wav, bytes(wav.begin() + format_chunk, wav.begin() + data_chunk));
  refuse(two_formats, error_code::invalid_media, "two fmt");

  // write_wav refuses what parse_wav would refuse.
  CHECK(write_wav(make_format(wav_sample_encoding::pcm_integer, 0, 8000, 16), {}).failure().code == error_code::invalid_argument);
  CHECK(write_wav(make_format(wav_sample_encoding::pcm_integer, 2, 8000, 16), bytes(3, 0)).failure().code ==
        error_code::invalid_argument);
}

TEST_CASE("every recording of the FSDD data set is detected, parsed and split", "[media][wav][data]") {
#ifdef __EMSCRIPTEN__
  WARN("the data set is read natively only");
#else
  const std::filesystem::path folder = MOSAIC_SHARED_DATA_DIR "/fsdd-audio/recordings";
  if (!std::filesystem::is_directory(folder)) {
    WARN("skipped: " << folder.string() << " is absent");
    return;
  }
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() != ".wav") continue;
    std::ifstream stream(entry.path(), std::ios::binary);
    const bytes wav((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
    INFO(entry.path().filename().string());
    const media_detection detection = detect_media_kind(wav);
    CHECK(detection.kind == media_kind::audio);
    CHECK(detection.mime_type == "audio/wav");
    const auto info = parse_wav(wav);
    if (!info) FAIL(info.failure().message);
    CHECK(info->format.sample_rate == 8000);
    CHECK(info->format.channels == 1);
    CHECK(info->format.bits_per_sample == 16);
    CHECK(info->frame_count > 0);
    const auto segments = split_wav(wav, 1);
    REQUIRE(segments.ok());
    std::uint64_t total = 0;
    for (const auto& segment : *segments) total += segment.duration_milliseconds;
    CHECK(total == info->duration_milliseconds);
    ++files;
  }
  CHECK(files == 300);
#endif
}
