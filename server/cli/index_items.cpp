#include "cli/index_items.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>

#include "cli/document_title.hpp"
#include "cli/text_chunks.hpp"
#include "embed/unicode_normalization.hpp"
#include "extract/image_text.hpp"
#include "extract/image_text_cache.hpp"
#include "extract/pdf_document.hpp"
#include "extract/pdf_split.hpp"
#include "extract/video_poster.hpp"
#include "extract/video_probe.hpp"
#include "extract/video_segments.hpp"
#include "extract/audio_decoder.hpp"
#include "extract/speech_transcriber.hpp"
#include "extract/transcript_cache.hpp"
#include "hash/sha256.hpp"
#include "media/image_preparation.hpp"
#include "media/iso_media_duration.hpp"
#include "media/kind_icon.hpp"
#include "media/media_kind.hpp"
#include "media/mp3_audio.hpp"
#include "media/pdf_pages.hpp"
#include "media/png_text.hpp"
#include "media/wav_audio.hpp"
#include "media/waveform_image.hpp"
#include "site/site_reader.hpp"
#include "text/utf8.hpp"

namespace mosaic::server {
namespace {

namespace fs = std::filesystem;
using media::media_kind;

constexpr std::size_t title_limit = 200;
constexpr std::size_t snippet_limit = 240;

// Cuts UTF-8 text at most `limit` bytes long, never inside a sequence.
std::string shortened(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end)) + "…";
}

std::string trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

std::string_view as_text(const std::vector<std::uint8_t>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::string text_mime_type(const fs::path& path) {
  const std::string extension = path.extension().string();
  if (extension == ".md" || extension == ".markdown") return "text/markdown";
  if (extension == ".json") return "application/json";
  if (extension == ".csv") return "text/csv";
  if (extension == ".html" || extension == ".htm") return "text/html";
  return "text/plain";
}

index::modality modality_of(media_kind kind) {
  switch (kind) {
    case media_kind::image: return index::modality::image;
    case media_kind::audio: return index::modality::audio;
    case media_kind::video: return index::modality::video;
    case media_kind::pdf: return index::modality::pdf;
    default: return index::modality::text;
  }
}

// "red_bicycle-2024.png" -> "red bicycle 2024": the last resort text of a media file.
std::string file_name_words(const fs::path& path) {
  std::string words;
  for (const char character : path.stem().string()) {
    const auto byte = static_cast<unsigned char>(character);
    const bool word_character = byte >= 0x80 || std::isalnum(byte) != 0;
    if (word_character) {
      words += character;
    } else if (!words.empty() && words.back() != ' ') {
      words += ' ';
    }
  }
  return trimmed(words);
}

// The caption from --captions (already checked), else the sidecar NAME.txt's text, trimmed; empty
// when there is none or the sidecar is not UTF-8 text.
std::string read_caption(const collection_file& file) {
  if (file.listed_caption) return *file.listed_caption;
  if (!file.caption_file) return {};
  auto bytes = read_whole_file(*file.caption_file);
  if (!bytes || bytes->size() > 32 * 1024 || !text::is_valid_utf8(bytes.value())) return {};
  return trimmed(as_text(bytes.value()));
}

// What a result shows of a caption: --captions' "description" when given (a caption written for the
// index, with keywords and the category, is not for reading), else the caption.
const std::string& shown_caption(const collection_file& file, const std::string& caption) {
  return file.listed_description.empty() ? caption : file.listed_description;
}

// A media item's title: --captions' "title" when given, else the caption, else the file name.
void set_caption_title(index::item_metadata& metadata, const collection_file& file, const std::string& caption) {
  if (!file.listed_title.empty()) {
    metadata.title = shortened(file.listed_title, title_limit);
  } else if (!caption.empty()) {
    metadata.title = shortened(caption, title_limit);
  }
}

index::item_metadata base_metadata(const collection_file& file, std::string_view mime_type, std::uint64_t offset) {
  index::item_metadata metadata;
  metadata.id = item_id_for(file.relative, offset);
  metadata.title = fs::path(file.relative).filename().string();
  metadata.source = file.relative;
  metadata.kind = modality_of(file.kind);
  metadata.mime_type = std::string(mime_type);
  const fs::path parent = fs::path(file.relative).parent_path();
  metadata.label = parent.empty() ? std::string() : parent.filename().string();  // folder-per-label
  return metadata;
}

// The copy the site keeps so the web app can play or open the item: only formats browsers handle,
// and not beyond what one request may carry (a local-provider WAV can be far longer).
void attach_media(pending_item& item, std::string_view format, std::span<const std::uint8_t> bytes,
                  const item_preparation_settings& settings) {
  static constexpr std::string_view playable[] = {"wav", "mp3", "mp4", "mov", "pdf"};
  if (std::find(std::begin(playable), std::end(playable), format) == std::end(playable)) return;
  if (bytes.size() > largest_media_bytes(settings.limits)) return;
  item.media_bytes.assign(bytes.begin(), bytes.end());
  item.media_extension = std::string(format);
}

// The WAV's picture in result lists; the WAV was parsed already, so a failure here only means no picture.
std::vector<std::uint8_t> waveform_or_nothing(std::span<const std::uint8_t> wav_bytes) {
  auto picture = media::render_waveform_jpeg(wav_bytes);
  return picture ? std::move(picture).value() : std::vector<std::uint8_t>();
}

prepared_file skipped(std::string reason) {
  prepared_file outcome;
  outcome.skip_reason = std::move(reason);
  return outcome;
}

std::string megabytes(std::uintmax_t bytes) { return std::to_string((bytes + 512 * 1024) / (1024 * 1024)) + " MB"; }

// Through the server's checks; a refusal skips the whole file with the server's message.
status finish_input(pending_item& item, const item_preparation_settings& settings, const std::string& where) {
  return prepare_input(item.input, settings.limits, where);
}

prepared_file prepare_text(const collection_file& file, std::string_view raw, const item_preparation_settings& settings) {
  auto normalized = normalize_nfkc(raw);
  if (!normalized) return skipped(normalized.failure().message);
  // Offsets are into the NFKC-normalized text, which equals the file for already-normalized text.
  const std::string_view text = normalized.value();
  std::string name_words = file_name_words(file.path);
  if (name_words.empty()) name_words = fs::path(file.relative).filename().string();
  const document_title found = find_document_title(text, name_words);
  // A title is embedded with every chunk, unless it is only a file name that says nothing (an id).
  const bool embed_title =
      !found.title.empty() && (found.origin != title_origin::file_name || file_name_title_is_meaningful(found.title));
  chunking_settings chunking = settings.chunking;
  if (embed_title && !settings.provider_embeds_media) {
    // The title shares the local model's window with the chunk: it takes its words from the chunk's
    // budget, at most half of it.
    const std::size_t title_words = count_words(found.title);
    chunking.max_words -= std::min(title_words, chunking.max_words / 2);
  }
  std::size_t body_offset = found.body_offset;
  auto chunks = split_into_chunks(text.substr(body_offset), chunking);
  if (chunks.empty() && body_offset > 0) {
    // Nothing but a title (a lone heading): the title is the text.
    body_offset = 0;
    chunks = split_into_chunks(text, chunking);
  }
  if (chunks.empty()) return skipped("no text (empty or whitespace only)");
  const std::string title = shortened(found.title, title_limit);
  prepared_file outcome;
  for (std::size_t part = 0; part < chunks.size(); ++part) {
    const std::size_t offset = body_offset + chunks[part].offset;
    pending_item item;
    item.metadata = base_metadata(file, text_mime_type(file.path), offset);
    item.metadata.title = title;
    if (chunks.size() > 1) {
      item.metadata.title += " (part " + std::to_string(part + 1) + " of " + std::to_string(chunks.size()) + ")";
    }
    item.metadata.snippet = shortened(chunks[part].text, snippet_limit);
    item.metadata.source_offset = offset;
    item.keyword_title = found.title == name_words ? found.title : found.title + "\n" + name_words;
    item.keyword_body = std::string(chunks[part].text);
    if (settings.provider_embeds_media) {
      // Gemini takes a document's title in its own field.
      item.input.parts.push_back({std::string(chunks[part].text), {}, {}});
      if (embed_title) item.input.title = found.title;
    } else {
      item.input.parts.push_back({titled_chunk_text(embed_title ? std::string_view(found.title) : std::string_view(),
                                                    chunks[part].text),
                                  {},
                                  {}});
    }
    if (auto ready = finish_input(item, settings, file.relative); !ready) return skipped(ready.failure().message);
    outcome.items.push_back(std::move(item));
  }
  return outcome;
}

// With a text-only provider: the item is its text; no text at all is reported, never guessed.
prepared_file prepare_by_caption(const collection_file& file, const media::media_detection& detection,
                                 std::string text, const item_preparation_settings& settings, pending_item item) {
  if (text.empty()) text = file_name_words(file.path);
  if (text.empty()) {
    return skipped("no text to index this " + std::string(media_kind_name(detection.kind)) +
                   " by (the provider embeds text only): add a caption in NAME.txt beside it");
  }
  item.metadata.embedded_from = index::embedding_source::caption;
  item.metadata.snippet = shortened(shown_caption(file, text), snippet_limit);
  item.input.parts.push_back({std::move(text), {}, {}});
  if (auto ready = finish_input(item, settings, file.relative); !ready) return skipped(ready.failure().message);
  prepared_file outcome;
  outcome.items.push_back(std::move(item));
  return outcome;
}

// One fused input: the caption (when there is one) then the media bytes.
void add_media_parts(pending_item& item, const collection_file& file, const std::string& caption, std::string mime_type,
                     std::string bytes) {
  if (!caption.empty()) {
    item.input.parts.push_back({caption, {}, {}});
    item.metadata.snippet = shortened(shown_caption(file, caption), snippet_limit);
  }
  item.input.parts.push_back({{}, std::move(mime_type), std::move(bytes)});
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One recognizer for the thread that prepares files (its model loads once, about 0.1 s); nullptr
// with the reason when Tesseract's model is missing.
result<extract::text_recognizer*> thread_recognizer() {
  thread_local std::unique_ptr<extract::text_recognizer> recognizer;
  thread_local std::optional<error> failure;
  if (!recognizer && !failure) {
    auto created = extract::text_recognizer::create();
    if (created) {
      recognizer = std::move(created).value();
    } else {
      failure = created.failure();
    }
  }
  if (failure) return *failure;
  return recognizer.get();
}

// The words of an image kept by --ocr (extract/ocr_decision.hpp); empty when there are none or OCR
// is off. The image was decoded once already for its thumbnail, so it cannot fail here for damage;
// a failure only means no text. The words read come from the OCR cache when this image was read before.
std::string read_image_text(std::span<const std::uint8_t> bytes, const item_preparation_settings& settings,
                            extraction_figures& figures) {
  if (settings.ocr == extract::ocr_mode::off) return {};
  const extract::image_text_cache cache(settings.image_text_cache_folder,
                                        extract::text_recognizer::name() + "/max-side-" + std::to_string(settings.ocr_max_side));
  const std::string key = settings.image_text_cache_folder.empty() ? std::string() : cache.key(bytes);
  const auto kept = [&](const extract::recognized_text& recognized) {
    std::string text = extract::judge_recognized_text(recognized, settings.ocr).text;
    if (!text.empty()) ++figures.ocr_images_with_text;
    return text;
  };
  if (auto cached = cache.find(key)) {
    ++figures.ocr_images;
    ++figures.ocr_cache_hits;
    return kept(*cached);
  }
  auto recognizer = thread_recognizer();
  if (!recognizer) {
    figures.ocr_failure = recognizer.failure().message;
    return {};
  }
  const auto start = std::chrono::steady_clock::now();
  auto image = media::decode_image(bytes, settings.ocr_max_side);
  // No legible word fits in fewer pixels than this (Tesseract itself refuses under 3 pixels wide):
  // icons and placeholder pixels are not read.
  if (!image || image->width < 16 || image->height < 8) return {};
  auto recognized = recognizer.value()->recognize(image->rgb_pixels, image->width, image->height);
  ++figures.ocr_images;
  figures.ocr_seconds += seconds_since(start);
  if (!recognized) return {};
  cache.store(key, recognized.value());
  return kept(recognized.value());
}

// One transcriber for the thread that prepares files (its model loads once); the reason when
// PocketSphinx's model is missing.
result<extract::speech_transcriber*> thread_transcriber() {
  thread_local std::unique_ptr<extract::speech_transcriber> transcriber;
  thread_local std::optional<error> failure;
  if (!transcriber && !failure) {
    auto created = extract::speech_transcriber::create();
    if (created) {
      transcriber = std::move(created).value();
    } else {
      failure = created.failure();
    }
  }
  if (failure) return *failure;
  return transcriber.get();
}

// The words heard in a recording or a video's audio track, judged by --transcribe
// (extract/transcript_decision.hpp); no segments when there are none, transcription is off, or the
// sound cannot be decoded (the file was checked already by its own reader, or is a video whose
// pictures are what matters: a missing or damaged audio track only means no transcript). The words
// heard come from the transcript cache when this sound was heard before.
extract::transcript_verdict hear_speech(std::span<const std::uint8_t> bytes, const item_preparation_settings& settings,
                                        extraction_figures& figures) {
  if (settings.transcribe == extract::transcribe_mode::off) return {};
  const extract::transcript_cache cache(settings.transcript_cache_folder);
  const std::string key = cache.key(bytes);
  if (auto cached = cache.find(key)) {
    ++figures.transcribed_files;
    ++figures.transcript_cache_hits;
    auto verdict = extract::judge_spoken_words(*cached, settings.transcribe);
    if (!verdict.segments.empty()) ++figures.files_with_speech;
    return verdict;
  }
  auto transcriber = thread_transcriber();
  if (!transcriber) {
    figures.transcribe_failure = transcriber.failure().message;
    return {};
  }
  const auto start = std::chrono::steady_clock::now();
  extract::audio_decoding_limits limits;
  limits.max_seconds = settings.transcribe_max_seconds;
  if (settings.activity != nullptr) settings.activity->change(settings.activity_worker, preparation_step::transcribing);
  auto sound = extract::decode_audio(bytes, limits);
  if (!sound) return {};
  const std::uint64_t total_milliseconds = sound->duration_milliseconds();
  auto words = transcriber.value()->transcribe(sound->samples, [&settings, total_milliseconds](std::uint64_t heard) {
    if (settings.activity != nullptr) settings.activity->advance(settings.activity_worker, heard, total_milliseconds);
  });
  ++figures.transcribed_files;
  figures.transcribed_audio_seconds += static_cast<double>(sound->duration_milliseconds()) / 1000.0;
  figures.transcription_seconds += seconds_since(start);
  if (!words) return {};
  cache.store(key, words.value());
  auto verdict = extract::judge_spoken_words(words.value(), settings.transcribe);
  if (!verdict.segments.empty()) ++figures.files_with_speech;
  return verdict;
}

std::vector<index::transcript_segment> metadata_segments(const std::vector<extract::transcript_segment>& segments) {
  std::vector<index::transcript_segment> converted;
  for (const extract::transcript_segment& segment : segments) {
    converted.push_back({segment.start_milliseconds, segment.end_milliseconds, segment.text});
  }
  return converted;
}

// The text a text-only model embeds a recording or video by: its caption, then what was said.
std::string with_transcript(const std::string& caption, const extract::transcript_verdict& heard) {
  if (heard.text.empty()) return caption;
  return caption.empty() ? heard.text : caption + "\n" + heard.text;
}

// Gives each item cut from one recording (in time order, each starting at its source_offset
// milliseconds) the transcript segments that start inside it: its snippet, its keyword text and its
// metadata (text_from speech, the segments' times counted from the item's start).
void add_transcript(std::vector<pending_item>& items, const extract::transcript_verdict& heard, bool text_embedded) {
  if (heard.segments.empty()) return;
  for (std::size_t index = 0; index < items.size(); ++index) {
    pending_item& item = items[index];
    const std::uint64_t start = item.metadata.source_offset.value_or(0);
    const std::uint64_t end = index + 1 < items.size() ? items[index + 1].metadata.source_offset.value_or(UINT64_MAX) : UINT64_MAX;
    const auto inside = extract::segments_between(heard.segments, start, end);
    if (inside.empty()) continue;
    const std::string text = extract::transcript_text(inside);
    item.metadata.text_from = index::text_origin::speech;
    item.metadata.transcript = metadata_segments(inside);
    item.metadata.snippet = shortened(text, snippet_limit);
    // A text-only model embedded the transcript already, and the keyword index reads what was embedded.
    if (!text_embedded) item.extracted_text = text;
  }
}

prepared_file prepare_image_file(const collection_file& file, const std::vector<std::uint8_t>& bytes,
                            const media::media_detection& detection, const item_preparation_settings& settings) {
  auto thumbnail = media::make_thumbnail(bytes);
  if (!thumbnail) return skipped("not a usable image: " + thumbnail.failure().message);
  const std::string caption = read_caption(file);
  pending_item item;
  item.metadata = base_metadata(file, detection.mime_type, 0);
  set_caption_title(item.metadata, file, caption);
  item.thumbnail_jpeg = std::move(thumbnail->jpeg_bytes);
  extraction_figures figures;
  const std::string image_text = read_image_text(bytes, settings, figures);
  if (!image_text.empty()) {
    item.metadata.text_from = index::text_origin::ocr;
    item.extracted_text = image_text;
  }
  if (!settings.provider_embeds_media) {
    std::string text = caption;
    if (text.empty()) text = media::read_png_description(bytes).value_or(std::string());
    // The local model reads the caption and then the image's words: "session expired" in a
    // screenshot finds it. The snippet shows the words read.
    if (!image_text.empty()) text = trimmed(text).empty() ? image_text : trimmed(text) + "\n" + image_text;
    prepared_file outcome = prepare_by_caption(file, detection, trimmed(text), settings, std::move(item));
    for (pending_item& prepared : outcome.items) {
      // A listed description is what the collection's owner wants shown; else the words read.
      if (!image_text.empty() && file.listed_description.empty()) prepared.metadata.snippet = shortened(image_text, snippet_limit);
      prepared.extracted_text.clear();  // already in the embedded text, which the keyword index reads
    }
    outcome.extraction = figures;
    return outcome;
  }
  if (detection.accepted_by_gemini) {
    add_media_parts(item, file, caption, std::string(detection.mime_type), std::string(as_text(bytes)));
  } else {
    // GIF, BMP, TGA, PNM: Gemini takes none of them, so they go as JPEG.
    auto converted = media::prepare_image(bytes, settings.limits.image_max_side);
    if (!converted) return skipped("not a usable image: " + converted.failure().message);
    add_media_parts(item, file, caption, "image/jpeg", std::string(as_text(converted->jpeg_bytes)));
  }
  if (!image_text.empty() && file.listed_description.empty()) item.metadata.snippet = shortened(image_text, snippet_limit);
  if (auto ready = finish_input(item, settings, file.relative); !ready) return skipped(ready.failure().message);
  prepared_file outcome;
  outcome.items.push_back(std::move(item));
  outcome.extraction = figures;
  return outcome;
}

std::string clock_time(std::uint64_t milliseconds) {
  const std::uint64_t seconds = milliseconds / 1000;
  const std::string remainder = std::to_string(seconds % 60);
  return std::to_string(seconds / 60) + ":" + (remainder.size() < 2 ? "0" : "") + remainder;
}

// How long a WAV's segments are: Gemini's 80 s, or less when 80 s of this recording would not fit one
// request (96 kHz stereo is 30 MB a segment): cut shorter, a hi-fi recording is indexed rather than
// skipped. What the file holds besides its samples bounds what a segment holds besides its own.
std::uint32_t wav_segment_seconds(const media::wav_info& wav, std::size_t file_bytes, const input_limits& limits) {
  const std::uint64_t bytes_per_second = std::uint64_t{wav.format.bytes_per_frame()} * wav.format.sample_rate;
  const std::size_t other_bytes = file_bytes - std::min(file_bytes, wav.data_size);
  const std::size_t room = largest_media_bytes(limits) - std::min(largest_media_bytes(limits), other_bytes);
  const std::uint64_t fitting_seconds = bytes_per_second == 0 ? limits.max_audio_seconds : room / bytes_per_second;
  // Never 0: a recording of over 15 MB a second goes in 1 s segments, which prepare_input then refuses.
  return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(fitting_seconds, 1, limits.max_audio_seconds));
}

prepared_file prepare_wav(const collection_file& file, const std::vector<std::uint8_t>& bytes,
                          const media::media_detection& detection, const item_preparation_settings& settings) {
  const std::string caption = read_caption(file);
  if (!settings.provider_embeds_media) {
    auto parsed = media::parse_wav(bytes);  // a damaged recording is reported, even when only its text is used
    if (!parsed) return skipped("not a usable WAV: " + parsed.failure().message);
    pending_item item;
    item.metadata = base_metadata(file, detection.mime_type, 0);
    set_caption_title(item.metadata, file, caption);
    attach_media(item, detection.format, bytes, settings);
    item.thumbnail_jpeg = waveform_or_nothing(bytes);
    std::string text = caption;
    if (text.empty()) text = media::read_wav_comment(bytes).value_or(std::string());
    extraction_figures figures;
    const auto heard = hear_speech(bytes, settings, figures);
    prepared_file outcome = prepare_by_caption(file, detection, with_transcript(trimmed(text), heard), settings, std::move(item));
    add_transcript(outcome.items, heard, true);
    outcome.extraction = figures;
    return outcome;
  }
  auto parsed = media::parse_wav(bytes);
  if (!parsed) return skipped("not a usable WAV: " + parsed.failure().message);
  auto segments = media::split_wav(bytes, wav_segment_seconds(*parsed, bytes.size(), settings.limits));
  if (!segments) return skipped("not a usable WAV: " + segments.failure().message);
  if (segments->empty()) return skipped("a WAV without audio frames");
  prepared_file outcome;
  const auto heard = hear_speech(bytes, settings, outcome.extraction);
  const bool several = segments->size() > 1;
  for (media::wav_segment& segment : segments.value()) {
    pending_item item;
    item.metadata = base_metadata(file, detection.mime_type, segment.start_milliseconds);
    set_caption_title(item.metadata, file, caption);
    if (several) {
      item.metadata.title += " (" + clock_time(segment.start_milliseconds) + "–" +
                             clock_time(segment.start_milliseconds + segment.duration_milliseconds) + ")";
      item.metadata.source_offset = segment.start_milliseconds;
    }
    attach_media(item, "wav", segment.wav_bytes, settings);
    item.thumbnail_jpeg = waveform_or_nothing(segment.wav_bytes);
    add_media_parts(item, file, caption, "audio/wav", std::string(as_text(segment.wav_bytes)));
    if (auto ready = finish_input(item, settings, file.relative); !ready) return skipped(ready.failure().message);
    outcome.items.push_back(std::move(item));
  }
  add_transcript(outcome.items, heard, false);
  return outcome;
}

// MP3, MP4, MOV, PDF: whole, when they fit one Gemini request (checked by size before reading).
prepared_file prepare_whole_media(const collection_file& file, const std::vector<std::uint8_t>& bytes,
                                  const media::media_detection& detection, const item_preparation_settings& settings) {
  const std::string caption = read_caption(file);
  pending_item item;
  item.metadata = base_metadata(file, detection.mime_type, 0);
  set_caption_title(item.metadata, file, caption);
  attach_media(item, detection.format, bytes, settings);
  // Recordings and videos: what is said in them (a PDF has no sound).
  extraction_figures figures;
  const bool has_sound = detection.kind == media_kind::audio || detection.kind == media_kind::video;
  const auto heard = has_sound ? hear_speech(bytes, settings, figures) : extract::transcript_verdict{};
  if (!settings.provider_embeds_media) {
    prepared_file outcome = prepare_by_caption(file, detection, with_transcript(caption, heard), settings, std::move(item));
    add_transcript(outcome.items, heard, true);
    outcome.extraction = figures;
    return outcome;
  }
  add_media_parts(item, file, caption, std::string(detection.mime_type), std::string(as_text(bytes)));
  if (auto ready = finish_input(item, settings, file.relative); !ready) return skipped(ready.failure().message);
  prepared_file outcome;
  outcome.items.push_back(std::move(item));
  add_transcript(outcome.items, heard, false);
  outcome.extraction = figures;
  return outcome;
}

// A video's poster frame (extract/video_poster.hpp) as a thumbnail; empty when no frame decodes
// (its kind's icon then stands in).
std::vector<std::uint8_t> video_poster_jpeg(std::span<const std::uint8_t> bytes) {
  auto poster = extract::pick_video_poster(bytes);
  if (!poster) return {};
  auto jpeg = media::encode_rgb_jpeg(poster->rgb_pixels, poster->width, poster->height, media::thumbnail_jpeg_quality);
  return jpeg ? std::move(jpeg).value() : std::vector<std::uint8_t>();
}

// Videos: FFmpeg measures each one (extract/video_probe.hpp), whatever the provider, so a file it
// cannot read (truncated, no streams, no video stream, a codec it cannot decode) is skipped with the
// reason, and a poster frame of its picture is its thumbnail. With Gemini a video within its 120 s
// and one request goes whole; a longer or larger one is cut at key frames into MP4 segments of at
// most 120 s that each fit one request (extract/video_segments.hpp, no re-encoding), each an item
// titled with its span, its start in source_offset (milliseconds), its own poster and the segment as
// its media copy. By caption (local), any length will do.
prepared_file prepare_video(const collection_file& file, const std::vector<std::uint8_t>& bytes,
                            const media::media_detection& detection, const item_preparation_settings& settings) {
  const auto start = std::chrono::steady_clock::now();
  extraction_figures figures;
  figures.videos = 1;
  auto facts = extract::probe_video(bytes);
  if (!facts) return skipped("not a usable video: " + facts.failure().message);
  // prepare_input reads the length the movie header states: the longer of the two decides.
  const auto stated = media::iso_media_duration_milliseconds(bytes);
  const std::uint64_t length = std::max(facts->duration_milliseconds, stated ? stated.value() : 0);
  const bool fits = length <= std::uint64_t{settings.limits.max_video_seconds} * 1000 &&
                    bytes.size() <= largest_media_bytes(settings.limits);
  if (!settings.provider_embeds_media || fits) {
    const std::vector<std::uint8_t> poster = video_poster_jpeg(bytes);
    const auto measured = seconds_since(start);
    // prepare_whole_media hears the sound track too, and keeps its figures in the outcome.
    prepared_file outcome = prepare_whole_media(file, bytes, detection, settings);
    for (pending_item& item : outcome.items) item.thumbnail_jpeg = poster;
    outcome.extraction.videos = figures.videos;
    outcome.extraction.video_seconds = measured;
    return outcome;
  }
  const std::string caption = read_caption(file);
  extract::video_segment_limits limits;
  limits.max_milliseconds = std::uint64_t{settings.limits.max_video_seconds} * 1000;
  // The caption travels in the same request, escaped (at most 6 bytes a byte) and base64 does not apply to it.
  const std::uint64_t caption_room = caption.size() * 6 + 1024;
  limits.max_bytes = largest_media_bytes(settings.limits) - std::min<std::uint64_t>(largest_media_bytes(settings.limits) / 2, caption_room);
  auto segments = extract::split_video(bytes, limits);
  if (!segments) {
    return skipped("a " + std::to_string(length / 1000) + " s video that cannot be cut for Gemini: " + segments.failure().message);
  }
  figures.video_seconds = seconds_since(start);
  prepared_file outcome;
  // The whole sound track is heard once; each segment gets the transcript segments that start in it.
  const auto heard = hear_speech(bytes, settings, figures);
  for (extract::video_segment& segment : segments.value()) {
    pending_item item;
    item.metadata = base_metadata(file, segment.mime_type, segment.start_milliseconds);
    set_caption_title(item.metadata, file, caption);
    item.metadata.title += " (" + clock_time(segment.start_milliseconds) + "–" +
                           clock_time(segment.start_milliseconds + segment.duration_milliseconds) + ")";
    item.metadata.source_offset = segment.start_milliseconds;
    attach_media(item, segment.mime_type == "video/mp4" ? "mp4" : "mov", segment.mp4_bytes, settings);
    item.thumbnail_jpeg = video_poster_jpeg(segment.mp4_bytes);
    add_media_parts(item, file, caption, std::string(segment.mime_type), std::string(as_text(segment.mp4_bytes)));
    if (auto ready = finish_input(item, settings, file.relative); !ready) return skipped(ready.failure().message);
    outcome.items.push_back(std::move(item));
  }
  add_transcript(outcome.items, heard, false);
  outcome.extraction = figures;
  return outcome;
}

// The text of pages first..last (from 1, inclusive) as Poppler read it, pages without text left out.
std::string pages_text(const std::vector<std::string>& page_texts, std::size_t first, std::size_t last) {
  std::string text;
  for (std::size_t page = first; page <= last && page <= page_texts.size(); ++page) {
    const std::string& page_text = page_texts[page - 1];
    if (page_text.empty()) continue;
    if (!text.empty()) text += "\n";
    text += page_text;
  }
  return text;
}

// With Gemini, a PDF over its page limit: QPDF cuts it into parts of at most that many pages, made in
// memory, each embedded as an item of its own ("guide.pdf (pages 7–12 of 20)", its first page in
// source_offset, its last in last_page) whose snippet and keyword text are those pages' text. The
// item's media copy is the whole PDF, so the web app opens it at that page. A part that does not fit
// one request skips the file, as a whole PDF would be.
prepared_file prepare_pdf_parts(const collection_file& file, const std::vector<std::uint8_t>& bytes,
                                const media::media_detection& detection, const item_preparation_settings& settings,
                                const extract::pdf_contents& contents, const std::vector<std::uint8_t>& picture,
                                extraction_figures figures) {
  const auto start = std::chrono::steady_clock::now();
  extract::pdf_split_limits limits;
  limits.pages_per_part = static_cast<std::size_t>(settings.limits.max_pdf_pages);
  auto parts = extract::split_pdf(bytes, limits);
  figures.pdf_seconds += seconds_since(start);
  if (!parts) return skipped(parts.failure().message);
  const std::string caption = read_caption(file);
  const std::size_t page_count = parts->back().last_page;
  prepared_file outcome;
  for (extract::pdf_part& part : parts.value()) {
    pending_item item;
    item.metadata = base_metadata(file, detection.mime_type, part.first_page);
    set_caption_title(item.metadata, file, caption);
    const std::string range = part.first_page == part.last_page
                                  ? "page " + std::to_string(part.first_page)
                                  : "pages " + std::to_string(part.first_page) + "–" + std::to_string(part.last_page);
    item.metadata.title += " (" + range + " of " + std::to_string(page_count) + ")";
    item.metadata.source_offset = part.first_page;
    item.metadata.last_page = part.last_page;
    item.thumbnail_jpeg = picture;
    attach_media(item, detection.format, bytes, settings);
    add_media_parts(item, file, caption, std::string(detection.mime_type), std::string(as_text(part.bytes)));
    const std::string text = pages_text(contents.page_texts, part.first_page, part.last_page);
    if (!text.empty()) {
      item.metadata.text_from = index::text_origin::pdf;
      item.metadata.snippet = shortened(text, snippet_limit);
      item.extracted_text = text;
    }
    if (auto ready = finish_input(item, settings, file.relative); !ready) return skipped(ready.failure().message);
    outcome.items.push_back(std::move(item));
  }
  outcome.extraction = figures;
  return outcome;
}

// PDFs: Poppler reads each page's text and draws the first page for the thumbnail; a PDF it cannot
// open (damaged, or locked by a password) is skipped with the reason, whatever the provider. With
// Gemini the PDF's bytes are embedded whole when they are within its page limit (prepare_input's
// check) and its text feeds the keyword index; a longer one is cut into parts (prepare_pdf_parts).
// With a text-only provider each page with text is an item of its own (its page number in
// source_offset), embedded from its text. A PDF without a text layer (a scan) falls back to its
// caption or file name (with Gemini, still in parts when it is long).
prepared_file prepare_pdf(const collection_file& file, const std::vector<std::uint8_t>& bytes,
                          const media::media_detection& detection, const item_preparation_settings& settings) {
  const auto start = std::chrono::steady_clock::now();
  auto contents = extract::read_pdf(bytes);
  if (!contents) return skipped(contents.failure().message);
  extraction_figures figures;
  figures.pdf_pages = contents->page_texts.size();
  std::vector<std::uint8_t> picture;
  if (!contents->first_page_rgb.empty()) {
    auto encoded = media::encode_rgb_jpeg(contents->first_page_rgb, contents->picture_width, contents->picture_height,
                                          media::thumbnail_jpeg_quality);
    if (encoded) picture = std::move(encoded).value();
  }
  figures.pdf_seconds = seconds_since(start);
  std::string all_text;
  std::size_t pages_with_text = 0;
  for (const std::string& page_text : contents->page_texts) {
    if (page_text.empty()) continue;
    ++pages_with_text;
    if (!all_text.empty()) all_text += "\n";
    all_text += page_text;
  }
  if (settings.provider_embeds_media) {
    // prepare_input counts pages conservatively (never too few): a PDF it would refuse is cut too.
    const auto counted = media::count_pdf_pages(bytes);
    const std::uint64_t pages = std::max<std::uint64_t>(contents->page_count, counted ? counted.value() : 0);
    if (pages > settings.limits.max_pdf_pages) {
      return prepare_pdf_parts(file, bytes, detection, settings, contents.value(), picture, figures);
    }
  }
  const std::string caption = read_caption(file);
  prepared_file outcome;
  if (settings.provider_embeds_media || pages_with_text == 0) {
    outcome = prepare_whole_media(file, bytes, detection, settings);
    for (pending_item& item : outcome.items) {
      item.thumbnail_jpeg = picture;
      if (all_text.empty()) continue;
      item.metadata.text_from = index::text_origin::pdf;
      item.metadata.snippet = shortened(all_text, snippet_limit);
      item.extracted_text = all_text;
    }
    outcome.extraction = figures;
    return outcome;
  }
  const std::size_t page_count = contents->page_count;
  for (std::size_t index = 0; index < contents->page_texts.size(); ++index) {
    const std::string& page_text = contents->page_texts[index];
    if (page_text.empty()) continue;
    const std::uint64_t page_number = index + 1;
    pending_item item;
    item.metadata = base_metadata(file, detection.mime_type, page_number);
    set_caption_title(item.metadata, file, caption);
    if (page_count > 1) {
      item.metadata.title += " (page " + std::to_string(page_number) + " of " + std::to_string(page_count) + ")";
    }
    item.metadata.source_offset = page_number;
    item.metadata.embedded_from = index::embedding_source::caption;
    item.metadata.text_from = index::text_origin::pdf;
    item.metadata.snippet = shortened(page_text, snippet_limit);
    item.thumbnail_jpeg = picture;
    attach_media(item, detection.format, bytes, settings);
    // The model reads the caption, then the page (the server's limit on one text part applies).
    std::string text = caption.empty() ? page_text : caption + "\n" + page_text;
    item.input.parts.push_back({shortened(text, settings.limits.max_text_bytes - 8), {}, {}});
    item.extracted_text = page_text.size() > item.input.parts.back().text.size() ? page_text : std::string();
    if (auto ready = finish_input(item, settings, file.relative); !ready) return skipped(ready.failure().message);
    outcome.items.push_back(std::move(item));
  }
  outcome.extraction = figures;
  return outcome;
}

// Gemini takes at most 80 s of audio: a longer MP3 is cut at frame boundaries, each part its own
// item with its offset (like WAV); a shorter one goes whole, tags included.
prepared_file prepare_mp3(const collection_file& file, const std::vector<std::uint8_t>& bytes,
                          const media::media_detection& detection, const item_preparation_settings& settings) {
  auto parsed = media::parse_mp3(bytes);  // a damaged stream is reported, even when only its text is used
  if (!parsed) return skipped("not a usable MP3: " + parsed.failure().message);
  const bool fits = parsed->duration_milliseconds <= std::uint64_t{settings.limits.max_audio_seconds} * 1000 &&
                    bytes.size() <= largest_media_bytes(settings.limits);
  if (!settings.provider_embeds_media || fits) return prepare_whole_media(file, bytes, detection, settings);
  auto segments = media::split_mp3(bytes, settings.limits.max_audio_seconds);
  if (!segments) return skipped("not a usable MP3: " + segments.failure().message);
  const std::string caption = read_caption(file);
  prepared_file outcome;
  const auto heard = hear_speech(bytes, settings, outcome.extraction);
  for (media::mp3_segment& segment : segments.value()) {
    pending_item item;
    item.metadata = base_metadata(file, detection.mime_type, segment.start_milliseconds);
    set_caption_title(item.metadata, file, caption);
    item.metadata.title += " (" + clock_time(segment.start_milliseconds) + "–" +
                           clock_time(segment.start_milliseconds + segment.duration_milliseconds) + ")";
    item.metadata.source_offset = segment.start_milliseconds;
    attach_media(item, "mp3", segment.mp3_bytes, settings);
    add_media_parts(item, file, caption, "audio/mpeg", std::string(as_text(segment.mp3_bytes)));
    if (auto ready = finish_input(item, settings, file.relative); !ready) return skipped(ready.failure().message);
    outcome.items.push_back(std::move(item));
  }
  add_transcript(outcome.items, heard, false);
  return outcome;
}

}  // namespace

std::uint64_t item_id_for(const std::string& relative_path, std::uint64_t offset) {
  const std::string key = relative_path + "#" + std::to_string(offset);
  const auto digest = hash::sha256({reinterpret_cast<const std::uint8_t*>(key.data()), key.size()});
  std::uint64_t id = 0;
  for (std::size_t i = 0; i < 8; ++i) id = id << 8 | digest[i];
  return id;
}

namespace {

prepared_file prepare_by_kind(const collection_file& file, const item_preparation_settings& settings) {
  // Sizes are checked before anything is read, so a 100 MB file costs nothing.
  const bool is_split_audio = file.kind == media_kind::audio;
  if (file.kind == media_kind::unknown) {
    return skipped("not text, an image, audio, video or a PDF (judged by its bytes, not its name)");
  }
  if (file.kind == media_kind::text && file.size > settings.max_text_file_bytes) {
    return skipped("a " + megabytes(file.size) + " text file, over the 16 MB the indexer reads");
  }
  // Images are decoded and resized before they are sent, so their file may be larger than a request;
  // audio is split; video and PDF go whole, so a file too large for one request is skipped unread.
  if (file.kind == media_kind::image && file.size > settings.max_image_file_bytes) {
    return skipped("a " + megabytes(file.size) + " image, over the " + megabytes(settings.max_image_file_bytes) +
                   " the indexer decodes");
  }
  const bool is_split_video = file.kind == media_kind::video && file.size <= settings.max_split_video_file_bytes;
  if (file.kind != media_kind::text && file.kind != media_kind::image && file.size > largest_media_bytes(settings.limits) &&
      !(is_split_audio && file.size <= settings.max_split_audio_file_bytes) && !is_split_video) {
    return skipped(media_too_large_for_request(file.relative, static_cast<std::size_t>(file.size), settings.limits).message +
                   " (not split)");
  }
  auto bytes = read_whole_file(file.path);
  if (!bytes) return skipped(bytes.failure().message);
  const media::media_detection detection = media::detect_media_kind(bytes.value());
  if (detection.kind != file.kind) {
    // The first bytes looked like one kind, the whole file is another (text invalid further on).
    return skipped(detection.reason.empty() ? "its kind changed while it was read" : detection.reason);
  }
  switch (detection.kind) {
    case media_kind::text: return prepare_text(file, as_text(bytes.value()), settings);
    case media_kind::image: return prepare_image_file(file, bytes.value(), detection, settings);
    case media_kind::audio:
      if (detection.format == "wav") return prepare_wav(file, bytes.value(), detection, settings);
      if (detection.format == "mp3") return prepare_mp3(file, bytes.value(), detection, settings);
      if (file.size > largest_media_bytes(settings.limits)) {
        return skipped(media_too_large_for_request(file.relative, static_cast<std::size_t>(file.size), settings.limits).message +
                       " (not split)");
      }
      return prepare_whole_media(file, bytes.value(), detection, settings);
    // Gemini takes at most 120 s of video and 6 pages of PDF: longer ones are cut (prepare_video,
    // prepare_pdf).
    case media_kind::video: return prepare_video(file, bytes.value(), detection, settings);
    case media_kind::pdf: return prepare_pdf(file, bytes.value(), detection, settings);
    default: return skipped(detection.reason.empty() ? "an unknown kind of file" : detection.reason);
  }
}

// Audio, video and PDF items that got no picture of their own (a WAV has its waveform) get their
// kind's icon, so every media result shows a thumbnail; one file per kind in the site.
// Each kind's icon is drawn once per process: the bytes depend only on the kind. Empty when the
// encoder refused (the item then simply has no thumbnail).
const std::vector<std::uint8_t>& kind_icon(media_kind kind) {
  static const auto draw = [](media_kind which) {
    auto icon = media::render_kind_icon_jpeg(which);
    return icon ? std::move(icon).value() : std::vector<std::uint8_t>();
  };
  static const std::vector<std::uint8_t> audio = draw(media_kind::audio), video = draw(media_kind::video),
                                         pdf = draw(media_kind::pdf);
  return kind == media_kind::audio ? audio : kind == media_kind::video ? video : pdf;
}

void add_kind_icons(prepared_file& prepared) {
  for (pending_item& item : prepared.items) {
    if (!item.thumbnail_jpeg.empty()) continue;
    const index::modality kind = item.metadata.kind;
    const media_kind icon_kind = kind == index::modality::audio ? media_kind::audio
                                 : kind == index::modality::video ? media_kind::video
                                 : kind == index::modality::pdf   ? media_kind::pdf
                                                                  : media_kind::unknown;
    if (icon_kind == media_kind::unknown) continue;
    if (const std::vector<std::uint8_t>& icon = kind_icon(icon_kind); !icon.empty()) item.thumbnail_jpeg = icon;
  }
}

}  // namespace

// Media items: the keyword index reads their title and file name's words, and the text they were
// embedded with or by (a caption, a PNG's description, a WAV's comment).
void set_media_keyword_text(const collection_file& file, prepared_file& prepared) {
  const std::string name_words = file_name_words(file.path);
  for (pending_item& item : prepared.items) {
    if (!item.keyword_title.empty() || !item.keyword_body.empty()) continue;
    item.keyword_title = item.metadata.title == name_words ? name_words : item.metadata.title + "\n" + name_words;
    for (const embedding_part& part : item.input.parts) {
      if (!part.is_text() || part.text.empty()) continue;
      if (!item.keyword_body.empty()) item.keyword_body += "\n";
      item.keyword_body += part.text;
    }
    if (!item.extracted_text.empty()) {
      if (!item.keyword_body.empty()) item.keyword_body += "\n";
      item.keyword_body += item.extracted_text;
    }
    // The keyword index reads NFKC text, as the query's is (prepare_text's is already).
    auto title = normalize_nfkc(item.keyword_title);
    auto body = normalize_nfkc(item.keyword_body);
    item.keyword_title = title ? std::move(title).value() : std::string();
    item.keyword_body = body ? std::move(body).value() : std::string();
  }
}

prepared_file prepare_collection_file(const collection_file& file, const item_preparation_settings& settings) {
  prepared_file prepared = prepare_by_kind(file, settings);
  add_kind_icons(prepared);
  set_media_keyword_text(file, prepared);
  return prepared;
}

}  // namespace mosaic::server
