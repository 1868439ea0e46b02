#include "embed/input_preparation.hpp"

#include <array>
#include <span>
#include <utility>

#include "media/image_preparation.hpp"
#include "media/image_structure.hpp"
#include "media/iso_media_duration.hpp"
#include "media/media_kind.hpp"
#include "media/mp3_audio.hpp"
#include "media/pdf_pages.hpp"
#include "media/wav_audio.hpp"
#include "text/utf8.hpp"

namespace mosaic::server {
namespace {

std::span<const std::uint8_t> as_bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

result<std::uint64_t> wav_duration(std::span<const std::uint8_t> bytes) {
  auto wav = media::parse_wav(bytes);
  if (!wav) return wav.failure();
  return wav->duration_milliseconds;
}

result<std::uint64_t> mp3_duration(std::span<const std::uint8_t> bytes) {
  auto mp3 = media::parse_mp3(bytes);
  if (!mp3) return mp3.failure();
  return mp3->duration_milliseconds;
}

// "2:30" for 150,000 ms: how a length reads in a message.
std::string clock_time(std::uint64_t milliseconds) {
  const std::uint64_t seconds = milliseconds / 1000;
  const std::uint64_t remainder = seconds % 60;
  return std::to_string(seconds / 60) + (remainder < 10 ? ":0" : ":") + std::to_string(remainder);
}

status prepare_inline_part(embedding_part& part, const input_limits& limits, const std::string& where) {
  const std::string_view canonical = canonical_mime_type(part.mime_type);
  if (canonical.empty()) {
    return make_error(error_code::unsupported_media, where + ": MIME type '" + part.mime_type +
                                                         "' cannot be embedded; use one of " +
                                                         std::string(accepted_mime_types_text));
  }
  if (part.bytes.empty()) return make_error(error_code::invalid_argument, where + ": the data is empty");
  const media::media_detection detected = media::detect_media_kind(as_bytes(part.bytes));
  if (detected.mime_type != canonical) {
    const std::string actual = detected.mime_type.empty() ? std::string("not a recognised format")
                                                          : "a " + std::string(detected.mime_type) + " file";
    return make_error(error_code::invalid_argument,
                      where + ": declared " + std::string(canonical) + " but the data is " + actual);
  }
  part.mime_type = canonical;
  if (detected.kind == media::media_kind::image) {
    const status structure = canonical == "image/png" ? media::check_png_structure(as_bytes(part.bytes))
                                                      : media::check_jpeg_structure(as_bytes(part.bytes));
    if (!structure) return make_error(structure.failure().code, where + ": " + structure.failure().message);
    // Decoding proves the pixels are whole; only an image larger than needed is re-encoded.
    auto prepared = media::prepare_image(as_bytes(part.bytes), limits.image_max_side);
    if (!prepared) return make_error(prepared.failure().code, where + ": " + prepared.failure().message);
    if (prepared->resized) {
      part.bytes.assign(prepared->jpeg_bytes.begin(), prepared->jpeg_bytes.end());
      part.mime_type = "image/jpeg";
    }
  } else if (canonical == "audio/wav" || canonical == "audio/mpeg") {
    // Both audio formats are measured from their own headers (WAV's data size, MP3's frames), so an
    // over-long recording is refused here instead of being cut or refused upstream.
    auto duration = canonical == "audio/wav" ? wav_duration(as_bytes(part.bytes)) : mp3_duration(as_bytes(part.bytes));
    if (!duration) return make_error(duration.failure().code, where + ": " + duration.failure().message);
    if (*duration > std::uint64_t{limits.max_audio_seconds} * 1000) {
      return make_error(error_code::media_too_large,
                        where + ": the recording lasts " + std::to_string(*duration / 1000) + " s; at most " +
                            std::to_string(limits.max_audio_seconds) + " s can be embedded");
    }
  } else if (detected.kind == media::media_kind::video) {
    auto duration = media::iso_media_duration_milliseconds(as_bytes(part.bytes));
    if (!duration) {
      return make_error(duration.failure().code,
                        where + ": cannot tell how long this video is: " + duration.failure().message);
    }
    if (*duration > std::uint64_t{limits.max_video_seconds} * 1000) {
      return make_error(error_code::media_too_large,
                        where + ": a video of " + clock_time(*duration) + " (" + std::to_string(*duration / 1000) +
                            " s), over the " + std::to_string(limits.max_video_seconds) + " s Gemini embeds");
    }
  } else if (detected.kind == media::media_kind::pdf) {
    auto pages = media::count_pdf_pages(as_bytes(part.bytes));
    if (!pages) return make_error(pages.failure().code, where + ": cannot count this PDF's pages: " + pages.failure().message);
    if (*pages > limits.max_pdf_pages) {
      return make_error(error_code::media_too_large,
                        where + ": a PDF of " + std::to_string(*pages) + " pages, over the " +
                            std::to_string(limits.max_pdf_pages) + " pages Gemini embeds");
    }
  }
  return success{};
}

}  // namespace

std::string_view canonical_mime_type(std::string_view declared) noexcept {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 11> accepted{{
      {"image/png", "image/png"},
      {"image/jpeg", "image/jpeg"},
      {"image/jpg", "image/jpeg"},
      {"audio/wav", "audio/wav"},
      {"audio/x-wav", "audio/wav"},
      {"audio/wave", "audio/wav"},
      {"audio/mpeg", "audio/mpeg"},
      {"audio/mp3", "audio/mpeg"},
      {"video/mp4", "video/mp4"},
      {"video/quicktime", "video/quicktime"},
      {"application/pdf", "application/pdf"},
  }};
  for (const auto& [alias, canonical] : accepted) {
    if (alias == declared) return canonical;
  }
  return {};
}

status prepare_input(embedding_input& input, const input_limits& limits, std::string_view where) {
  const std::string prefix(where);
  if (input.parts.empty()) return make_error(error_code::invalid_argument, prefix + " has no parts");
  if (input.parts.size() > limits.max_parts) {
    return make_error(error_code::invalid_argument,
                      prefix + " has " + std::to_string(input.parts.size()) + " parts; at most " +
                          std::to_string(limits.max_parts) + " are allowed");
  }
  std::size_t images = 0;
  std::size_t media_bytes = 0;
  std::size_t final_media_encoded_bytes = 0;  // of the parts preparation leaves as they are: all but images
  for (const embedding_part& part : input.parts) {
    if (part.is_text()) continue;
    media_bytes += part.bytes.size();
    if (part.mime_type.starts_with("image/")) {
      ++images;
    } else {
      final_media_encoded_bytes += base64_encoded_bytes(part.bytes.size());
    }
  }
  if (images > limits.max_images) {
    return make_error(error_code::invalid_argument, prefix + " has " + std::to_string(images) +
                                                        " images; at most " + std::to_string(limits.max_images) +
                                                        " can be embedded together");
  }
  // Audio, video and PDF go as they are: when they alone cannot fit, nothing needs parsing to say so.
  if (final_media_encoded_bytes + gemini_request_allowance_bytes > limits.max_request_bytes) {
    return request_too_large_error(prefix, media_bytes, final_media_encoded_bytes + gemini_request_allowance_bytes,
                                   limits.max_request_bytes);
  }
  for (std::size_t index = 0; index < input.parts.size(); ++index) {
    embedding_part& part = input.parts[index];
    const std::string part_where = prefix + ".parts[" + std::to_string(index) + "]";
    if (part.is_text()) {
      if (part.text.empty()) return make_error(error_code::invalid_argument, part_where + ": empty text (nothing to embed)");
      if (part.text.size() > limits.max_text_bytes) {
        return make_error(error_code::invalid_argument, part_where + ": the text is longer than " +
                                                            std::to_string(limits.max_text_bytes) + " bytes");
      }
      if (auto invalid = text::find_utf8_error(part.text)) {
        return make_error(error_code::invalid_utf8, part_where + ": the text is not UTF-8 (byte " +
                                                        std::to_string(invalid->offset) + ": " + invalid->description() + ")");
      }
      continue;
    }
    if (auto prepared = prepare_inline_part(part, limits, part_where); !prepared) return prepared;
  }
  // The whole input as it will be sent (resized images, text, title), with room for what the
  // provider adds; the provider checks again, exactly, with its own model, prefix and size.
  gemini_request_settings unknown_provider;
  unknown_provider.task = embedding_task::retrieval_document;  // the task that sends the title
  const std::size_t request_bytes = gemini_request_bytes(input, unknown_provider) + gemini_request_allowance_bytes;
  if (request_bytes > limits.max_request_bytes) {
    std::size_t prepared_media_bytes = 0;
    for (const embedding_part& part : input.parts) prepared_media_bytes += part.bytes.size();
    return request_too_large_error(prefix, prepared_media_bytes, request_bytes, limits.max_request_bytes);
  }
  return success{};
}

std::size_t largest_media_bytes(const input_limits& limits) noexcept {
  if (limits.max_request_bytes <= gemini_request_allowance_bytes) return 0;
  return (limits.max_request_bytes - gemini_request_allowance_bytes) / 4 * 3;
}

error media_too_large_for_request(std::string_view where, std::size_t media_bytes, const input_limits& limits) {
  return request_too_large_error(where, media_bytes, base64_encoded_bytes(media_bytes) + gemini_request_allowance_bytes,
                                 limits.max_request_bytes);
}

}  // namespace mosaic::server
