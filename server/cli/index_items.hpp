#pragma once
// mosaic index, step 2: turning one collection file into the items to embed. Text is chunked; an
// image becomes one item with a thumbnail; a WAV becomes one item per segment of at most 80 s (its
// offset in the metadata; shorter when 80 s of it would not fit one Gemini request), and so does an MP3 (cut at frame boundaries); video up to 120 s and PDF
// up to 6 pages go whole when they fit one Gemini request (20 MB once base64-encoded, so about 15 MB
// of file); a longer PDF is cut into parts of at most 6 pages (QPDF, extract/pdf_split.hpp), each an
// item with its page range, and a longer video into segments of at most 120 s cut at key frames
// (FFmpeg, extract/video_segments.hpp), each an item with its start time; a video's thumbnail is a
// poster frame of its picture; larger files are skipped with the reason. Every input goes
// through prepare_input, the same checks the server makes, so the indexer never sends what the
// server would refuse. With a text-only provider (local), media are indexed by their text (sidecar
// caption, PNG Description, WAV comment, else the file name's words) and marked embedded_from
// caption, so the UI can say "matched by caption".
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/index_walk.hpp"
#include "cli/preparation_activity.hpp"
#include "cli/text_chunks.hpp"
#include "embed/embedding_request.hpp"
#include "embed/input_preparation.hpp"
#include "extract/ocr_decision.hpp"
#include "extract/transcript_decision.hpp"
#include "index/item_metadata.hpp"

namespace mosaic::server {

struct pending_item {
  index::item_metadata metadata;
  embedding_input input;                     // what is embedded (already through prepare_input)
  std::vector<std::uint8_t> thumbnail_jpeg;  // images: the ≤256 px JPEG the site stores; others: a poster or icon
  std::vector<std::uint8_t> media_bytes;     // audio, video, PDF: the bytes the web app plays or opens
  std::string media_extension;               // of that copy: "wav", "mp3", "mp4", "mov", "pdf"
  // What the keyword index reads (docs/format.md, "Keyword index"): the title field (the document's
  // title and its file name's words) and the body field (a text chunk's words, a medium's caption or
  // description). Not part of the metadata: the site stores them only as postings.
  std::string keyword_title;
  std::string keyword_body;
  // Text read out of the medium (a PDF's text layer, OCR of an image) that the keyword index reads
  // beside the embedded text: with Gemini the bytes themselves are embedded, not this text.
  std::string extracted_text;
};

struct item_preparation_settings {
  bool provider_embeds_media = false;  // gemini: media bytes are embedded; local: only text
  // Text chunks (cli/text_chunks.hpp). The local model reads 128 SentencePiece tokens, about 1.66 per
  // word on English prose (measured on beir-msmarco-5k, 90th percentile 2.06): 64 words fit 91% of
  // windows whole, with room for a short title; the README's Performance section has the measurements.
  chunking_settings chunking;
  input_limits limits;                 // the server's limits (one 20 MB request, 80 s of audio, ...)
  std::uintmax_t max_text_file_bytes = 16ull * 1024 * 1024;
  std::uintmax_t max_image_file_bytes = 20ull * 1024 * 1024;         // decoded and resized, so may exceed a request
  std::uintmax_t max_split_audio_file_bytes = 512ull * 1024 * 1024;  // WAV and MP3 are split, so may exceed a request
  std::uintmax_t max_split_video_file_bytes = 512ull * 1024 * 1024;  // videos are cut into segments (extract/video_segments)
  // --ocr (extract/ocr_decision.hpp). Images are read at most this many pixels a side: enough for a
  // 4K screenshot's text at half size, and OCR time grows with the pixel count.
  extract::ocr_mode ocr = extract::ocr_mode::automatic;
  std::uint32_t ocr_max_side = 2048;
  // --transcribe (extract/transcript_decision.hpp): WAV, MP3 and other recordings, and a video's audio
  // track. Transcripts are cached in this folder by content hash (empty: not cached, --no-cache).
  extract::transcribe_mode transcribe = extract::transcribe_mode::automatic;
  std::filesystem::path transcript_cache_folder;
  // Where OCR's words are kept by image (extract/image_text_cache.hpp); empty: not kept.
  std::filesystem::path image_text_cache_folder;
  std::uint32_t transcribe_max_seconds = 2 * 60 * 60;  // sound past this is not transcribed
  // Where the slow steps say how far they are, for the progress line (null: nobody is shown), as
  // the entry of the worker preparing the file (each worker has its own copy of these settings).
  preparation_activity* activity = nullptr;
  std::size_t activity_worker = 0;
};

// What reading text out of media cost in one file, for the index report.
struct extraction_figures {
  std::size_t ocr_images = 0;            // images OCR read
  std::size_t ocr_images_with_text = 0;  // of those, images whose text was kept
  std::size_t ocr_cache_hits = 0;        // of those, images whose words came from the OCR cache
  double ocr_seconds = 0;                // decoding and recognising
  std::size_t pdf_pages = 0;             // pages whose text Poppler read
  double pdf_seconds = 0;                // opening, text and the first page's picture
  std::size_t videos = 0;                // videos FFmpeg read
  double video_seconds = 0;              // measuring, the poster frame and cutting into segments
  std::string ocr_failure;               // not empty: OCR could not run (no model); the image is indexed without it
  std::size_t transcribed_files = 0;     // recordings and videos whose sound was heard (or came from the cache)
  std::size_t files_with_speech = 0;     // of those, files whose transcript was kept
  std::size_t transcript_cache_hits = 0; // of those, files whose words came from the transcript cache
  double transcribed_audio_seconds = 0;  // sound decoded and recognised (cache misses only)
  double transcription_seconds = 0;      // decoding and recognising (cache misses only)
  std::string transcribe_failure;        // not empty: the recognizer could not run (no model); indexed without it

  // Adds another file's counts and times; the failures (first one wins, with a note) are the caller's.
  void add_counts(const extraction_figures& other) noexcept {
    ocr_images += other.ocr_images;
    ocr_images_with_text += other.ocr_images_with_text;
    ocr_cache_hits += other.ocr_cache_hits;
    ocr_seconds += other.ocr_seconds;
    pdf_pages += other.pdf_pages;
    pdf_seconds += other.pdf_seconds;
    videos += other.videos;
    video_seconds += other.video_seconds;
    transcribed_files += other.transcribed_files;
    files_with_speech += other.files_with_speech;
    transcript_cache_hits += other.transcript_cache_hits;
    transcribed_audio_seconds += other.transcribed_audio_seconds;
    transcription_seconds += other.transcription_seconds;
  }
};

struct prepared_file {
  std::vector<pending_item> items;
  std::string skip_reason;  // not empty: nothing of this file is indexed, and this says why
  extraction_figures extraction;
};

prepared_file prepare_collection_file(const collection_file& file, const item_preparation_settings& settings);

// The stable id of an item: the file's relative path and the item's offset in it (bytes for text,
// milliseconds for audio), so a re-run gives unchanged items the same ids.
std::uint64_t item_id_for(const std::string& relative_path, std::uint64_t offset);

}  // namespace mosaic::server
