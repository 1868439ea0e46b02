#pragma once
// A small picture for a file the index cannot preview (an MP3 without a decoder, a video without a
// frame decoder, a PDF without a renderer): a tile with a plain glyph per kind, as a JPEG, so every
// media result has a thumbnail the way an image has. The bytes depend only on the kind, so a site
// stores each icon once (thumbnails are content-addressed).
#include <cstdint>
#include <vector>

#include "core/result.hpp"
#include "media/media_kind.hpp"

namespace mosaic::media {

inline constexpr std::uint32_t kind_icon_side = 128;

// A kind_icon_side x kind_icon_side JPEG for audio (bars), video (a play sign) or pdf (a page).
// Errors: invalid_argument for the kinds that have their own preview or none (text, image, unknown).
result<std::vector<std::uint8_t>> render_kind_icon_jpeg(media_kind kind);

}  // namespace mosaic::media
