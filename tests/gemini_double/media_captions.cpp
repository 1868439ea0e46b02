#include "media_captions.hpp"

#include "media/png_text.hpp"
#include "media/wav_audio.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

namespace mosaic::gemini_double {
namespace {

using byte_span = std::span<const std::uint8_t>;

constexpr std::array<std::uint8_t, 8> png_signature = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

bool has_tag(byte_span bytes, std::size_t offset, std::string_view tag) noexcept {
  if (offset > bytes.size() || bytes.size() - offset < tag.size()) return false;
  for (std::size_t index = 0; index < tag.size(); ++index) {
    if (bytes[offset + index] != static_cast<unsigned char>(tag[index])) return false;
  }
  return true;
}

}  // namespace

bool has_png_signature(std::span<const std::uint8_t> bytes) noexcept {
  return bytes.size() >= png_signature.size() && std::equal(png_signature.begin(), png_signature.end(), bytes.begin());
}

bool has_jpeg_signature(std::span<const std::uint8_t> bytes) noexcept {
  // Start-of-image marker followed by the next marker's 0xFF.
  return bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
}

bool has_wav_header(std::span<const std::uint8_t> bytes) noexcept {
  return bytes.size() >= 12 && has_tag(bytes, 0, "RIFF") && has_tag(bytes, 8, "WAVE");
}

// The core's reader (shared/media), so the double and the indexer agree on what a PNG caption is.
std::optional<std::string> png_description(std::span<const std::uint8_t> bytes) { return media::read_png_description(bytes); }

// The core's reader (shared/media), so the double and the indexer agree on what a WAV caption is.
std::optional<std::string> wav_comment(std::span<const std::uint8_t> bytes) { return media::read_wav_comment(bytes); }

}  // namespace mosaic::gemini_double
