#include "media/iso_media_duration.hpp"

#include <optional>
#include <string>
#include <string_view>

#include "core/byte_reader.hpp"
namespace mosaic::media {
namespace {

error invalid(std::string message) { return make_error(error_code::invalid_media, std::move(message)); }

struct box {
  std::string_view type;
  byte_span body;  // after the size and type fields
};

// The child boxes of `container`, stopping at the first whose size does not fit (an error).
result<std::optional<box>> find_box(byte_span container, std::string_view wanted, std::string_view where) {
  std::size_t offset = 0;
  while (offset < container.size()) {
    const std::size_t remaining = container.size() - offset;
    if (remaining < 8) return invalid("a truncated box header in " + std::string(where));
    std::uint64_t size = read_big_endian(container, offset, 4);
    std::size_t header = 8;
    if (size == 1) {
      if (remaining < 16) return invalid("a truncated 64-bit box size in " + std::string(where));
      size = read_big_endian(container, offset + 8, 8);
      header = 16;
    } else if (size == 0) {
      size = remaining;  // the box runs to the end of its container
    }
    if (size < header || size > remaining) {
      return invalid("a box in " + std::string(where) + " at byte " + std::to_string(offset) + " declares " +
                     std::to_string(size) + " bytes but " + std::to_string(remaining) + " remain");
    }
    const std::string_view type(reinterpret_cast<const char*>(container.data() + offset + 4), 4);
    if (type == wanted) {
      return std::optional<box>(box{type, container.subspan(offset + header, static_cast<std::size_t>(size) - header)});
    }
    offset += static_cast<std::size_t>(size);
  }
  return std::optional<box>();
}

}  // namespace

result<std::uint64_t> iso_media_duration_milliseconds(std::span<const std::uint8_t> bytes) {
  auto movie = find_box(bytes, "moov", "the file");
  if (!movie) return std::move(movie).failure();
  if (!movie.value()) return invalid("no movie box (moov): not a whole MP4/MOV file");
  auto header = find_box(movie.value()->body, "mvhd", "the movie box");
  if (!header) return std::move(header).failure();
  if (!header.value()) return invalid("no movie header box (mvhd) in the movie box");
  const byte_span body = header.value()->body;
  if (body.empty()) return invalid("an empty movie header box");
  const std::uint8_t version = body[0];
  if (version > 1) return make_error(error_code::unsupported_media, "movie header version " + std::to_string(version));
  // version, flags (4), then creation and modification times, timescale (4), duration: 32-bit fields
  // in version 0, 64-bit times and duration in version 1.
  const std::size_t time_width = version == 1 ? 8 : 4;
  const std::size_t timescale_at = 4 + 2 * time_width;
  if (body.size() < timescale_at + 4 + time_width) return invalid("a movie header box too short for its version");
  const std::uint64_t timescale = read_big_endian(body, timescale_at, 4);
  const std::uint64_t duration = read_big_endian(body, timescale_at + 4, time_width);
  if (timescale == 0) return invalid("a movie header with a timescale of 0");
  const bool unknown = duration == (version == 1 ? ~std::uint64_t{0} : 0xFFFFFFFFull);
  auto extends = find_box(movie.value()->body, "mvex", "the movie box");
  if (!extends) return std::move(extends).failure();
  if (unknown || (duration == 0 && extends.value())) {
    return make_error(error_code::unsupported_media,
                      "a fragmented MP4/MOV whose header does not give its length");
  }
  // duration / timescale seconds, without overflowing for huge durations.
  return duration / timescale * 1000 + duration % timescale * 1000 / timescale;
}

}  // namespace mosaic::media
