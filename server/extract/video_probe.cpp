#include "extract/video_probe.hpp"

#include <algorithm>
#include <limits>
#include <memory>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

namespace mosaic::extract {
namespace {

struct packet_deleter {
  void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};

}  // namespace

result<video_facts> probe_video(std::span<const std::uint8_t> bytes, const video_probe_limits& limits) {
  auto input = video_input::open(bytes, limits.input);
  if (!input) return input.failure();
  AVFormatContext* format = input.value()->format();
  const auto stream_index = input.value()->video_stream();
  if (!stream_index) return stream_index.failure();
  const AVStream* video = format->streams[stream_index.value()];
  video_facts facts;
  facts.width = static_cast<std::uint32_t>(video->codecpar->width);
  facts.height = static_cast<std::uint32_t>(video->codecpar->height);
  facts.video_codec = avcodec_get_name(video->codecpar->codec_id);
  const int audio_index = av_find_best_stream(format, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (audio_index >= 0) facts.audio_codec = avcodec_get_name(format->streams[audio_index]->codecpar->codec_id);

  // Every packet's span, in milliseconds on one clock (each stream's time base rescaled): the
  // duration is the last end less the picture's first start, whatever the header claims. (An AAC
  // track starts some 23 ms early, its encoder's priming samples, which no player shows.)
  const AVRational milliseconds{1, 1000};
  std::int64_t first_start = std::numeric_limits<std::int64_t>::max();
  std::int64_t last_end = std::numeric_limits<std::int64_t>::min();
  std::vector<std::int64_t> key_frames;
  std::unique_ptr<AVPacket, packet_deleter> packet(av_packet_alloc());
  if (!packet) return make_error(error_code::media_too_large, "no memory to read the video");
  std::uint64_t packets = 0;
  int status = 0;
  while ((status = av_read_frame(format, packet.get())) >= 0) {
    if (++packets > limits.max_packets) {
      return make_error(error_code::media_too_large,
                        "a video of over " + std::to_string(limits.max_packets) + " packets, more than this indexer reads");
    }
    const AVStream* stream = format->streams[packet->stream_index];
    const std::int64_t timestamp = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;
    if (timestamp != AV_NOPTS_VALUE) {
      const std::int64_t start = av_rescale_q(timestamp, stream->time_base, milliseconds);
      const std::int64_t end = av_rescale_q(timestamp + std::max<std::int64_t>(packet->duration, 0), stream->time_base,
                                            milliseconds);
      last_end = std::max(last_end, end);
      if (packet->stream_index == stream_index.value()) {
        first_start = std::min(first_start, start);
        if ((packet->flags & AV_PKT_FLAG_KEY) != 0) key_frames.push_back(start);
      }
    }
    if (packet->stream_index == stream_index.value()) ++facts.video_frames;
    av_packet_unref(packet.get());
  }
  if (status != AVERROR_EOF) {
    return make_error(error_code::invalid_media,
                      "a damaged or truncated video, unreadable after " + std::to_string(facts.video_frames) +
                          " frames: " + video_input::error_text(status));
  }
  if (facts.video_frames == 0 || last_end < first_start) {
    return make_error(error_code::invalid_media, "a video without frames (truncated, or empty)");
  }
  // The demuxer stops quietly where the bytes end: a file cut short holds fewer frames than its header lists.
  if (video->nb_frames > 0 && facts.video_frames < static_cast<std::uint64_t>(video->nb_frames)) {
    return make_error(error_code::invalid_media, "a truncated video: " + std::to_string(facts.video_frames) + " of its " +
                                                     std::to_string(video->nb_frames) + " frames are in the file");
  }
  facts.duration_milliseconds = static_cast<std::uint64_t>(last_end - first_start);
  std::sort(key_frames.begin(), key_frames.end());
  for (const std::int64_t key_frame : key_frames) {
    facts.key_frame_milliseconds.push_back(static_cast<std::uint64_t>(std::max<std::int64_t>(key_frame - first_start, 0)));
  }
  return facts;
}

}  // namespace mosaic::extract
