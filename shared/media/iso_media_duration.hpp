#pragma once
// The length of an MP4/MOV (ISO base media / QuickTime) file, from the movie header: moov/mvhd holds a
// timescale (units per second) and a duration in those units. Boxes are walked as hostile input:
// every size is checked against its parent, 64-bit sizes are read, size 0 ("to the end") is allowed
// only where the format allows it. Nothing is decoded.
#include <cstdint>
#include <span>

#include "core/result.hpp"

namespace mosaic::media {

// Errors: invalid_media (a box that runs past its parent, no moov or no mvhd, timescale 0, an mvhd
// too short for its version), unsupported_media (an mvhd version other than 0 and 1, or a fragmented
// file, moov/mvex, whose header says 0 or "unknown": its length is only in the fragments).
result<std::uint64_t> iso_media_duration_milliseconds(std::span<const std::uint8_t> bytes);

}  // namespace mosaic::media
