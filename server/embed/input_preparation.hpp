#pragma once
// The one check of what callers send to be embedded, before anything goes upstream, and what makes
// it ready: every inline part's declared MIME type must be one Gemini Embedding 2 takes
// (media/gemini_media_rules.hpp) and one the provider embeds, and must match the bytes (decided by
// magic numbers, not trusted); images are decoded (which proves them whole) and, when larger than
// needed, resized and re-encoded as JPEG; audio, video and PDFs are measured against Gemini's limits.
// Used by /api/embed, the /v1beta pass-through, /api/search and the indexer, so all of them refuse
// the same things with the same messages; providers take what passed it as it is.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "embed/embedding_provider.hpp"
#include "embed/gemini_request_size.hpp"
#include "media/gemini_media_rules.hpp"

namespace mosaic::server {

// Gemini's own limits come from its media rules; the others are this server's.
struct input_limits {
  std::size_t max_parts = 32;                          // per input
  std::size_t max_images = media::gemini_limit(media::media_kind::image);  // per input
  std::size_t max_text_bytes = 32 * 1024;              // per text part (8,192 tokens is about this)
  // One input, as it will be sent (base64 media, escaped text, its title, plus what the provider adds
  // around it: gemini_request_allowance_bytes), must fit one Gemini request: 20 MB. Raw media hold
  // 3 bytes in 4, so about 15 MB of media fit.
  std::size_t max_request_bytes = gemini_max_request_bytes;
  std::uint32_t image_max_side = 1024;                 // longer images are resized before sending
  std::uint32_t max_audio_seconds = media::gemini_limit(media::media_kind::audio);  // WAV and MP3, from their headers
  std::uint32_t max_video_seconds = media::gemini_limit(media::media_kind::video);  // MP4/MOV, from moov/mvhd
  std::uint64_t max_pdf_pages = media::gemini_limit(media::media_kind::pdf);  // from the page tree and page objects
};

// Checks and prepares every part of `input` in place. `where` prefixes messages ("inputs[2]").
// `provider`, when given, is the one that will embed the input: media it does not take (the local
// model takes text only) are refused first. Errors: invalid_argument (no parts, too many parts or
// images, empty or too long text, empty data, bytes not what they claim), invalid_utf8, unsupported_media
// (a MIME type Gemini or the provider does not take), media_too_large (over a size or length cap: the
// request size, audio or video length, PDF pages), invalid_media (a corrupt image, WAV, MP3, MP4/MOV
// or PDF). Aliases (audio/x-wav, image/jpg) become the canonical MIME type. Media that cannot fit a
// request are refused before they are parsed; images are measured after resizing, at the size they
// will be sent.
status prepare_input(embedding_input& input, const input_limits& limits, std::string_view where,
                     const embedding_provider* provider = nullptr);

// Raw media beyond this many bytes cannot fit a request (their base64 alone passes the cap less the
// allowance): callers can refuse a file by its size before reading it. At or below it, prepare_input
// still decides, counting the rest of the input.
std::size_t largest_media_bytes(const input_limits& limits) noexcept;

// The refusal of `media_bytes` of media as prepare_input words it, for a caller that refuses a
// file by its size alone (the request is counted as its base64 plus the allowance: a lower bound).
error media_too_large_for_request(std::string_view where, std::size_t media_bytes, const input_limits& limits);

}  // namespace mosaic::server
