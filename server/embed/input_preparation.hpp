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
#include "embed/gemini_request_size.hpp"

namespace mosaic::server {

struct input_limits {
  std::size_t max_parts = 32;                          // per input
  std::size_t max_images = 6;                          // per input (Gemini's limit)
  std::size_t max_text_bytes = 32 * 1024;              // per text part (8,192 tokens is about this)
  // One input, as it will be sent (base64 media, escaped text, its title, plus what the provider adds
  // around it: gemini_request_allowance_bytes), must fit one Gemini request: 20 MB. Raw media hold
  // 3 bytes in 4, so about 15 MB of media fit.
  std::size_t max_request_bytes = gemini_max_request_bytes;
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
// cap: the request size, audio or video length, PDF pages), invalid_media (a corrupt image, WAV,
// MP3, MP4/MOV or PDF). Media that cannot fit a request are refused before they are parsed; images
// are measured after resizing, at the size they will be sent.
status prepare_input(embedding_input& input, const input_limits& limits, std::string_view where);

// Raw media beyond this many bytes cannot fit a request (their base64 alone passes the cap less the
// allowance): callers can refuse a file by its size before reading it. At or below it, prepare_input
// still decides, counting the rest of the input.
std::size_t largest_media_bytes(const input_limits& limits) noexcept;

// The refusal of `media_bytes` of media as prepare_input words it, for a caller that refuses a
// file by its size alone (the request is counted as its base64 plus the allowance: a lower bound).
error media_too_large_for_request(std::string_view where, std::size_t media_bytes, const input_limits& limits);

}  // namespace mosaic::server
