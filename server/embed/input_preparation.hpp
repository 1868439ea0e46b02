#pragma once
// Checks what callers send to be embedded, before anything goes upstream, and makes it ready: every
// inline part's declared MIME type must be one Gemini Embedding 2 takes and must match the bytes
// (decided by magic numbers, not trusted), images are decoded (which proves them whole) and, when
// larger than needed, resized and re-encoded as JPEG; WAV audio is parsed and its length checked.
// Used by /api/embed, the /v1beta pass-through and the indexer, so all three refuse the same things
// with the same messages.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "embed/embedding_request.hpp"

namespace mosaic::server {

struct input_limits {
  std::size_t max_parts = 32;                          // per input
  std::size_t max_images = 6;                          // per input (Gemini's limit)
  std::size_t max_text_bytes = 32 * 1024;              // per text part (8,192 tokens is about this)
  std::size_t max_inline_bytes = 20ull * 1024 * 1024;  // all inline parts of one input, as received
  std::uint32_t image_max_side = 1024;                 // longer images are resized before sending
  std::uint32_t max_audio_seconds = 80;                // WAV and MP3, measured from their headers
  std::uint32_t max_video_seconds = 120;               // MP4/MOV, from the movie header (moov/mvhd)
  std::uint64_t max_pdf_pages = 6;                     // from the page tree and the page objects
};

// The MIME types an inline part may declare, canonical spelling first; aliases (audio/x-wav,
// audio/mp3) are rewritten to the canonical one.
std::string_view canonical_mime_type(std::string_view declared) noexcept;  // "" when not accepted
inline constexpr std::string_view accepted_mime_types_text =
    "image/png, image/jpeg, audio/wav, audio/mpeg, video/mp4, video/quicktime, application/pdf";

// Prepares every part of `input` in place. `where` prefixes messages ("inputs[2]"). Errors:
// invalid_argument (empty, too many parts or images, text too long, bytes not what they claim),
// unsupported_media (a MIME type Gemini does not take), media_too_large (over a size or length
// cap: size, audio or video length, PDF pages), invalid_media (a corrupt image, WAV, MP3, MP4/MOV or PDF).
status prepare_input(embedding_input& input, const input_limits& limits, std::string_view where);

}  // namespace mosaic::server
