#include "media/wav_audio.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

#include "core/byte_reader.hpp"
#include "text/utf8.hpp"

namespace mosaic::media {
namespace {

constexpr std::size_t riff_header_size = 12;  // "RIFF", size, "WAVE"
constexpr std::size_t chunk_header_size = 8;  // identifier, little-endian size
constexpr std::uint16_t format_tag_pcm = 1;
constexpr std::uint16_t format_tag_ieee_float = 3;
constexpr std::uint16_t format_tag_extensible = 0xFFFE;

error invalid(std::string message) { return make_error(error_code::invalid_media, std::move(message)); }
error unsupported(std::string message) { return make_error(error_code::unsupported_media, std::move(message)); }

std::string quoted_tag(byte_span bytes, std::size_t offset) {
  std::string tag = "'";
  for (std::size_t index = 0; index < 4; ++index) {
    const std::uint8_t letter = bytes[offset + index];
    tag.push_back((letter >= 0x20 && letter < 0x7F) ? static_cast<char>(letter) : '?');
  }
  return tag + "'";
}

bool is_riff_wave(byte_span bytes) noexcept {
  return bytes.size() >= riff_header_size && has_tag(bytes, 0, "RIFF") && has_tag(bytes, 8, "WAVE");
}

// The RIFF body's end. Streaming writers leave the RIFF size at 0 or 0xFFFFFFFF, and some writers get
// it wrong: it is trusted only when it lies within the bytes we have.
std::size_t riff_end(byte_span bytes) noexcept {
  const std::uint64_t declared_end = std::uint64_t{read_little_endian_32(bytes, 4)} + 8;
  return (declared_end >= riff_header_size && declared_end <= bytes.size()) ? static_cast<std::size_t>(declared_end)
                                                                            : bytes.size();
}

std::string describe_format(std::uint16_t tag) {
  switch (tag) {
    case 2: return "Microsoft ADPCM";
    case 6: return "A-law";
    case 7: return "mu-law";
    case 0x11: return "IMA ADPCM";
    case 0x55: return "MPEG Layer III";
    default: return "format tag " + std::to_string(tag);
  }
}

status validate_format(const wav_format& format) {
  if (format.channels == 0) return invalid("the WAV format declares 0 channels");
  if (format.channels > maximum_wav_channels) {
    return unsupported("WAV with " + std::to_string(format.channels) + " channels (at most " +
                       std::to_string(maximum_wav_channels) + ")");
  }
  if (format.sample_rate < minimum_wav_sample_rate || format.sample_rate > maximum_wav_sample_rate) {
    return invalid("implausible WAV sample rate of " + std::to_string(format.sample_rate) + " Hz");
  }
  const std::uint16_t bits = format.bits_per_sample;
  if (format.encoding == wav_sample_encoding::pcm_integer && bits != 8 && bits != 16 && bits != 24 && bits != 32) {
    return unsupported("PCM WAV with " + std::to_string(bits) + "-bit samples (8, 16, 24 or 32 are read)");
  }
  if (format.encoding == wav_sample_encoding::ieee_float && bits != 32) {
    return unsupported("floating-point WAV with " + std::to_string(bits) + "-bit samples (only 32 is read)");
  }
  return success{};
}

result<wav_format> parse_format_chunk(byte_span chunk) {
  if (chunk.size() < 16) return invalid("WAV fmt chunk of " + std::to_string(chunk.size()) + " bytes (at least 16)");
  std::uint16_t tag = read_little_endian_16(chunk, 0);
  wav_format format;
  format.channels = read_little_endian_16(chunk, 2);
  format.sample_rate = read_little_endian_32(chunk, 4);
  const std::uint16_t block_align = read_little_endian_16(chunk, 12);
  format.bits_per_sample = read_little_endian_16(chunk, 14);
  if (tag == format_tag_extensible) {
    // cbSize (22), valid bits, channel mask, then the sub-format GUID whose first two bytes are the
    // real format tag and whose rest is the fixed KSDATAFORMAT suffix.
    constexpr std::array<std::uint8_t, 14> guid_suffix = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                                          0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
    if (chunk.size() < 40 || read_little_endian_16(chunk, 16) < 22) {
      return invalid("WAV extensible fmt chunk too short for its sub-format");
    }
    if (!std::equal(guid_suffix.begin(), guid_suffix.end(), chunk.begin() + 26)) {
      return unsupported("WAV extensible sub-format that is not a standard audio format GUID");
    }
    tag = read_little_endian_16(chunk, 24);
  }
  if (tag == format_tag_pcm) {
    format.encoding = wav_sample_encoding::pcm_integer;
  } else if (tag == format_tag_ieee_float) {
    format.encoding = wav_sample_encoding::ieee_float;
  } else {
    return unsupported("WAV encoding " + describe_format(tag) + " (PCM and 32-bit float are read)");
  }
  if (auto valid = validate_format(format); !valid) return std::move(valid).failure();
  if (block_align != format.bytes_per_frame()) {
    return invalid("WAV block alignment " + std::to_string(block_align) + " does not match " +
                   std::to_string(format.channels) + " channels of " + std::to_string(format.bits_per_sample) + " bits");
  }
  return format;
}

void append_tag(std::vector<std::uint8_t>& output, std::string_view tag) { output.insert(output.end(), tag.begin(), tag.end()); }

void append_little_endian(std::vector<std::uint8_t>& output, std::uint32_t value, std::size_t byte_count) {
  for (std::size_t index = 0; index < byte_count; ++index) output.push_back(static_cast<std::uint8_t>(value >> (8 * index)));
}

}  // namespace

result<wav_info> parse_wav(std::span<const std::uint8_t> bytes) {
  if (!is_riff_wave(bytes)) return invalid("not a WAV file: no RIFF/WAVE header in the first 12 bytes");
  const std::size_t end = riff_end(bytes);
  std::optional<wav_format> format;
  std::optional<byte_span> data;
  std::size_t data_offset = 0;
  std::size_t offset = riff_header_size;
  while (end - offset >= chunk_header_size) {
    const std::uint32_t size = read_little_endian_32(bytes, offset + 4);
    const std::size_t available = end - offset - chunk_header_size;
    if (size > available) {
      if (format && data) break;  // damage after the audio does not affect it
      return invalid("truncated WAV: chunk " + quoted_tag(bytes, offset) + " at byte " + std::to_string(offset) +
                     " declares " + std::to_string(size) + " bytes but only " + std::to_string(available) + " remain");
    }
    const byte_span chunk = bytes.subspan(offset + chunk_header_size, size);
    if (has_tag(bytes, offset, "fmt ")) {
      if (format) return invalid("WAV with two fmt chunks");
      auto parsed = parse_format_chunk(chunk);
      if (!parsed) return std::move(parsed).failure();
      format = *parsed;
    } else if (has_tag(bytes, offset, "data")) {
      if (data) return invalid("WAV with two data chunks");
      data = chunk;
      data_offset = offset + chunk_header_size;
    }
    offset += chunk_header_size + size;
    if ((size & 1u) != 0 && offset < end) ++offset;  // chunks are padded to even sizes; the last pad may be missing
  }
  if (!format) return invalid("WAV without a fmt chunk");
  if (!data) return invalid("WAV without a data chunk");

  wav_info info;
  info.format = *format;
  const std::uint32_t frame_bytes = format->bytes_per_frame();
  info.frame_count = data->size() / frame_bytes;
  info.duration_milliseconds = info.frame_count * 1000 / format->sample_rate;
  info.data_offset = data_offset;
  info.data_size = static_cast<std::size_t>(info.frame_count * frame_bytes);
  return info;
}

result<std::vector<std::uint8_t>> write_wav(const wav_format& format, std::span<const std::uint8_t> sample_bytes,
                                            const std::optional<std::string>& comment) {
  if (auto valid = validate_format(format); !valid) {
    return make_error(error_code::invalid_argument, "cannot write this WAV format: " + valid.failure().message);
  }
  const std::uint32_t frame_bytes = format.bytes_per_frame();
  if (sample_bytes.size() % frame_bytes != 0) {
    return make_error(error_code::invalid_argument, "WAV samples of " + std::to_string(sample_bytes.size()) +
                                                        " bytes are not whole frames of " + std::to_string(frame_bytes));
  }
  const bool has_comment = comment && !comment->empty();
  const std::uint64_t comment_size = has_comment ? comment->size() + 1 : 0;  // NUL-terminated
  const std::uint64_t list_size = has_comment ? 4 + chunk_header_size + comment_size + (comment_size & 1u) : 0;
  const std::uint64_t data_size = sample_bytes.size();
  const std::uint64_t riff_size = 4 + (chunk_header_size + 16) + (has_comment ? chunk_header_size + list_size : 0) +
                                  chunk_header_size + data_size + (data_size & 1u);
  if (riff_size > 0xFFFFFFFFu) return make_error(error_code::invalid_argument, "a WAV file cannot exceed 4 GiB");

  std::vector<std::uint8_t> output;
  output.reserve(static_cast<std::size_t>(riff_size + 8));
  append_tag(output, "RIFF");
  append_little_endian(output, static_cast<std::uint32_t>(riff_size), 4);
  append_tag(output, "WAVE");
  append_tag(output, "fmt ");
  append_little_endian(output, 16, 4);
  append_little_endian(output, format.encoding == wav_sample_encoding::ieee_float ? format_tag_ieee_float : format_tag_pcm, 2);
  append_little_endian(output, format.channels, 2);
  append_little_endian(output, format.sample_rate, 4);
  append_little_endian(output, format.sample_rate * frame_bytes, 4);  // at most 768000 * 8 * 4: fits
  append_little_endian(output, frame_bytes, 2);
  append_little_endian(output, format.bits_per_sample, 2);
  if (has_comment) {
    append_tag(output, "LIST");
    append_little_endian(output, static_cast<std::uint32_t>(list_size), 4);
    append_tag(output, "INFO");
    append_tag(output, "ICMT");
    append_little_endian(output, static_cast<std::uint32_t>(comment_size), 4);
    append_tag(output, *comment);
    output.push_back(0);
    if ((comment_size & 1u) != 0) output.push_back(0);
  }
  append_tag(output, "data");
  append_little_endian(output, static_cast<std::uint32_t>(data_size), 4);
  output.insert(output.end(), sample_bytes.begin(), sample_bytes.end());
  if ((data_size & 1u) != 0) output.push_back(0);
  return output;
}

result<std::vector<std::uint8_t>> write_pcm16_wav(std::span<const float> samples, std::uint16_t channels,
                                                  std::uint32_t sample_rate) {
  wav_format format;
  format.encoding = wav_sample_encoding::pcm_integer;
  format.channels = channels;
  format.sample_rate = sample_rate;
  format.bits_per_sample = 16;
  if (auto valid = validate_format(format); !valid) {
    return make_error(error_code::invalid_argument, "cannot write this WAV format: " + valid.failure().message);
  }
  if (samples.size() % channels != 0) {
    return make_error(error_code::invalid_argument, std::to_string(samples.size()) + " samples are not whole frames of " +
                                                        std::to_string(channels) + " channels");
  }
  std::vector<std::uint8_t> sample_bytes;
  sample_bytes.reserve(samples.size() * 2);
  for (std::size_t index = 0; index < samples.size(); ++index) {
    const float sample = samples[index];
    if (!std::isfinite(sample)) {
      return make_error(error_code::non_finite_value, "audio sample " + std::to_string(index) + " is not a finite number");
    }
    // Symmetric scaling by 32767: -1 and 1 map to -32767 and 32767, so silence stays 0 and no sign flips.
    const auto step = static_cast<std::int16_t>(std::lround(std::clamp(sample, -1.0f, 1.0f) * 32767.0f));
    const auto bits = static_cast<std::uint16_t>(step);
    sample_bytes.push_back(static_cast<std::uint8_t>(bits & 0xFFu));
    sample_bytes.push_back(static_cast<std::uint8_t>(bits >> 8));
  }
  return write_wav(format, sample_bytes);
}

result<std::vector<wav_segment>> split_wav(std::span<const std::uint8_t> bytes, std::uint32_t max_seconds) {
  if (max_seconds == 0) return make_error(error_code::invalid_argument, "max_seconds must be at least 1");
  auto parsed = parse_wav(bytes);
  if (!parsed) return std::move(parsed).failure();
  const wav_info& info = *parsed;
  const std::optional<std::string> comment = read_wav_comment(bytes);
  const std::uint64_t frames_per_segment = std::uint64_t{max_seconds} * info.format.sample_rate;
  const std::uint32_t frame_bytes = info.format.bytes_per_frame();
  const auto milliseconds_at = [&](std::uint64_t frame) { return frame * 1000 / info.format.sample_rate; };

  std::vector<wav_segment> segments;
  for (std::uint64_t start = 0; start < info.frame_count; start += frames_per_segment) {
    const std::uint64_t stop = std::min(info.frame_count, start + frames_per_segment);
    // Both values are within info.data_size, which is a size_t.
    const byte_span samples = bytes.subspan(info.data_offset + static_cast<std::size_t>(start * frame_bytes),
                                            static_cast<std::size_t>((stop - start) * frame_bytes));
    auto written = write_wav(info.format, samples, comment);
    if (!written) return std::move(written).failure();
    wav_segment segment;
    segment.wav_bytes = std::move(*written);
    segment.start_milliseconds = milliseconds_at(start);
    segment.duration_milliseconds = milliseconds_at(stop) - milliseconds_at(start);
    segments.push_back(std::move(segment));
  }
  return segments;
}

std::optional<std::string> read_wav_comment(std::span<const std::uint8_t> bytes) {
  if (!is_riff_wave(bytes)) return std::nullopt;
  const byte_span riff = bytes.first(riff_end(bytes));
  std::size_t offset = riff_header_size;
  while (riff.size() - offset >= chunk_header_size) {
    const std::size_t size = read_little_endian_32(riff, offset + 4);
    if (size > riff.size() - offset - chunk_header_size) return std::nullopt;
    const byte_span chunk = riff.subspan(offset + chunk_header_size, size);
    if (has_tag(riff, offset, "LIST") && has_tag(chunk, 0, "INFO")) {
      std::size_t inner = 4;
      while (chunk.size() - inner >= chunk_header_size) {
        const std::size_t inner_size = read_little_endian_32(chunk, inner + 4);
        if (inner_size > chunk.size() - inner - chunk_header_size) break;
        if (has_tag(chunk, inner, "ICMT")) {
          byte_span comment = chunk.subspan(inner + chunk_header_size, inner_size);
          while (!comment.empty() && comment.back() == 0) comment = comment.first(comment.size() - 1);
          if (!comment.empty()) {
            return text::is_valid_utf8(comment) ? std::string(comment.begin(), comment.end()) : text::latin1_to_utf8(comment);
          }
        }
        inner += chunk_header_size + inner_size;
        if ((inner_size & 1u) != 0 && inner < chunk.size()) ++inner;  // sub-chunks are padded to even sizes too
      }
    }
    offset += chunk_header_size + size;
    if ((size & 1u) != 0 && offset < riff.size()) ++offset;
  }
  return std::nullopt;
}

}  // namespace mosaic::media
