#pragma once
// A video file held in memory, opened by FFmpeg's demuxers (libavformat) for the video readers of
// server/extract/ (video_probe, video_poster, video_segments): no file is written or read, the bytes
// are handed in. The bytes are hostile: the demuxer reads through a callback that counts what it
// reads, and once it has read `max_read_factor` times the file (a damaged index sending it round in
// circles) every further read fails, so no file makes it spin; formats are limited to the ones the
// indexer detects (MP4/MOV, ISO base media), so no other demuxer of FFmpeg's long list sees the bytes.
// FFmpeg's own log is silenced once per process: the caller reports one reason per file.
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/result.hpp"

struct AVFormatContext;
struct AVIOContext;

namespace mosaic::extract {

struct video_input_limits {
  std::uint64_t max_read_factor = 8;  // bytes read by the demuxer, at most this many times the file (plus 1 MiB)
  std::uint64_t max_pixels = 8192ull * 4320;  // 8K UHD: a larger picture is refused before any decode
  std::uint32_t max_side = 16384;
};

// An opened video: its stream headers read (avformat_find_stream_info). Not copyable; the bytes must
// outlive it.
class video_input {
 public:
  // Errors: invalid_argument (no bytes), invalid_media (not a container FFmpeg reads: wrong magic,
  // truncated before its header), media_too_large (over 2 GiB).
  static result<std::unique_ptr<video_input>> open(std::span<const std::uint8_t> bytes,
                                                   const video_input_limits& limits = {});
  ~video_input();
  video_input(const video_input&) = delete;
  video_input& operator=(const video_input&) = delete;

  AVFormatContext* format() const noexcept { return format_; }
  // The stream every reader of the picture uses (FFmpeg's best video stream), checked: errors
  // invalid_media (no streams at all), unsupported_media (no video stream, a codec without a decoder
  // in this FFmpeg), media_too_large (a picture over max_pixels or max_side, or of no size).
  result<int> video_stream() const;
  std::span<const std::uint8_t> bytes() const noexcept { return bytes_; }
  // FFmpeg's error text for a return code ("Invalid data found when processing input").
  static std::string error_text(int code);

 private:
  video_input() = default;
  static int read_packet(void* opaque, std::uint8_t* buffer, int size);
  static std::int64_t seek(void* opaque, std::int64_t offset, int whence);

  std::span<const std::uint8_t> bytes_;
  std::uint64_t position_ = 0;
  std::uint64_t bytes_read_ = 0;
  std::uint64_t read_budget_ = 0;
  video_input_limits limits_;
  AVIOContext* io_ = nullptr;
  AVFormatContext* format_ = nullptr;
};

}  // namespace mosaic::extract
