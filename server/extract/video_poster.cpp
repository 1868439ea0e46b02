#include "extract/video_poster.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <optional>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
}

namespace mosaic::extract {
namespace {

// The grey copy a frame is judged on: small, so a 4K frame costs as little to judge as a thumbnail.
constexpr int look_side = 64;

struct packet_deleter {
  void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};
struct frame_deleter {
  void operator()(AVFrame* frame) const { av_frame_free(&frame); }
};
struct codec_deleter {
  void operator()(AVCodecContext* codec) const { avcodec_free_context(&codec); }
};
struct scaler_deleter {
  void operator()(SwsContext* scaler) const { sws_freeContext(scaler); }
};
using frame_pointer = std::unique_ptr<AVFrame, frame_deleter>;

// frame scaled to width x height in `format` (GRAY8 or RGB24), packed rows; empty when swscale refuses.
std::vector<std::uint8_t> scaled(const AVFrame& frame, int width, int height, AVPixelFormat format, int channels) {
  const auto source_format = static_cast<AVPixelFormat>(frame.format);
  if (sws_isSupportedInput(source_format) == 0) return {};
  std::unique_ptr<SwsContext, scaler_deleter> scaler(
      sws_getContext(frame.width, frame.height, source_format, width, height, format, SWS_AREA, nullptr, nullptr, nullptr));
  if (!scaler) return {};
  std::vector<std::uint8_t> pixels(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * static_cast<std::size_t>(channels));
  std::uint8_t* planes[4] = {pixels.data(), nullptr, nullptr, nullptr};
  int strides[4] = {width * channels, 0, 0, 0};
  if (sws_scale(scaler.get(), frame.data, frame.linesize, 0, frame.height, planes, strides) != height) return {};
  return pixels;
}

// The first frame decoded from `stream` after the demuxer's position, reading at most `max_packets`.
frame_pointer decode_next_frame(AVFormatContext* format, AVCodecContext* codec, int stream, std::uint32_t max_packets) {
  std::unique_ptr<AVPacket, packet_deleter> packet(av_packet_alloc());
  frame_pointer frame(av_frame_alloc());
  if (!packet || !frame) return nullptr;
  for (std::uint32_t read = 0; read < max_packets; ++read) {
    const int status = av_read_frame(format, packet.get());
    if (status < 0) {
      avcodec_send_packet(codec, nullptr);  // the end: drain what the decoder holds
    } else if (packet->stream_index != stream) {
      av_packet_unref(packet.get());
      continue;
    } else {
      const int sent = avcodec_send_packet(codec, packet.get());
      av_packet_unref(packet.get());
      if (sent < 0 && sent != AVERROR(EAGAIN)) continue;  // a damaged packet: try the next
    }
    if (avcodec_receive_frame(codec, frame.get()) == 0) return frame;
    if (status < 0) return nullptr;
  }
  return nullptr;
}

}  // namespace

frame_look look_at_grey_frame(std::span<const std::uint8_t> grey, std::uint32_t width, std::uint32_t height) {
  frame_look look;
  const std::size_t count = static_cast<std::size_t>(width) * height;
  if (count == 0 || grey.size() < count) return look;
  std::array<std::uint64_t, 256> histogram{};
  double sum = 0;
  double squares = 0;
  for (std::size_t index = 0; index < count; ++index) {
    const std::uint8_t value = grey[index];
    ++histogram[value];
    sum += value;
    squares += static_cast<double>(value) * value;
  }
  look.mean_brightness = sum / static_cast<double>(count);
  look.brightness_spread = std::sqrt(std::max(0.0, squares / static_cast<double>(count) - look.mean_brightness * look.mean_brightness));
  for (const std::uint64_t bin : histogram) {
    if (bin == 0) continue;
    const double share = static_cast<double>(bin) / static_cast<double>(count);
    look.entropy_bits -= share * std::log2(share);
  }
  return look;
}

result<video_poster> pick_video_poster(std::span<const std::uint8_t> bytes, const video_poster_limits& limits) {
  if (limits.candidates == 0 || limits.longest_side == 0) {
    return make_error(error_code::invalid_argument, "a poster needs at least one candidate and one pixel");
  }
  auto input = video_input::open(bytes, limits.input);
  if (!input) return input.failure();
  AVFormatContext* format = input.value()->format();
  const auto stream_index = input.value()->video_stream();
  if (!stream_index) return stream_index.failure();
  AVStream* stream = format->streams[stream_index.value()];
  const AVCodec* decoder = avcodec_find_decoder(stream->codecpar->codec_id);
  std::unique_ptr<AVCodecContext, codec_deleter> codec(avcodec_alloc_context3(decoder));
  if (!codec || avcodec_parameters_to_context(codec.get(), stream->codecpar) < 0) {
    return make_error(error_code::media_too_large, "no memory to decode the video");
  }
  // One thread (the indexer runs files side by side already), and the decoder itself refuses a
  // frame larger than the budget, whatever a later header in the stream claims.
  codec->thread_count = 1;
  codec->max_pixels = static_cast<std::int64_t>(limits.input.max_pixels);
  codec->pkt_timebase = stream->time_base;
  if (const int opened = avcodec_open2(codec.get(), decoder, nullptr); opened < 0) {
    return make_error(error_code::unsupported_media,
                      std::string("a video whose ") + decoder->name + " stream cannot be decoded: " + video_input::error_text(opened));
  }

  const std::int64_t stream_start = stream->start_time != AV_NOPTS_VALUE ? stream->start_time : 0;
  std::int64_t stream_length = stream->duration != AV_NOPTS_VALUE && stream->duration > 0 ? stream->duration : 0;
  if (stream_length == 0 && format->duration > 0) {
    stream_length = av_rescale_q(format->duration, AVRational{1, AV_TIME_BASE}, stream->time_base);
  }
  frame_pointer best;
  frame_look best_look;
  bool best_representative = false;
  video_poster poster;
  for (std::uint32_t candidate = 0; candidate < limits.candidates; ++candidate) {
    // The middle of the candidate's span: 1/16, 3/16, ... 15/16 of the video for 8 candidates.
    const std::int64_t target = stream_start + av_rescale(stream_length, 2 * candidate + 1, 2 * std::int64_t{limits.candidates});
    if (candidate > 0 && stream_length == 0) break;  // unknown length: only the first frame
    if (av_seek_frame(format, stream_index.value(), target, AVSEEK_FLAG_BACKWARD) < 0) continue;
    avcodec_flush_buffers(codec.get());
    frame_pointer frame = decode_next_frame(format, codec.get(), stream_index.value(), limits.max_packets_per_candidate);
    if (!frame || frame->width <= 0 || frame->height <= 0) continue;
    const std::vector<std::uint8_t> grey = scaled(*frame, look_side, look_side, AV_PIX_FMT_GRAY8, 1);
    if (grey.empty()) continue;
    ++poster.frames_decoded;
    const frame_look look = look_at_grey_frame(grey, look_side, look_side);
    // A representative frame beats any black or blank one; among equals, the richer histogram wins.
    const bool better = !best || (look.representative() && !best_representative) ||
                        (look.representative() == best_representative && look.entropy_bits > best_look.entropy_bits);
    if (better) {
      best = std::move(frame);
      best_look = look;
      best_representative = look.representative();
    }
  }
  if (!best) return make_error(error_code::invalid_media, "a video none of whose sampled frames could be decoded");

  const double scale = std::min(1.0, static_cast<double>(limits.longest_side) / std::max(best->width, best->height));
  const int width = std::max(1, static_cast<int>(std::lround(best->width * scale)));
  const int height = std::max(1, static_cast<int>(std::lround(best->height * scale)));
  poster.rgb_pixels = scaled(*best, width, height, AV_PIX_FMT_RGB24, 3);
  if (poster.rgb_pixels.empty()) return make_error(error_code::unsupported_media, "a video frame swscale cannot convert");
  poster.width = static_cast<std::uint32_t>(width);
  poster.height = static_cast<std::uint32_t>(height);
  poster.look = best_look;
  const std::int64_t timestamp = best->best_effort_timestamp != AV_NOPTS_VALUE ? best->best_effort_timestamp : best->pts;
  if (timestamp != AV_NOPTS_VALUE && timestamp > stream_start) {
    poster.at_milliseconds = static_cast<std::uint64_t>(av_rescale_q(timestamp - stream_start, stream->time_base, AVRational{1, 1000}));
  }
  return poster;
}

}  // namespace mosaic::extract
