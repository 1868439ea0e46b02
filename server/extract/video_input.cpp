#include "extract/video_input.hpp"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <mutex>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
}

namespace mosaic::extract {
namespace {

constexpr int io_buffer_bytes = 64 * 1024;

void silence_ffmpeg() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_QUIET); });
}

}  // namespace

std::string video_input::error_text(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  return text;
}

int video_input::read_packet(void* opaque, std::uint8_t* buffer, int size) {
  auto* input = static_cast<video_input*>(opaque);
  if (input->position_ >= input->bytes_.size()) return AVERROR_EOF;
  // A demuxer led in circles by a damaged index reads the same bytes again and again: past the
  // budget it sees the end of the file, and gives up.
  if (input->bytes_read_ >= input->read_budget_) return AVERROR_EOF;
  const std::uint64_t available = input->bytes_.size() - input->position_;
  const std::uint64_t count = std::min<std::uint64_t>({available, static_cast<std::uint64_t>(size),
                                                       input->read_budget_ - input->bytes_read_});
  std::memcpy(buffer, input->bytes_.data() + input->position_, count);
  input->position_ += count;
  input->bytes_read_ += count;
  return static_cast<int>(count);
}

std::int64_t video_input::seek(void* opaque, std::int64_t offset, int whence) {
  auto* input = static_cast<video_input*>(opaque);
  const auto size = static_cast<std::int64_t>(input->bytes_.size());
  if ((whence & AVSEEK_SIZE) != 0) return size;
  std::int64_t target = 0;
  switch (whence & ~AVSEEK_FORCE) {
    case SEEK_SET: target = offset; break;
    case SEEK_CUR: target = static_cast<std::int64_t>(input->position_) + offset; break;
    case SEEK_END: target = size + offset; break;
    default: return AVERROR(EINVAL);
  }
  if (target < 0 || target > size) return AVERROR(EINVAL);
  input->position_ = static_cast<std::uint64_t>(target);
  return target;
}

result<std::unique_ptr<video_input>> video_input::open(std::span<const std::uint8_t> bytes,
                                                       const video_input_limits& limits) {
  if (bytes.empty()) return make_error(error_code::invalid_argument, "an empty video file");
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    return make_error(error_code::media_too_large, "video files over 2 GiB are not read");
  }
  silence_ffmpeg();
  std::unique_ptr<video_input> input(new video_input());
  input->bytes_ = bytes;
  input->limits_ = limits;
  input->read_budget_ = bytes.size() * std::max<std::uint64_t>(limits.max_read_factor, 1) + (1u << 20);
  auto* buffer = static_cast<unsigned char*>(av_malloc(io_buffer_bytes));
  if (buffer == nullptr) return make_error(error_code::media_too_large, "no memory to read the video");
  input->io_ = avio_alloc_context(buffer, io_buffer_bytes, 0, input.get(), &video_input::read_packet, nullptr,
                                  &video_input::seek);
  if (input->io_ == nullptr) {
    av_free(buffer);
    return make_error(error_code::media_too_large, "no memory to read the video");
  }
  input->format_ = avformat_alloc_context();
  if (input->format_ == nullptr) return make_error(error_code::media_too_large, "no memory to read the video");
  input->format_->pb = input->io_;
  input->format_->flags |= AVFMT_FLAG_CUSTOM_IO;
  // Only the ISO base media demuxer (MP4, MOV, M4V, 3GP): what detect_media_kind calls video. The
  // others (hundreds) never parse these bytes.
  const AVInputFormat* mp4 = av_find_input_format("mp4");
  if (mp4 == nullptr) return make_error(error_code::unsupported_media, "this FFmpeg has no MP4/MOV demuxer");
  AVDictionary* options = nullptr;
  // Stream information is read from at most 5 MB and 5 s of packets, whatever the file claims.
  av_dict_set(&options, "probesize", "5000000", 0);
  av_dict_set(&options, "analyzeduration", "5000000", 0);
  int status = avformat_open_input(&input->format_, nullptr, mp4, &options);
  av_dict_free(&options);
  if (status < 0) {
    input->format_ = nullptr;  // freed by avformat_open_input on failure
    return make_error(error_code::invalid_media, "not a video FFmpeg can read: " + error_text(status));
  }
  status = avformat_find_stream_info(input->format_, nullptr);
  if (status < 0) {
    return make_error(error_code::invalid_media, "a damaged video whose streams cannot be read: " + error_text(status));
  }
  return input;
}

result<int> video_input::video_stream() const {
  if (format_->nb_streams == 0) return make_error(error_code::invalid_media, "a video file with no streams");
  const int index = av_find_best_stream(format_, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index < 0) return make_error(error_code::unsupported_media, "a video file with no video stream");
  const AVCodecParameters* parameters = format_->streams[index]->codecpar;
  const char* name = avcodec_get_name(parameters->codec_id);
  if (avcodec_find_decoder(parameters->codec_id) == nullptr) {
    return make_error(error_code::unsupported_media,
                      std::string("a video in the ") + name + " codec, which this FFmpeg cannot decode");
  }
  const auto width = static_cast<std::uint64_t>(std::max(parameters->width, 0));
  const auto height = static_cast<std::uint64_t>(std::max(parameters->height, 0));
  if (width == 0 || height == 0) {
    return make_error(error_code::invalid_media, std::string("a ") + name + " video stream without a picture size");
  }
  if (width > limits_.max_side || height > limits_.max_side || width * height > limits_.max_pixels) {
    return make_error(error_code::media_too_large, "a " + std::to_string(width) + "x" + std::to_string(height) +
                                                       " video, over the " + std::to_string(limits_.max_pixels) +
                                                       " pixels a frame this indexer decodes");
  }
  return index;
}

video_input::~video_input() {
  if (format_ != nullptr) avformat_close_input(&format_);
  if (io_ != nullptr) {
    av_freep(&io_->buffer);
    avio_context_free(&io_);
  }
}

}  // namespace mosaic::extract
