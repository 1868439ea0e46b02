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
  const media::gemini_media_rule* rule = media::find_gemini_media_rule(part.mime_type);
  if (rule == nullptr) {
    return make_error(error_code::unsupported_media, where + ": MIME type '" + part.mime_type +
                                                         "' cannot be embedded; use one of " +
                                                         media::gemini_mime_types_text());
  }
  const std::string_view canonical = rule->mime_type;
  if (part.bytes.empty()) return make_error(error_code::invalid_argument, where + ": the data is empty");
  const media::media_detection detected = media::detect_media_kind(as_bytes(part.bytes));
  if (detected.mime_type != canonical) {
    const std::string actual = detected.mime_type.empty() ? std::string("not a recognised format")
                                                          : "a " + std::string(detected.mime_type) + " file";
    return make_error(error_code::invalid_argument,
                      where + ": declared " + std::string(canonical) + " but the data is " + actual);
  }
  part.mime_type = canonical;
  if (rule->kind == media::media_kind::image) {
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
  } else if (rule->kind == media::media_kind::audio) {
    // Both audio formats are measured from their own headers (WAV's data size, MP3's frames), so an
    // over-long recording is refused here instead of being cut or refused upstream.
    auto duration = canonical == "audio/wav" ? wav_duration(as_bytes(part.bytes)) : mp3_duration(as_bytes(part.bytes));
    if (!duration) return make_error(duration.failure().code, where + ": " + duration.failure().message);
    if (*duration > std::uint64_t{limits.max_audio_seconds} * 1000) {
      return make_error(error_code::media_too_large,
                        where + ": the recording lasts " + std::to_string(*duration / 1000) + " s; at most " +
                            std::to_string(limits.max_audio_seconds) + " s can be embedded");
    }
  } else if (rule->kind == media::media_kind::video) {
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
  } else if (rule->kind == media::media_kind::pdf) {
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

// A provider that takes no media of this type (the local model embeds text only) refuses it before
// anything is parsed: the caller learns which provider would take it.
status check_provider_takes(const embedding_provider& provider, const embedding_part& part, const std::string& where) {
  const media::gemini_media_rule* rule = media::find_gemini_media_rule(part.mime_type);
  if (rule == nullptr || provider.accepts_mime_type(rule->mime_type)) return success{};
  return make_error(error_code::unsupported_media, where + ": the " + provider.model_id() + " model embeds text only; " +
                                                       part.mime_type + " needs the gemini provider");
}

std::string part_where(const std::string& prefix, std::size_t index) {
  return prefix + ".parts[" + std::to_string(index) + "]";
}

}  // namespace

status prepare_input(embedding_input& input, const input_limits& limits, std::string_view where,
                     const embedding_provider* provider) {
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
  for (std::size_t index = 0; index < input.parts.size(); ++index) {
    const embedding_part& part = input.parts[index];
    if (part.is_text()) continue;
    if (provider != nullptr) {
      if (auto taken = check_provider_takes(*provider, part, part_where(prefix, index)); !taken) return taken;
    }
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
    const std::string here = part_where(prefix, index);
    if (part.is_text()) {
      if (part.text.empty()) return make_error(error_code::invalid_argument, here + ": empty text (nothing to embed)");
      if (part.text.size() > limits.max_text_bytes) {
        return make_error(error_code::invalid_argument, here + ": the text is longer than " +
                                                            std::to_string(limits.max_text_bytes) + " bytes");
      }
      if (auto invalid = text::find_utf8_error(part.text)) {
        return make_error(error_code::invalid_utf8, here + ": the text is not UTF-8 (byte " +
                                                        std::to_string(invalid->offset) + ": " + invalid->description() + ")");
      }
      continue;
    }
    if (auto prepared = prepare_inline_part(part, limits, here); !prepared) return prepared;
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
