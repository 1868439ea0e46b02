#include "extract/audio_decoder.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
}

namespace mosaic::extract {
namespace {

// FFmpeg reads the bytes through this cursor: it never sees a file name, so it opens nothing else.
struct memory_reader {
  std::span<const std::uint8_t> bytes;
  std::size_t position = 0;
};

int read_memory(void* opaque, std::uint8_t* buffer, int size) {
  auto* reader = static_cast<memory_reader*>(opaque);
  const std::size_t left = reader->bytes.size() - reader->position;
  if (left == 0 || size <= 0) return AVERROR_EOF;
  const std::size_t count = std::min(left, static_cast<std::size_t>(size));
  std::memcpy(buffer, reader->bytes.data() + reader->position, count);
  reader->position += count;
  return static_cast<int>(count);
}

std::int64_t seek_memory(void* opaque, std::int64_t offset, int whence) {
  auto* reader = static_cast<memory_reader*>(opaque);
  const auto size = static_cast<std::int64_t>(reader->bytes.size());
  if ((whence & AVSEEK_SIZE) != 0) return size;
  std::int64_t target = 0;
  switch (whence & ~AVSEEK_FORCE) {
    case SEEK_SET: target = offset; break;
    case SEEK_CUR: target = static_cast<std::int64_t>(reader->position) + offset; break;
    case SEEK_END: target = size + offset; break;
    default: return AVERROR(EINVAL);
  }
  if (target < 0 || target > size) return AVERROR(EINVAL);
  reader->position = static_cast<std::size_t>(target);
  return target;
}

// Owners of FFmpeg's objects, each freed by its own function.
struct io_context_deleter {
  void operator()(AVIOContext* context) const {
    if (context == nullptr) return;
    av_freep(&context->buffer);  // FFmpeg may have replaced the buffer it was given
    avio_context_free(&context);
  }
};
struct format_context_deleter {
  void operator()(AVFormatContext* context) const { avformat_close_input(&context); }
};
struct codec_context_deleter {
  void operator()(AVCodecContext* context) const { avcodec_free_context(&context); }
};
struct packet_deleter {
  void operator()(AVPacket* packet) const { av_packet_free(&packet); }
};
struct frame_deleter {
  void operator()(AVFrame* frame) const { av_frame_free(&frame); }
};
struct resampler_deleter {
  void operator()(SwrContext* context) const { swr_free(&context); }
};

std::string ffmpeg_message(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  return text;
}

// FFmpeg logs every damaged frame it meets on stderr; the index report says what matters instead.
void silence_ffmpeg_log() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_QUIET); });
}

// The mix-down and resampling, set up from the first decoded frame: a codec context may not know
// its layout or sample format before it has decoded something.
class resampler {
 public:
  status open(const AVFrame& frame, std::uint32_t output_rate) {
    AVChannelLayout input_layout{};
    if (frame.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || av_channel_layout_check(&frame.ch_layout) == 0) {
      av_channel_layout_default(&input_layout, frame.ch_layout.nb_channels);
    } else if (av_channel_layout_copy(&input_layout, &frame.ch_layout) < 0) {
      return make_error(error_code::media_too_large, "out of memory while setting up the audio resampler");
    }
    AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
    SwrContext* created = nullptr;
    const int allocated = swr_alloc_set_opts2(&created, &mono, AV_SAMPLE_FMT_S16, static_cast<int>(output_rate),
                                              &input_layout, static_cast<AVSampleFormat>(frame.format), frame.sample_rate,
                                              0, nullptr);
    av_channel_layout_uninit(&input_layout);
    context_.reset(created);
    if (allocated < 0 || !context_ || swr_init(context_.get()) < 0) {
      return make_error(error_code::unsupported_media, "the audio's sample format or channel layout cannot be converted");
    }
    format_ = frame.format;
    rate_ = frame.sample_rate;
    channels_ = frame.ch_layout.nb_channels;
    return success{};
  }

  [[nodiscard]] bool matches(const AVFrame& frame) const {
    return context_ && frame.format == format_ && frame.sample_rate == rate_ && frame.ch_layout.nb_channels == channels_;
  }

  // Appends the frame's sound (nullptr: what the resampler still holds) to `samples`.
  status convert(const AVFrame* frame, std::vector<std::int16_t>& samples) {
    const int input_count = frame == nullptr ? 0 : frame->nb_samples;
    const int room = swr_get_out_samples(context_.get(), input_count);
    if (room < 0) return make_error(error_code::invalid_media, "the audio resampler refused a frame");
    if (room == 0) return success{};
    const std::size_t start = samples.size();
    samples.resize(start + static_cast<std::size_t>(room));
    std::uint8_t* output = reinterpret_cast<std::uint8_t*>(samples.data() + start);
    const int written = swr_convert(context_.get(), &output, room,
                                    frame == nullptr ? nullptr : const_cast<const std::uint8_t**>(frame->extended_data),
                                    input_count);
    samples.resize(start + static_cast<std::size_t>(std::max(written, 0)));
    if (written < 0) return make_error(error_code::invalid_media, "the audio resampler refused a frame");
    return success{};
  }

  [[nodiscard]] bool is_open() const { return context_ != nullptr; }

 private:
  std::unique_ptr<SwrContext, resampler_deleter> context_;
  int format_ = -1;
  int rate_ = 0;
  int channels_ = 0;
};

}  // namespace

result<decoded_audio> decode_audio(std::span<const std::uint8_t> bytes, const audio_decoding_limits& limits) {
  if (limits.sample_rate == 0 || limits.max_seconds == 0) {
    return make_error(error_code::invalid_argument, "audio decoding needs a sample rate and a duration cap above zero");
  }
  if (bytes.size() > limits.max_input_bytes) {
    return make_error(error_code::media_too_large, "audio files over 2 GiB are not decoded");
  }
  if (bytes.empty()) return make_error(error_code::invalid_media, "an empty file has no sound");
  silence_ffmpeg_log();

  memory_reader reader{bytes, 0};
  constexpr int io_buffer_bytes = 64 * 1024;
  auto* buffer = static_cast<std::uint8_t*>(av_malloc(io_buffer_bytes));
  if (buffer == nullptr) return make_error(error_code::media_too_large, "out of memory for the audio reader");
  std::unique_ptr<AVIOContext, io_context_deleter> io(
      avio_alloc_context(buffer, io_buffer_bytes, 0, &reader, read_memory, nullptr, seek_memory));
  if (!io) {
    av_free(buffer);
    return make_error(error_code::media_too_large, "out of memory for the audio reader");
  }
  AVFormatContext* opened = avformat_alloc_context();
  if (opened == nullptr) return make_error(error_code::media_too_large, "out of memory for the audio reader");
  opened->pb = io.get();
  opened->flags |= AVFMT_FLAG_CUSTOM_IO;
  // avformat_open_input frees the context itself when it fails.
  if (const int code = avformat_open_input(&opened, nullptr, nullptr, nullptr); code < 0) {
    return make_error(error_code::invalid_media, "not a sound or video file FFmpeg recognises (" + ffmpeg_message(code) + ")");
  }
  std::unique_ptr<AVFormatContext, format_context_deleter> format(opened);
  if (const int code = avformat_find_stream_info(format.get(), nullptr); code < 0) {
    return make_error(error_code::invalid_media, "a damaged or truncated media file (" + ffmpeg_message(code) + ")");
  }
  const AVCodec* codec = nullptr;
  const int stream_index = av_find_best_stream(format.get(), AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
  if (stream_index == AVERROR_STREAM_NOT_FOUND) {
    return make_error(error_code::unsupported_media, "no audio stream in the file");
  }
  if (stream_index == AVERROR_DECODER_NOT_FOUND || codec == nullptr) {
    const AVCodecParameters* parameters = nullptr;
    for (unsigned index = 0; index < format->nb_streams; ++index) {
      if (format->streams[index]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) parameters = format->streams[index]->codecpar;
    }
    const char* name = parameters == nullptr ? nullptr : avcodec_get_name(parameters->codec_id);
    return make_error(error_code::unsupported_media,
                      std::string("an audio codec this FFmpeg cannot decode (") + (name ? name : "unknown") + ")");
  }
  if (stream_index < 0) return make_error(error_code::invalid_media, "no usable audio stream (" + ffmpeg_message(stream_index) + ")");
  AVStream* stream = format->streams[stream_index];

  std::unique_ptr<AVCodecContext, codec_context_deleter> decoder(avcodec_alloc_context3(codec));
  if (!decoder) return make_error(error_code::media_too_large, "out of memory for the audio decoder");
  if (avcodec_parameters_to_context(decoder.get(), stream->codecpar) < 0) {
    return make_error(error_code::invalid_media, "the audio stream's parameters are damaged");
  }
  decoder->thread_count = 1;  // the indexer runs one file per thread already
  if (const int code = avcodec_open2(decoder.get(), codec, nullptr); code < 0) {
    return make_error(error_code::unsupported_media,
                      std::string("the ") + codec->name + " decoder refused the stream (" + ffmpeg_message(code) + ")");
  }

  decoded_audio decoded;
  decoded.sample_rate = limits.sample_rate;
  decoded.codec = avcodec_get_name(stream->codecpar->codec_id);  // "mp3", not the decoder's "mp3float"
  decoded.container = format->iformat != nullptr && format->iformat->name != nullptr ? format->iformat->name : "";
  decoded.source_channels = static_cast<std::uint32_t>(std::max(stream->codecpar->ch_layout.nb_channels, 0));
  decoded.source_sample_rate = static_cast<std::uint32_t>(std::max(stream->codecpar->sample_rate, 0));
  const std::size_t max_samples = std::size_t{limits.max_seconds} * limits.sample_rate;

  std::unique_ptr<AVPacket, packet_deleter> packet(av_packet_alloc());
  std::unique_ptr<AVFrame, frame_deleter> frame(av_frame_alloc());
  if (!packet || !frame) return make_error(error_code::media_too_large, "out of memory for the audio decoder");
  resampler mixer;

  // Takes every frame the decoder has ready; false once the cap is reached.
  auto drain = [&]() -> result<bool> {
    while (true) {
      const int code = avcodec_receive_frame(decoder.get(), frame.get());
      if (code == AVERROR(EAGAIN) || code == AVERROR_EOF) return true;
      if (code < 0) {
        ++decoded.damaged_packets;
        return true;
      }
      if (frame->nb_samples <= 0 || frame->sample_rate <= 0 || frame->ch_layout.nb_channels <= 0) {
        ++decoded.damaged_packets;
        av_frame_unref(frame.get());
        continue;
      }
      if (!mixer.is_open()) {
        if (auto ready = mixer.open(*frame, limits.sample_rate); !ready) return std::move(ready).failure();
      }
      if (!mixer.matches(*frame)) {
        // A stream whose format changes midway (spliced or hostile): the odd frames are skipped.
        ++decoded.damaged_packets;
        av_frame_unref(frame.get());
        continue;
      }
      auto converted = mixer.convert(frame.get(), decoded.samples);
      av_frame_unref(frame.get());
      if (!converted) return std::move(converted).failure();
      if (decoded.samples.size() >= max_samples) return false;
    }
  };

  bool more = true;
  while (more) {
    const int code = av_read_frame(format.get(), packet.get());
    if (code < 0) break;  // the end, or damage past which nothing can be read
    if (packet->stream_index == stream_index) {
      if (avcodec_send_packet(decoder.get(), packet.get()) < 0) ++decoded.damaged_packets;
      auto drained = drain();
      if (!drained) return std::move(drained).failure();
      more = drained.value();
    }
    av_packet_unref(packet.get());
  }
  if (more) {
    avcodec_send_packet(decoder.get(), nullptr);  // the decoder's delayed frames
    auto drained = drain();
    if (!drained) return std::move(drained).failure();
    more = drained.value();
    if (more && mixer.is_open()) {
      if (auto flushed = mixer.convert(nullptr, decoded.samples); !flushed) return std::move(flushed).failure();
    }
  }
  if (decoded.samples.size() >= max_samples && !more) {
    decoded.samples.resize(max_samples);
    decoded.cut = true;
  }
  if (decoded.samples.empty()) {
    return make_error(error_code::invalid_media, "the audio stream holds no decodable sound (damaged or truncated)");
  }
  decoded.samples.shrink_to_fit();
  return decoded;
}

}  // namespace mosaic::extract
