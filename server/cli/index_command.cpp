// mosaic index FOLDER --out SITE: walks a folder (index_walk), turns each file into items to embed
// (index_items), embeds them in batches through the cached provider (index_batches) with progress on
// stderr (index_progress), and writes the site, manifest last. Every file not indexed is reported
// with its reason, never dropped silently; damaged files are skipped and the run still succeeds.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/caption_list.hpp"
#include "cli/command_options.hpp"
#include "cli/command_failure.hpp"
#include "cli/commands.hpp"
#include "cli/index_batch_jobs.hpp"
#include "cli/index_batches.hpp"
#include "cli/index_items.hpp"
#include "cli/index_progress.hpp"
#include "cli/index_watch.hpp"
#include "cli/index_walk.hpp"
#include "cli/item_feed.hpp"
#include "cli/ordered_parallel_preparation.hpp"
#include "cli/preparation_activity.hpp"
#include "cli/options.hpp"
#include "cli/provider_setup.hpp"
#include "site/site_writer.hpp"

namespace mosaic::server {
namespace {

namespace fs = std::filesystem;

constexpr const char* index_usage = R"(usage: mosaic index FOLDER --out SITE [options]
  Embeds every file under FOLDER (recursively) and writes an index site to SITE: content-addressed
  shards, item metadata, thumbnails and manifest.json (written last, so an interrupted run keeps the
  old index). Kinds are decided by bytes, not names: text (chunked), PNG/JPEG images (GIF/BMP/TGA/PNM
  re-encoded as JPEG), WAV and MP3 (cut into segments of at most 80 s, MP3 at frame boundaries),
  MP4/MOV up to 120 s and PDF up to 6 pages whole when they fit one 20 MB Gemini request once
  base64-encoded, about 15 MB of file (a longer PDF in parts of at most 6 pages, each an item with
  its page range; a longer video, up to 512 MB, in segments of at most 120 s cut at key frames, each
  an item with its start time; larger files are skipped and reported). A video's thumbnail is a
  poster frame (FFmpeg); a video FFmpeg cannot read or decode is skipped with the reason.
  Audio, video and PDF items keep a playable copy in SITE/media/ for the web app. A PDF's text
  (Poppler) is its snippet and keyword text, and its first page its thumbnail; with local each page
  with text is an item embedded from that text; an encrypted or damaged PDF is skipped with the reason.
  NAME.txt beside NAME.png (or .wav, ...) is its caption: with gemini it is embedded together with
  the media, with the text-only local provider media are indexed by their caption (else a PNG's
  Description, a WAV's comment, or the file name). Unchanged files come from the embedding cache.
options:
  --out SITE          the site folder to write (created if missing)
  --captions FILE     captions for media files from a JSON Lines file, one object a line:
                        {"path": "animals/frog.png", "caption": "a green frog", "title": "Frog"}
                      path relative to FOLDER; title optional (else the caption is the title);
                      "description" optional: the snippet results show (else the caption). It
                      takes precedence over a NAME.txt sidecar. Any bad line (bad JSON, a missing,
                      empty or unknown field, a repeated path) stops the run before anything is
                      written and is named by its line number; paths that match no media file are
                      reported and ignored. The file itself is not indexed when it lies in FOLDER.
  --dims N            store the first N dimensions (Matryoshka truncation, renormalized); default
                      the model's size up to 768
  --quant int8|f32    vector storage: int8 with a per-vector scale (default, 4x smaller) or float32
  --shard-items N     items per shard, default 10000 (flat layout)
  --layout flat|partitioned|auto   how the vectors are stored: flat shards that a browser
                      downloads whole and searches exactly, or partitions (k-means on every core,
                      about sqrt(items) of them, int8) of which a query fetches a few and searches
                      approximately. auto (default): partitioned from 50,000 items up, else flat
                      (float32 vectors are always flat)
  --recluster         partitioned: train new centroids; without it a re-index keeps the previous
                      centroids, so partitions whose items did not change keep their files (and
                      browsers their copies). The report says when partitions have grown
                      unbalanced and this would help
  --chunk-words N     words per text chunk at most (a document's title included with local),
                      default 64 with local (its window is 128 tokens, about 77 words), 1000 with
                      gemini; a text of at most N words is one chunk, whole. Chunks end at sentence
                      ends where one is near, and the last is never a short tail: it overlaps the
                      one before instead
  --chunk-overlap N   words a chunk repeats of the one before, default 0 (at most N/2)
  --chunk-at sentences|words   end chunks at sentence ends where one is near (default) or
                      strictly every N words
  --concurrency N     upstream calls (batches of up to 100 inputs) in flight, default 4
                      (sets --max-upstream-calls), and files prepared at once: min(N, cores)
                      workers read files and run OCR, transcription, PDF and video extraction
                      side by side (each worker loads its own OCR and speech models); items
                      still reach the index in folder order, so the site is the same for any N.
                      The local model's own threads (one a core) are not counted here
  --ocr auto|on|off   text in images (screenshots, scans, slides) read by Tesseract: auto (default)
                      reads every image and keeps its words only when at least 3 words of 2+
                      letters have 70+ confidence and the mean is 60+ (photos and clip art keep
                      none); on keeps every word of 30+ confidence; off reads none. The words are
                      the image's snippet and keyword text, and with local what it is embedded from
  --transcribe auto|on|off  what is said in WAV, MP3 and other recordings and in a video's
                      audio track, heard by PocketSphinx (US English): auto (default) keeps a
                      recording's words of posterior 0.3+ when at least 2 are kept, the mean
                      posterior is 0.3+ and 60% of them are different words; on keeps every
                      word of 0.05+; off hears none. The words are the snippet, keyword text,
                      the metadata's transcript with times, and with local what it is embedded
                      from. Transcripts are cached by content hash in the cache folder
  --json              print a machine-readable report (counts, cache hits, every skipped file);
                      with --watch one report a line, one a pass
  --keep-generations-seconds N   files of a replaced generation stay downloadable for N seconds
                      after it is replaced (its manifest waits in SITE/generations/), so a reader
                      that fetched the old manifest can finish; default 0 (they stay until the
                      next write), 300 with --watch
batch jobs (gemini provider; half the price per token, results within hours rather than seconds):
  --batch-jobs        embed through Gemini's batch jobs (asyncBatchEmbedContent) instead of a call
                      per 100 inputs: inputs not in the embedding cache are submitted as jobs, polled
                      until they finish, and their vectors filed into the cache; the site is then
                      written as usual (the same site as without --batch-jobs). Jobs are recorded in
                      batch-jobs-MODEL.json beside the cache as soon as Gemini accepts them: a run
                      that is stopped or killed resumes polling them, never submitting them again. A
                      job that fails or expires is submitted once more; a second failure stops the
                      run (site unchanged, the other jobs' vectors kept in the cache). Requests a job
                      answers with an error are embedded call by call. The report (--json:
                      "batch_jobs") gives the jobs, the tokens Gemini counted and the saving against
                      per-call prices. Not with --no-cache or --watch
  --batch-job-inputs N   requests per job at most, default 1000 (and at most 20 MB of body)
  --batch-poll-ms MS  first wait before polling the jobs, default 10000; it doubles after each
                      round up to --batch-poll-max-ms (default 300000)
watching (keeps the site current as the folder changes; stop with Ctrl-C or SIGTERM):
  --watch             index, then follow FOLDER (inotify) and write a new generation after each
                      batch of changes: added, changed, removed and renamed files. Editors' and
                      downloaders' temporary files (.swp, ~, .#NAME, 4913, .tmp, .part, ...) are
                      skipped, here and without --watch. A save that changes nothing keeps the
                      generation. A stop between passes is immediate; during one, the pass
                      finishes its generation first (a second signal ends at once; the old
                      manifest stays valid either way)
  --watch-poll        look for changes by listing the folder instead of inotify (network and FUSE
                      folders; also used by itself when inotify cannot be set up)
  --watch-quiet-ms MS a batch ends after MS ms without a change, default 1000
  --watch-max-batch-ms MS   ...or MS ms after its first change, default 10000
  --watch-poll-ms MS  how often --watch-poll lists the folder, default 500
)";

// The parser's options are the completion's (cli/command_options.hpp).
const std::set<std::string_view>& valued_options() { return command_options("index").valued; }

const std::set<std::string_view>& flag_options() { return command_options("index").flags; }

// --layout auto: partitioned from this many items up. Below it a flat int8 index is under about 40 MB
// at 768 dimensions, which a browser downloads and scans exactly in a few seconds, and exact results
// are worth that; above it the download before the first result keeps growing with the collection,
// while a partitioned site's (manifest, centroid table, a few partitions) stays near a megabyte.
constexpr std::size_t auto_partitioned_items = 50000;

// The step a file's preparation spends its time in, for the progress line (a recording's and a video's
// sound are heard after: hear_speech says so when it starts).
preparation_step slow_step_of(media::media_kind kind, const item_preparation_settings& settings) {
  switch (kind) {
    case media::media_kind::image:
      return settings.ocr == extract::ocr_mode::off ? preparation_step::none : preparation_step::reading_text;
    case media::media_kind::audio:
      return settings.transcribe == extract::transcribe_mode::off ? preparation_step::none : preparation_step::transcribing;
    case media::media_kind::video: return preparation_step::reading_video;
    case media::media_kind::pdf: return preparation_step::reading_pdf;
    default: return preparation_step::none;
  }
}

int usage_failure(const std::string& message) {
  return report_usage_failure("index", message, std::string(index_usage) + "\n" + provider_options_help);
}

// Gives each media file its --captions entry; entries left over are reported in `unused`. The list
// itself is not indexed when it lies inside the collection.
void apply_caption_list(caption_list& captions, const fs::path& list_path, collection_walk& walk,
                        std::vector<skipped_file>& unused) {
  std::error_code failure;
  std::erase_if(walk.files, [&](const collection_file& file) { return fs::equivalent(file.path, list_path, failure); });
  for (collection_file& file : walk.files) {
    const auto entry = captions.by_path.find(file.relative);
    if (entry == captions.by_path.end()) continue;
    if (file.kind == media::media_kind::text || file.kind == media::media_kind::unknown) {
      unused.push_back({file.relative, "line " + std::to_string(entry->second.line) +
                                           ": not an image, audio, video or PDF file (text is indexed by its own words)"});
    } else {
      file.listed_caption = std::move(entry->second.caption);
      file.listed_title = std::move(entry->second.title);
      file.listed_description = std::move(entry->second.description);
    }
    captions.by_path.erase(entry);
  }
  for (const auto& [path, entry] : captions.by_path) {
    unused.push_back({path, "line " + std::to_string(entry.line) + ": no such file among the collection's files"});
  }
}

}  // namespace

int run_index_command(std::span<const std::string_view> arguments) {
  parsed_options options(arguments, valued_options(), flag_options());
  if (options.has("--help")) {
    std::printf("%s\n%s", index_usage, provider_options_help);
    return 0;
  }
  // --concurrency is the indexer's name for the provider's calls in flight.
  std::vector<std::string_view> extended(arguments.begin(), arguments.end());
  const std::optional<std::string> concurrency = options.value("--concurrency");
  if (concurrency && !options.value("--max-upstream-calls")) {
    extended.push_back("--max-upstream-calls");
    extended.push_back(*concurrency);
    options = parsed_options(extended, valued_options(), flag_options());
  }
  const auto calls_in_flight = options.number("--concurrency", 4, 1, 256);
  const auto shard_items = options.number("--shard-items", 10000, 1, 1000000);
  const std::string quantization_name = options.value("--quant").value_or("int8");
  if (options.error()) return usage_failure(*options.error());
  if (options.positional().size() != 1) return usage_failure("give exactly one FOLDER");
  if (!options.value("--out")) return usage_failure("--out SITE is required");
  if (quantization_name != "int8" && quantization_name != "f32") return usage_failure("--quant must be int8 or f32");
  const std::string layout_name = options.value("--layout").value_or("auto");
  if (layout_name != "flat" && layout_name != "partitioned" && layout_name != "auto") {
    return usage_failure("--layout must be flat, partitioned or auto");
  }
  if (layout_name == "partitioned" && quantization_name == "f32") {
    return usage_failure("--layout partitioned stores int8 vectors: it cannot be combined with --quant f32");
  }
  const bool watching = options.has("--watch");
  const auto keep_generations_seconds = options.number("--keep-generations-seconds", watching ? 300 : 0, 0, 30 * 24 * 3600);
  const auto watch_quiet = options.number("--watch-quiet-ms", 1000, 10, 600'000);
  const auto watch_max_batch = options.number("--watch-max-batch-ms", 10'000, 10, 3'600'000);
  const auto watch_poll = options.number("--watch-poll-ms", 500, 10, 600'000);
  if (options.error()) return usage_failure(*options.error());
  if (!watching && (options.has("--watch-poll") || options.value("--watch-quiet-ms") || options.value("--watch-max-batch-ms") ||
                    options.value("--watch-poll-ms"))) {
    return usage_failure("--watch-poll and --watch-*-ms go with --watch");
  }
  const bool batch_jobs = options.has("--batch-jobs");
  batch_job_run_settings batch_job_settings;
  {
    const auto job_inputs = options.number("--batch-job-inputs", 1000, 1, 100000);
    const auto first_poll = options.number("--batch-poll-ms", 10'000, 1, 3'600'000);
    const auto longest_poll = options.number("--batch-poll-max-ms", 300'000, 1, 86'400'000);
    if (!job_inputs || !first_poll || !longest_poll) return usage_failure(*options.error());
    batch_job_settings.job_inputs = *job_inputs;
    batch_job_settings.first_poll = std::chrono::milliseconds(*first_poll);
    batch_job_settings.longest_poll = std::chrono::milliseconds(std::max(*first_poll, *longest_poll));
  }
  if (!batch_jobs && (options.value("--batch-job-inputs") || options.value("--batch-poll-ms") ||
                      options.value("--batch-poll-max-ms"))) {
    return usage_failure("--batch-job-inputs and --batch-poll-*-ms go with --batch-jobs");
  }
  if (batch_jobs && watching) return usage_failure("--batch-jobs cannot be combined with --watch");
  if (batch_jobs && options.has("--no-cache")) {
    return usage_failure("--batch-jobs files its vectors into the embedding cache and keeps its job journal beside it: "
                         "it cannot run with --no-cache");
  }
  const fs::path folder = options.positional()[0];
  const fs::path site = *options.value("--out");
  std::error_code failure;
  if (!fs::is_directory(folder, failure)) {
    return report_failure("index", error_code_name(error_code::io_error), folder.string() + " is not a folder", 1);
  }

  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  // --concurrency also sets how many files are prepared at once (OCR, transcription, PDFs, videos),
  // never more than the cores: those steps are computation, and more threads than cores only add
  // memory (each worker loads its own OCR and speech models) and switching.
  const std::size_t preparation_workers = std::clamp<std::size_t>(*calls_in_flight, 1, threads);
  auto setup = set_up_provider(options, threads, std::chrono::minutes(10));
  if (!setup) {
    return report_failure("index", setup.failure(), setup.failure().code == error_code::invalid_argument ? 2 : 1);
  }
  embedding_provider& provider = (*setup)->provider();
  const bool embeds_media = provider.accepts_mime_type("image/jpeg");
  const std::size_t full_dimensions = provider.dimensions();
  const auto dimensions = options.number("--dims", std::min<std::size_t>(full_dimensions, 768), 1, full_dimensions);
  const auto chunk_words = options.number("--chunk-words", embeds_media ? 1000 : 64, 1, 10000);
  const auto chunk_overlap = options.number("--chunk-overlap", 0, 0, 5000);
  const std::string chunk_at = options.value("--chunk-at").value_or("sentences");
  if (!dimensions || !chunk_words || !chunk_overlap) return usage_failure(*options.error());
  if (batch_jobs && (*setup)->name != "gemini") return usage_failure("--batch-jobs needs --provider gemini");
  if (batch_jobs && (*setup)->cache_file.empty()) {
    return report_failure("index", error_code_name(error_code::io_error),
                          "--batch-jobs needs the embedding cache on disk, and it is not: " + (*setup)->cache_note, 1);
  }
  batch_job_settings.dimensions = *dimensions;
  if (chunk_at != "sentences" && chunk_at != "words") return usage_failure("--chunk-at must be sentences or words");
  std::fprintf(stderr, "mosaic index: provider %s (%s), %s\n", (*setup)->name.c_str(), provider.model_id().c_str(),
               (*setup)->cache_note.c_str());

  // One pass: walk, prepare, embed, write a generation. --watch runs it again after each batch of changes.
  auto index_once = [&]() -> int {
  // Phase times go into the --json report, so a benchmark can tell embedding from file work (reading
  // and preparing overlap with embedding: "preparing" ends when the last file is prepared).
  using clock_type = std::chrono::steady_clock;
  const auto seconds_since = [](clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
  };
  const auto preparation_start = clock_type::now();
  item_preparation_settings preparation;
  preparation.provider_embeds_media = embeds_media;
  auto ocr = extract::parse_ocr_mode(options.value("--ocr").value_or("auto"));
  if (!ocr) return usage_failure(ocr.failure().message);
  preparation.ocr = ocr.value();
  auto transcribe = extract::parse_transcribe_mode(options.value("--transcribe").value_or("auto"));
  if (!transcribe) return usage_failure(transcribe.failure().message);
  preparation.transcribe = transcribe.value();
  if (!options.has("--no-cache")) {
    // Beside the embedding cache: --cache-dir DIR keeps transcripts in DIR/transcripts and OCR's
    // words in DIR/image-text.
    const std::filesystem::path cache_folder = options.value("--cache-dir").has_value()
                                                   ? std::filesystem::path(*options.value("--cache-dir"))
                                                   : default_cache_folder();
    preparation.transcript_cache_folder = cache_folder / "transcripts";
    preparation.image_text_cache_folder = cache_folder / "image-text";
  }
  preparation.chunking.max_words = *chunk_words;
  preparation.chunking.overlap_words = *chunk_overlap;
  preparation.chunking.sentence_boundaries = chunk_at == "sentences";

  // The caption list is read whole before anything else, so a bad line stops the run before any work.
  std::optional<caption_list> captions;
  std::optional<std::string> captions_path = options.value("--captions");
  if (captions_path) {
    auto read = read_caption_list(*captions_path);
    if (!read) {
      return report_failure("index", read.failure(), 1);
    }
    captions = std::move(read.value());
  }
  std::vector<skipped_file> unused_captions;  // --captions entries that name no media file
  const std::size_t listed_captions = captions ? captions->by_path.size() : 0;
  std::size_t applied_captions = 0;

  // The folder is walked and its files read and prepared on their own threads (the preparer and its
  // workers, below) while the first batches are already embedded: the upstream's latency (or the local model) need not wait for the disk,
  // nor the disk for them.
  item_feed feed;
  std::optional<error> walk_failure;
  std::vector<skipped_file> preparation_skipped;  // the preparer's own; read after it is joined
  std::atomic<std::size_t> preparation_skip_count{0};
  std::size_t files_indexed = 0, captioned_items = 0, caption_files = 0;
  extraction_figures extraction;  // summed over the files; the preparer's own, read after it is joined
  // Files are prepared on `preparation_workers` threads (OCR, transcription, PDFs and videos take
  // seconds a file) and handed to the feed in walk order (cli/ordered_parallel_preparation.hpp), so
  // the site does not depend on the number of workers.
  preparation_activity activity(preparation_workers);  // the workers' slow steps now, for the progress line
  preparation.activity = &activity;
  double preparation_seconds = 0;
  std::thread preparer([&] {
    auto walk = walk_collection(folder, site);
    if (!walk) {
      walk_failure = walk.failure();
      feed.close();
      return;
    }
    caption_files = walk->caption_files;
    if (captions) {
      apply_caption_list(*captions, *captions_path, walk.value(), unused_captions);
      applied_captions = listed_captions - unused_captions.size();
    }
    preparation_skipped = std::move(walk->skipped);
    preparation_skip_count = preparation_skipped.size();
    // Each worker's own settings: its entry in the activity.
    std::vector<item_preparation_settings> worker_settings(preparation_workers, preparation);
    for (std::size_t worker = 0; worker < preparation_workers; ++worker) worker_settings[worker].activity_worker = worker;
    const auto prepare = [&](std::size_t index, std::size_t worker) {
      const collection_file& file = walk->files[index];
      activity.begin(worker, slow_step_of(file.kind, preparation), file.relative);
      prepared_file prepared = prepare_collection_file(file, worker_settings[worker]);
      activity.end(worker);
      return prepared;
    };
    // On the preparer's thread, in walk order: the same steps, in the same order, as one file after
    // another did.
    const auto deliver = [&](std::size_t index, prepared_file prepared) {
      const collection_file& file = walk->files[index];
      extraction.add_counts(prepared.extraction);
      if (!prepared.extraction.transcribe_failure.empty() && extraction.transcribe_failure.empty()) {
        extraction.transcribe_failure = prepared.extraction.transcribe_failure;
        std::fprintf(stderr, "mosaic index: note: recordings are indexed without transcripts: %s\n",
                     extraction.transcribe_failure.c_str());
      }
      if (!prepared.extraction.ocr_failure.empty() && extraction.ocr_failure.empty()) {
        extraction.ocr_failure = prepared.extraction.ocr_failure;
        std::fprintf(stderr, "mosaic index: note: images are indexed without OCR: %s\n", extraction.ocr_failure.c_str());
      }
      if (!prepared.skip_reason.empty()) {
        preparation_skipped.push_back({file.relative, std::move(prepared.skip_reason)});
        ++preparation_skip_count;
        return;
      }
      ++files_indexed;
      for (const pending_item& item : prepared.items) {
        if (item.metadata.embedded_from == index::embedding_source::caption) ++captioned_items;
      }
      feed.add(std::move(prepared.items));
    };
    prepare_in_order<prepared_file>(walk->files.size(), {preparation_workers, 2 * preparation_workers}, prepare,
                                    deliver, [&feed] { return feed.cancelled(); });
    preparation_seconds = seconds_since(preparation_start);
    feed.close();
  });

  // --batch-jobs: once every file is prepared, the inputs go through batch jobs into the cache; the
  // embedding below then finds them there.
  std::optional<batch_job_run_report> batch_report;
  if (batch_jobs) {
    std::mutex feed_mutex;
    std::condition_variable feed_changed;
    feed.set_listener([&feed_mutex, &feed_changed] {
      const std::lock_guard guard(feed_mutex);
      feed_changed.notify_one();
    });
    {
      std::unique_lock lock(feed_mutex);
      feed_changed.wait(lock, [&feed] { return feed.current().closed; });
    }
    feed.set_listener(nullptr);
    if (!walk_failure) {
      const std::vector<embedding_input> inputs = feed.inputs(0, feed.current().available);
      batch_report.emplace();
      const status ran = run_batch_jobs(inputs, **setup, batch_job_settings, *batch_report, stderr);
      if (!ran) {
        feed.cancel();
        preparer.join();
        return report_failure("index", error_code_name(ran.failure().code),
                              "batch jobs stopped, the site was not changed: " + ran.failure().message, 1);
      }
    }
  }

  const auto embedding_start = clock_type::now();
  const auto hits_before = (*setup)->cache ? (*setup)->cache->statistics().hits : 0;
  auto cache_hits = [&] {
    return static_cast<std::size_t>(((*setup)->cache ? (*setup)->cache->statistics().hits : 0) - hits_before);
  };
  progress_reporter progress(stderr, isatty(fileno(stderr)) == 1);
  batch_run_settings batches;
  batches.batches_in_flight = *calls_in_flight;
  batches.dimensions = *dimensions;
  // The total grows while files are still being prepared. While a long file is read no batch may
  // finish, so a ticker updates the line too (the reporter decides when it is time to print).
  std::atomic<std::size_t> items_done{0};
  const auto report_progress = [&] {
    progress.update({items_done.load(), feed.current().available, cache_hits(), preparation_skip_count.load(), activity.describe()});
  };
  std::mutex ticker_mutex;
  std::condition_variable ticker_wake;
  bool embedding_over = false;
  std::thread ticker([&] {
    std::unique_lock lock(ticker_mutex);
    while (!ticker_wake.wait_for(lock, std::chrono::milliseconds(100), [&] { return embedding_over; })) report_progress();
  });
  auto embedded = embed_in_batches(provider, (*setup)->cache.get(), feed, batches, [&](std::size_t done) {
    items_done = done;
    report_progress();
  });
  {
    const std::lock_guard guard(ticker_mutex);
    embedding_over = true;
  }
  ticker_wake.notify_one();
  ticker.join();
  preparer.join();  // on a stopped run the feed is cancelled, so this is quick
  if (walk_failure) {
    return report_failure("index", *walk_failure, 1);
  }
  std::vector<skipped_file> skipped = std::move(preparation_skipped);
  std::vector<pending_item> items = feed.take_all();
  if (!embedded) {
    progress.finish({0, items.size(), cache_hits(), skipped.size(), {}});
    return report_failure("index", error_code_name(embedded.failure().code),
                          "embedding stopped, the site was not changed: " + embedded.failure().message, 1);
  }
  const double embedding_seconds = seconds_since(embedding_start);
  const auto writing_start = clock_type::now();
  for (const auto& [position, reason] : embedded->failures) skipped.push_back({items[position].metadata.source, reason});

  std::vector<indexed_item> indexed;
  indexed.reserve(items.size());
  for (std::size_t position = 0; position < items.size(); ++position) {
    if (!embedded->vectors[position]) continue;
    indexed_item item;
    item.metadata = std::move(items[position].metadata);
    item.vector = std::move(*embedded->vectors[position]);
    item.thumbnail_jpeg = std::move(items[position].thumbnail_jpeg);
    item.media_bytes = std::move(items[position].media_bytes);
    item.media_extension = std::move(items[position].media_extension);
    item.keyword_title = std::move(items[position].keyword_title);
    item.keyword_body = std::move(items[position].keyword_body);
    indexed.push_back(std::move(item));
  }
  progress.finish({items.size(), items.size(), cache_hits(), skipped.size(), {}});

  site_layout layout;
  layout.model_id = provider.model_id();
  layout.dimensions = static_cast<std::uint32_t>(*dimensions);
  layout.full_dimensions = static_cast<std::uint32_t>(full_dimensions);
  layout.vector_quantization = quantization_name == "f32" ? index::quantization::f32 : index::quantization::i8;
  layout.items_per_shard = *shard_items;
  const bool partitioned = layout_name == "partitioned" ||
                           (layout_name == "auto" && layout.vector_quantization == index::quantization::i8 &&
                            indexed.size() >= auto_partitioned_items);
  layout.vector_layout = partitioned ? index::index_layout::partitioned : index::index_layout::flat;
  layout.recluster = options.has("--recluster");
  layout.retired_generation_grace = std::chrono::seconds(*keep_generations_seconds);
  layout.keep_unchanged_generation = watching;
  site_write_report write_report;
  auto manifest = write_site(site, layout, indexed, &write_report);
  if (!manifest) {
    return report_failure("index", manifest.failure(), 1);
  }
  const double writing_seconds = seconds_since(writing_start);
  if (write_report.partitioning && write_report.partitioning->unbalanced) {
    std::fprintf(stderr, "mosaic index: warning: partitions have grown unbalanced (the largest holds %.2f x the mean, "
                 "%zu partitions for %zu items); re-run with --recluster\n", write_report.partitioning->imbalance,
                 write_report.partitioning->partitions, indexed.size());
  }
  const std::uint64_t upstream_calls = (*setup)->gemini ? (*setup)->gemini->statistics().calls : 0;
  // The cache is an optimization: a file it could not write to (a full disk) does not fail the run,
  // but the user learns that the next run will pay for those embeddings again.
  const auto cache_statistics = (*setup)->cache ? (*setup)->cache->statistics() : embedding_cache_statistics{};
  if (cache_statistics.file_write_failures > 0) {
    std::fprintf(stderr, "mosaic index: note: %llu embeddings were kept in memory only, not in the cache file (%s); a later run embeds them again\n",
                 static_cast<unsigned long long>(cache_statistics.file_write_failures), cache_statistics.last_file_error.c_str());
  }
  if (options.has("--json")) {
    nlohmann::json report{{"site", site.string()},
                          {"generation", manifest->generation},
                          {"provider", (*setup)->name},
                          {"model", manifest->model_id},
                          {"dimensions", manifest->dimensions},
                          {"files_indexed", files_indexed},
                          {"caption_files", caption_files},
                          {"listed_captions", listed_captions},
                          {"listed_captions_applied", applied_captions},
                          {"listed_captions_unused", nlohmann::json::array()},
                          {"items", indexed.size()},
                          {"items_embedded_by_caption", captioned_items},
                          {"preparation_workers", preparation_workers},
                          {"cache_hits", cache_hits()},
                          {"upstream_calls", upstream_calls},
                          {"cache_write_failures", cache_statistics.file_write_failures},
                          {"shards", manifest->shards.size()},
                          {"layout", index::index_layout_name(manifest->layout)},
                          {"seconds", {{"preparing", preparation_seconds},
                                       {"embedding", embedding_seconds},
                                       {"writing", writing_seconds}}},
                          {"extraction", {{"ocr_images", extraction.ocr_images},
                                          {"ocr_images_with_text", extraction.ocr_images_with_text},
                                          {"ocr_cache_hits", extraction.ocr_cache_hits},
                                          {"ocr_seconds", extraction.ocr_seconds},
                                          {"pdf_pages", extraction.pdf_pages},
                                          {"pdf_seconds", extraction.pdf_seconds},
                                          {"videos", extraction.videos},
                                          {"video_seconds", extraction.video_seconds},
                                          {"transcribed_files", extraction.transcribed_files},
                                          {"files_with_speech", extraction.files_with_speech},
                                          {"transcript_cache_hits", extraction.transcript_cache_hits},
                                          {"transcribed_audio_seconds", extraction.transcribed_audio_seconds},
                                          {"transcription_seconds", extraction.transcription_seconds}}},
                          {"skipped", nlohmann::json::array()},
                          {"unchanged", write_report.unchanged},
                          {"retired_generations_kept", write_report.retired_generations_kept}};
    if (const auto& partitioning = write_report.partitioning) {
      report["partitions"] = {{"count", partitioning->partitions},
                              {"centroids", partitioning->kept_centroids ? "kept" : "trained"},
                              {"centroids_note", partitioning->centroid_note},
                              {"kmeans_iterations", partitioning->kmeans_iterations},
                              {"kept_items", partitioning->kept_rows},
                              {"new_files", partitioning->new_partition_files},
                              {"largest", partitioning->largest_partition},
                              {"imbalance", partitioning->imbalance},
                              {"items_outside_nearest", partitioning->rows_outside_nearest},
                              {"unbalanced", partitioning->unbalanced}};
      report["seconds"]["kmeans"] = partitioning->kmeans_seconds;
      report["seconds"]["assignment"] = partitioning->assignment_seconds;
      report["seconds"]["partition_files"] = partitioning->writing_seconds;
    }
    if (batch_report) report["batch_jobs"] = batch_job_report_json(*batch_report, manifest->model_id);
    for (const skipped_file& file : skipped) report["skipped"].push_back({{"path", file.path}, {"reason", file.reason}});
    for (const skipped_file& entry : unused_captions) {
      report["listed_captions_unused"].push_back({{"path", entry.path}, {"reason", entry.reason}});
    }
    // --watch prints a report a pass, one a line, so a reader of the stream can split them.
    std::printf("%s\n", report.dump(watching ? -1 : 2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else if (write_report.unchanged) {
    std::printf("no change in %s: generation %llu kept (%zu items); skipped %zu files\n", folder.c_str(),
                static_cast<unsigned long long>(manifest->generation), indexed.size(), skipped.size());
  } else {
    const std::string vector_files = write_report.partitioning
                                         ? std::to_string(manifest->partitions.size()) + " partitions"
                                         : std::to_string(manifest->shards.size()) + " shards";
    std::printf("indexed %zu files as %zu items in %s (generation %llu) into %s; %zu cache hits, "
                "%llu upstream calls; skipped %zu files\n",
                files_indexed, indexed.size(), vector_files.c_str(),
                static_cast<unsigned long long>(manifest->generation), site.c_str(), cache_hits(),
                static_cast<unsigned long long>(upstream_calls), skipped.size());
    if (const auto& partitioning = write_report.partitioning) {
      std::printf("partitioned layout: %zu partitions, centroids %s (%zu k-means iterations, %.2f s; assignment "
                  "%.2f s), %zu new partition files, largest partition %zu items (%.2f x the mean)\n",
                  partitioning->partitions, partitioning->kept_centroids ? "kept" : "trained",
                  partitioning->kmeans_iterations, partitioning->kmeans_seconds, partitioning->assignment_seconds,
                  partitioning->new_partition_files, partitioning->largest_partition, partitioning->imbalance);
      if (!partitioning->centroid_note.empty()) std::printf("  centroids trained afresh: %s\n", partitioning->centroid_note.c_str());
    }
    if (batch_report) {
      const nlohmann::json summary = batch_job_report_json(*batch_report, manifest->model_id);
      std::printf("batch jobs: %zu submitted (%zu resubmitted), %zu resumed, %zu succeeded; %zu vectors filed; %s\n",
                  batch_report->jobs_submitted, batch_report->jobs_resubmitted, batch_report->jobs_resumed,
                  batch_report->jobs_succeeded, batch_report->results_filed,
                  summary["cost"]["summary"].get<std::string>().c_str());
    }
    for (const skipped_file& file : skipped) std::printf("  skipped %s: %s\n", file.path.c_str(), file.reason.c_str());
    if (listed_captions > 0) {
      std::printf("captions: %zu listed, %zu applied, %zu unused\n", listed_captions, applied_captions,
                  unused_captions.size());
    }
    for (const skipped_file& entry : unused_captions) {
      std::printf("  unused caption for %s: %s\n", entry.path.c_str(), entry.reason.c_str());
    }
  }
  return 0;
  };
  if (!watching) return index_once();
  folder_watch_settings watch;
  watch.folder = folder;
  watch.site = site;
  watch.method = options.has("--watch-poll") ? watch_method::polling : watch_method::inotify;
  watch.quiet_period = std::chrono::milliseconds(*watch_quiet);
  watch.longest_batch = std::chrono::milliseconds(*watch_max_batch);
  watch.poll_interval = std::chrono::milliseconds(*watch_poll);
  return watch_and_index(std::move(watch), index_once);
}

}  // namespace mosaic::server
