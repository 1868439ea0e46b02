#include "extract/video_segments.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/mathematics.h>
#include <libavutil/mem.h>
}

#include "media/iso_media_duration.hpp"

namespace mosaic::extract {
namespace {

constexpr AVRational milliseconds_base{1, 1000};
constexpr int io_buffer_bytes = 64 * 1024;

struct packet_deleter {
  void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};
using packet_pointer = std::unique_ptr<AVPacket, packet_deleter>;

// One packet of the original, kept for remuxing.
struct kept_packet {
  packet_pointer packet;
  int output_stream = 0;        // 0: video, 1: audio
  std::int64_t milliseconds = 0;  // its presentation time, from the original's first packet
};

// One segment's MP4, written into memory through a seekable callback (the MP4 muxer seeks back to
// write box sizes, so a growing buffer that cannot seek would not do).
class segment_output {
 public:
  ~segment_output() {
    if (format_ != nullptr) avformat_free_context(format_);
    if (io_ != nullptr) {
      av_freep(&io_->buffer);
      avio_context_free(&io_);
    }
  }

  // An MP4 (or MOV, `muxer`) holding copies of the original's kept streams. Returns FFmpeg's code.
  int open(const char* muxer, const std::vector<const AVStream*>& streams) {
    auto* buffer = static_cast<unsigned char*>(av_malloc(io_buffer_bytes));
    if (buffer == nullptr) return AVERROR(ENOMEM);
    io_ = avio_alloc_context(buffer, io_buffer_bytes, 1, this, nullptr, &segment_output::write, &segment_output::seek);
    if (io_ == nullptr) {
      av_free(buffer);
      return AVERROR(ENOMEM);
    }
    if (const int status = avformat_alloc_output_context2(&format_, nullptr, muxer, nullptr); status < 0) return status;
    format_->pb = io_;
    // Bit-exact: no creation time or library version in the file, so the same video gives the same
    // segments (the embedding cache's key is their hash).
    format_->flags |= AVFMT_FLAG_BITEXACT;
    // Each segment starts at zero: the shift is the same for every stream, so they stay in sync.
    format_->avoid_negative_ts = AVFMT_AVOID_NEG_TS_MAKE_ZERO;
    for (const AVStream* source : streams) {
      AVStream* copy = avformat_new_stream(format_, nullptr);
      if (copy == nullptr) return AVERROR(ENOMEM);
      if (const int status = avcodec_parameters_copy(copy->codecpar, source->codecpar); status < 0) return status;
      copy->codecpar->codec_tag = 0;  // the muxer picks its own tag for the codec
      copy->time_base = source->time_base;
    }
    return avformat_write_header(format_, nullptr);
  }

  int write(AVPacket* packet) { return av_interleaved_write_frame(format_, packet); }
  int finish() { return av_write_trailer(format_); }
  std::vector<std::uint8_t>& bytes() { return bytes_; }
  const AVStream* stream(int index) const { return format_->streams[index]; }

 private:
  static int write(void* opaque, std::uint8_t* buffer, int size) {
    auto* output = static_cast<segment_output*>(opaque);
    const std::size_t end = output->position_ + static_cast<std::size_t>(size);
    if (end > output->bytes_.size()) output->bytes_.resize(end);
    std::memcpy(output->bytes_.data() + output->position_, buffer, static_cast<std::size_t>(size));
    output->position_ = end;
    return size;
  }
  static std::int64_t seek(void* opaque, std::int64_t offset, int whence) {
    auto* output = static_cast<segment_output*>(opaque);
    const auto size = static_cast<std::int64_t>(output->bytes_.size());
    if ((whence & AVSEEK_SIZE) != 0) return size;
    std::int64_t target = 0;
    switch (whence & ~AVSEEK_FORCE) {
      case SEEK_SET: target = offset; break;
      case SEEK_CUR: target = static_cast<std::int64_t>(output->position_) + offset; break;
      case SEEK_END: target = size + offset; break;
      default: return AVERROR(EINVAL);
    }
    if (target < 0) return AVERROR(EINVAL);
    output->position_ = static_cast<std::size_t>(target);
    return target;
  }

  std::vector<std::uint8_t> bytes_;
  std::size_t position_ = 0;
  AVIOContext* io_ = nullptr;
  AVFormatContext* format_ = nullptr;
};

// Bytes of the packets whose time falls in [from, to): the prefix sums of packet sizes in time order.
class bytes_by_time {
 public:
  explicit bytes_by_time(const std::vector<kept_packet>& packets) {
    for (const kept_packet& kept : packets) entries_.push_back({kept.milliseconds, static_cast<std::uint64_t>(kept.packet->size)});
    std::sort(entries_.begin(), entries_.end());
    sums_.push_back(0);
    for (const auto& entry : entries_) sums_.push_back(sums_.back() + entry.second);
  }
  std::uint64_t between(std::int64_t from, std::int64_t to) const { return sum_before(to) - sum_before(from); }

 private:
  std::uint64_t sum_before(std::int64_t time) const {
    const auto position = std::lower_bound(entries_.begin(), entries_.end(), std::pair<std::int64_t, std::uint64_t>{time, 0});
    return sums_[static_cast<std::size_t>(position - entries_.begin())];
  }
  std::vector<std::pair<std::int64_t, std::uint64_t>> entries_;
  std::vector<std::uint64_t> sums_;
};

struct key_frame {
  std::size_t packet_index = 0;  // in the kept packets
  std::int64_t milliseconds = 0;
};

// The key frames the segments start at after the first: each segment as long as it may be, up to
// `max_milliseconds` and `max_bytes` of packets (a little under `limits`, which messages name).
result<std::vector<key_frame>> plan_cuts(const std::vector<key_frame>& key_frames, const bytes_by_time& sizes,
                                         std::int64_t end, std::int64_t max_milliseconds, std::uint64_t max_bytes,
                                         const video_segment_limits& limits) {
  std::vector<key_frame> cuts;
  std::int64_t start = 0;
  constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();
  while (end - start > max_milliseconds || sizes.between(start, never) > max_bytes) {
    const key_frame* chosen = nullptr;
    for (const key_frame& candidate : key_frames) {
      if (candidate.milliseconds <= start) continue;
      if (candidate.milliseconds - start > max_milliseconds) break;
      if (sizes.between(start, candidate.milliseconds) > max_bytes) break;
      chosen = &candidate;
    }
    if (chosen == nullptr) {
      return make_error(error_code::unsupported_media,
                        "a video with no key frame within " + std::to_string(limits.max_milliseconds / 1000) + " s or " +
                            std::to_string(limits.max_bytes / (1024 * 1024)) + " MB after " + std::to_string(start / 1000) +
                            " s: it cannot be cut there without re-encoding");
    }
    cuts.push_back(*chosen);
    start = chosen->milliseconds;
    if (cuts.size() + 1 > limits.max_segments) {
      return make_error(error_code::media_too_large, "a video of over " + std::to_string(limits.max_segments) + " segments");
    }
  }
  return cuts;
}

// Writes the segments the cuts make. The muxer's code on failure.
result<std::vector<video_segment>> write_segments(const std::vector<kept_packet>& packets,
                                                  const std::vector<const AVStream*>& streams,
                                                  const std::vector<key_frame>& cuts, std::int64_t end,
                                                  const char* muxer) {
  std::vector<std::unique_ptr<segment_output>> outputs(cuts.size() + 1);
  std::size_t current_video_segment = 0;
  packet_pointer copy(av_packet_alloc());
  if (!copy) return make_error(error_code::media_too_large, "no memory to cut the video");
  for (std::size_t index = 0; index < packets.size(); ++index) {
    const kept_packet& kept = packets[index];
    std::size_t segment = 0;
    if (kept.output_stream == 0) {
      // Video packets in decoding order: a new segment begins at its key frame.
      while (current_video_segment < cuts.size() && cuts[current_video_segment].packet_index <= index) ++current_video_segment;
      segment = current_video_segment;
    } else {
      // Audio goes with the segment its time falls in.
      segment = static_cast<std::size_t>(
          std::upper_bound(cuts.begin(), cuts.end(), kept.milliseconds,
                           [](std::int64_t time, const key_frame& cut) { return time < cut.milliseconds; }) -
          cuts.begin());
    }
    if (!outputs[segment]) {
      outputs[segment] = std::make_unique<segment_output>();
      if (const int status = outputs[segment]->open(muxer, streams); status < 0) {
        return make_error(error_code::unsupported_media,
                          std::string("the ") + muxer + " muxer refused the video's streams: " + video_input::error_text(status));
      }
    }
    if (av_packet_ref(copy.get(), kept.packet.get()) < 0) return make_error(error_code::media_too_large, "no memory to cut the video");
    // The segment's start, in this stream's time base, is taken off: every stream moves by the same time.
    if (segment > 0) {
      const kept_packet& cut = packets[cuts[segment - 1].packet_index];
      const std::int64_t shift = av_rescale_q(cut.packet->pts, streams[0]->time_base, streams[static_cast<std::size_t>(kept.output_stream)]->time_base);
      if (copy->pts != AV_NOPTS_VALUE) copy->pts -= shift;
      if (copy->dts != AV_NOPTS_VALUE) copy->dts -= shift;
    }
    copy->stream_index = kept.output_stream;
    copy->pos = -1;
    av_packet_rescale_ts(copy.get(), streams[static_cast<std::size_t>(kept.output_stream)]->time_base,
                         outputs[segment]->stream(kept.output_stream)->time_base);
    if (const int status = outputs[segment]->write(copy.get()); status < 0) {
      av_packet_unref(copy.get());
      return make_error(error_code::invalid_media, "the video's packets cannot be remuxed: " + video_input::error_text(status));
    }
  }
  std::vector<video_segment> segments;
  for (std::size_t segment = 0; segment < outputs.size(); ++segment) {
    if (!outputs[segment]) return make_error(error_code::invalid_media, "a video segment without packets");
    if (const int status = outputs[segment]->finish(); status < 0) {
      return make_error(error_code::invalid_media, "a video segment cannot be finished: " + video_input::error_text(status));
    }
    video_segment written;
    written.start_milliseconds = segment == 0 ? 0 : static_cast<std::uint64_t>(cuts[segment - 1].milliseconds);
    const std::int64_t next = segment < cuts.size() ? cuts[segment].milliseconds : end;
    written.duration_milliseconds = static_cast<std::uint64_t>(std::max<std::int64_t>(next - static_cast<std::int64_t>(written.start_milliseconds), 0));
    written.mp4_bytes = std::move(outputs[segment]->bytes());
    written.mime_type = std::string_view(muxer) == "mov" ? "video/quicktime" : "video/mp4";
    segments.push_back(std::move(written));
  }
  return segments;
}

}  // namespace

result<std::vector<video_segment>> split_video(std::span<const std::uint8_t> bytes, const video_segment_limits& limits) {
  if (limits.max_milliseconds < 2000 || limits.max_bytes < 256 * 1024 || limits.max_segments == 0) {
    return make_error(error_code::invalid_argument, "video segments need at least 2 s, 256 KiB and one segment");
  }
  auto input = video_input::open(bytes, limits.input);
  if (!input) return input.failure();
  AVFormatContext* format = input.value()->format();
  const auto video_index = input.value()->video_stream();
  if (!video_index) return video_index.failure();
  const int audio_index = av_find_best_stream(format, AVMEDIA_TYPE_AUDIO, -1, video_index.value(), nullptr, 0);
  std::vector<const AVStream*> streams{format->streams[video_index.value()]};
  if (audio_index >= 0) streams.push_back(format->streams[audio_index]);

  // Every packet of the two streams, in the file's order, with its time on one millisecond clock.
  std::vector<kept_packet> packets;
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
  std::int64_t last_end = std::numeric_limits<std::int64_t>::min();
  std::int64_t previous_time[2] = {0, 0};
  std::uint64_t read = 0;
  int status = 0;
  for (;;) {
    packet_pointer packet(av_packet_alloc());
    if (!packet) return make_error(error_code::media_too_large, "no memory to cut the video");
    if ((status = av_read_frame(format, packet.get())) < 0) break;
    if (++read > limits.max_packets) {
      return make_error(error_code::media_too_large, "a video of over " + std::to_string(limits.max_packets) + " packets");
    }
    const int output_stream = packet->stream_index == video_index.value() ? 0 : packet->stream_index == audio_index ? 1 : -1;
    if (output_stream < 0) continue;
    const AVStream* stream = streams[static_cast<std::size_t>(output_stream)];
    const std::int64_t timestamp = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;
    std::int64_t time = previous_time[output_stream];
    if (timestamp != AV_NOPTS_VALUE) {
      time = av_rescale_q(timestamp, stream->time_base, milliseconds_base);
      if (output_stream == 0) first = std::min(first, time);  // the clock starts with the picture
      last_end = std::max(last_end, av_rescale_q(timestamp + std::max<std::int64_t>(packet->duration, 0), stream->time_base, milliseconds_base));
    }
    previous_time[output_stream] = time;
    packets.push_back({std::move(packet), output_stream, time});
  }
  if (status != AVERROR_EOF) {
    return make_error(error_code::invalid_media, "a damaged or truncated video, unreadable after " + std::to_string(packets.size()) +
                                                     " packets: " + video_input::error_text(status));
  }
  if (packets.empty() || last_end < first) return make_error(error_code::invalid_media, "a video without frames");
  std::vector<key_frame> key_frames;
  for (std::size_t index = 0; index < packets.size(); ++index) {
    kept_packet& kept = packets[index];
    kept.milliseconds -= first;
    const bool key = kept.output_stream == 0 && (kept.packet->flags & AV_PKT_FLAG_KEY) != 0 && kept.packet->pts != AV_NOPTS_VALUE;
    if (key && kept.milliseconds > 0) key_frames.push_back({index, kept.milliseconds});
  }
  std::sort(key_frames.begin(), key_frames.end(), [](const key_frame& a, const key_frame& b) { return a.milliseconds < b.milliseconds; });
  const std::int64_t end = last_end - first;
  const bytes_by_time sizes(packets);

  // The cuts are planned a little short of the limits, since a segment's container adds bytes and its
  // header's length may run past the last cut by an audio frame; what is written is then measured,
  // and planned again shorter if it still does not fit.
  const auto max_milliseconds = static_cast<std::int64_t>(limits.max_milliseconds);
  std::int64_t planned_milliseconds = max_milliseconds - 250;
  std::uint64_t planned_bytes = limits.max_bytes - limits.max_bytes / 32 - 64 * 1024;
  std::string last_reason;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto cuts = plan_cuts(key_frames, sizes, end, planned_milliseconds, planned_bytes, limits);
    if (!cuts) return cuts.failure();
    auto segments = write_segments(packets, streams, cuts.value(), end, "mp4");
    if (!segments && segments.failure().code == error_code::unsupported_media) {
      // A codec MP4 has no tag for (PCM audio, say) still goes into a QuickTime file, which Gemini takes.
      segments = write_segments(packets, streams, cuts.value(), end, "mov");
    }
    if (!segments) return segments.failure();
    bool fits = true;
    for (const video_segment& segment : segments.value()) {
      const auto stated = media::iso_media_duration_milliseconds(segment.mp4_bytes);
      if (!stated) return make_error(error_code::invalid_media, "a written video segment is unreadable: " + stated.failure().message);
      if (stated.value() > limits.max_milliseconds) {
        fits = false;
        planned_milliseconds -= 1000;
        last_reason = "a segment's header states " + std::to_string(stated.value()) + " ms";
      }
      if (segment.mp4_bytes.size() > limits.max_bytes) {
        fits = false;
        planned_bytes -= planned_bytes / 8;
        last_reason = "a segment of " + std::to_string(segment.mp4_bytes.size()) + " bytes";
      }
      if (!fits) break;
    }
    if (fits) return segments;
  }
  return make_error(error_code::media_too_large, "the video's segments do not fit Gemini's limits (" + last_reason + ")");
}

}  // namespace mosaic::extract
