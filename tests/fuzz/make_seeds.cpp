// Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/) from the project's own
// encoders and small hand-made files, so the seeds are valid inputs of today's formats and a format
// change is one re-run away: build-fuzz/bin/mosaic_fuzz_seeds tests/fuzz/corpus (make fuzz-seeds).
// Every file is small (a few hundred bytes to a few KB): libFuzzer mutates small inputs best.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stored_zlib.hpp"

#include "embed/base64.hpp"
#include "hash/sha256.hpp"
#include "index/item_metadata.hpp"
#include "index/manifest.hpp"
#include "index/shard_codec.hpp"
#include "keywords/keyword_index_builder.hpp"
#include "media/image_preparation.hpp"
#include "media/wav_audio.hpp"
#include "partition/partition_codec.hpp"

namespace fs = std::filesystem;
using bytes = std::vector<std::uint8_t>;
using namespace mosaic;

namespace {

fs::path corpus_root;

void write_seed(std::string_view target, std::string_view name, std::span<const std::uint8_t> content) {
  const fs::path folder = corpus_root / target;
  fs::create_directories(folder);
  std::ofstream stream(folder / name, std::ios::binary | std::ios::trunc);
  stream.write(reinterpret_cast<const char*>(content.data()), static_cast<std::streamsize>(content.size()));
  if (!stream) {
    std::fprintf(stderr, "cannot write %s/%.*s\n", folder.c_str(), static_cast<int>(name.size()), name.data());
    std::exit(1);
  }
}

void write_seed(std::string_view target, std::string_view name, std::string_view text) {
  write_seed(target, name, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

template <typename Value>
Value must(result<Value> made, const char* what) {
  if (!made) {
    std::fprintf(stderr, "%s: %s\n", what, made.failure().message.c_str());
    std::exit(1);
  }
  return std::move(made).value();
}

bytes joined(std::initializer_list<bytes> parts) {
  bytes all;
  for (const bytes& part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

void put_big_endian(bytes& out, std::uint64_t value, std::size_t width) {
  for (std::size_t index = 0; index < width; ++index) out.push_back(static_cast<std::uint8_t>(value >> (8 * (width - 1 - index))));
}

// ---- the core's files ------------------------------------------------------------------------

void shard_seeds() {
  const std::vector<float> vectors = {0.6f, 0.8f, 0.0f, 0.0f, 0.0f, 1.0f, 0.5f, 0.5f, 0.70710677f};
  const std::vector<std::uint64_t> ids = {1, 0x1234abcd, 0xffffffffffffffffULL};
  write_seed("shard_decoder", "f32_3x3.bin", must(index::encode_shard_from_f32(3, index::quantization::f32, vectors, ids), "f32 shard"));
  write_seed("shard_decoder", "i8_3x3.bin", must(index::encode_shard_from_f32(3, index::quantization::i8, vectors, ids), "i8 shard"));
  const std::vector<float> one = {1.0f};
  const std::vector<std::uint64_t> one_id = {7};
  write_seed("shard_decoder", "f32_1x1.bin", must(index::encode_shard_from_f32(1, index::quantization::f32, one, one_id), "1x1 shard"));
}

// Partitions: docs/format.md's worked example (2 rows of 4 dimensions), an empty one, and 3 rows of 70
// dimensions (two 8-byte code words, padding in every block).
void partition_seeds() {
  const std::vector<float> centre = {0.7f, 0.1f, 0.1f, -0.7f};
  const std::vector<float> rows = {0.6f, 0.8f, 0.0f, 0.0f, 0.5f, -0.5f, 0.5f, -0.5f};
  const std::vector<std::uint64_t> ids = {0x1111111111111111ULL, 0xff};
  write_seed("partition_decoder", "example_2x4.bin", must(partition::encode_partition_from_f32(4, 3, centre, rows, ids), "partition"));
  write_seed("partition_decoder", "empty.bin", must(partition::encode_partition_from_f32(4, 0, centre, {}, {}), "empty partition"));
  std::vector<float> wide_centre(70, 0.0f);
  std::vector<float> wide_rows(3 * 70, 0.0f);
  for (std::size_t row = 0; row < 3; ++row) {
    wide_rows[row * 70 + row * 7] = 0.6f;
    wide_rows[row * 70 + 69 - row] = -0.8f;
  }
  const std::vector<std::uint64_t> wide_ids = {1, 2, 3};
  write_seed("partition_decoder", "three_rows_70.bin",
             must(partition::encode_partition_from_f32(70, 12, wide_centre, wide_rows, wide_ids), "wide partition"));
}

index::content_file content(const std::string& seed, std::string path_prefix, std::uint64_t size) {
  const std::string hash = hash::sha256_hex(std::span(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size()));
  return {hash, path_prefix + hash + (path_prefix == "items/" ? ".json" : ".bin"), size};
}

void manifest_seeds() {
  index::manifest manifest;
  manifest.generation = 3;
  manifest.model_id = "use-lite-512@energetic-ai-0.2.0";
  manifest.dimensions = 512;
  manifest.full_dimensions = 512;
  manifest.vector_quantization = index::quantization::i8;
  const auto layout = must(index::compute_shard_layout(512, 2, index::quantization::i8), "layout");
  manifest.shards.push_back({content("shard", "shards/", layout.total_bytes), content("items", "items/", 321), 2});
  write_seed("manifest", "version1.json", must(index::serialize_manifest(manifest), "manifest v1"));
  manifest.keywords = content("keywords", "keywords/", 200);
  const auto f32_layout = must(index::compute_shard_layout(512, 1, index::quantization::i8), "layout");
  manifest.shards.push_back({content("shard2", "shards/", f32_layout.total_bytes), content("items2", "items/", 99), 1});
  write_seed("manifest", "version2_keywords.json", must(index::serialize_manifest(manifest), "manifest v2"));
  write_seed("manifest", "not_a_manifest.json", R"({"format":"mosaic-index","format_version":9})");
  // The partitioned layout: a centroid table of two rows and two partitions (one empty).
  manifest.shards.clear();
  manifest.layout = index::index_layout::partitioned;
  manifest.centroids = content("centroids", "centroids/", must(index::compute_shard_layout(512, 2, index::quantization::i8), "layout").total_bytes);
  for (std::uint64_t items : {3ULL, 0ULL}) {
    const auto partition_layout = must(partition::compute_partition_layout(512, items), "partition layout");
    index::manifest_partition entry;
    entry.vectors = content("partition" + std::to_string(items), "partitions/", partition_layout.total_bytes);
    entry.metadata = content("partition items" + std::to_string(items), "items/", 77);
    entry.item_count = items;
    entry.head_bytes = partition_layout.rows_offset;
    manifest.partitions.push_back(entry);
  }
  write_seed("manifest", "version2_partitioned.json", must(index::serialize_manifest(manifest), "manifest v2 partitioned"));
}

void item_metadata_seeds() {
  index::item_metadata frog;
  frog.id = 0x0123456789abcdefULL;
  frog.title = "Green frog";
  frog.source = "animals/frog.png";
  frog.kind = index::modality::image;
  frog.mime_type = "image/png";
  frog.label = "animals";
  frog.tags = {"green", "pond"};
  frog.thumbnail = "thumbnails/0123456789abcdef.jpg";
  frog.embedded_from = index::embedding_source::caption;
  index::item_metadata chunk;
  chunk.id = 2;
  chunk.title = "Notes — 東京";
  chunk.source = "notes/trip.txt";
  chunk.mime_type = "text/plain";
  chunk.snippet = "The train left at 7:02 \"sharp\".";
  chunk.source_offset = 4096;
  index::item_metadata song;
  song.id = 3;
  song.title = "Song";
  song.source = "music/song.mp3";
  song.kind = index::modality::audio;
  song.mime_type = "audio/mpeg";
  song.media = "media/abc.mp3";
  const std::vector<index::item_metadata> items = {frog, chunk, song};
  write_seed("item_metadata", "three_items.json", must(index::serialize_item_metadata(items), "metadata"));
  write_seed("item_metadata", "one_item.json", must(index::serialize_item_metadata(std::span(items).first(1)), "metadata"));
}

void keyword_seeds() {
  const std::vector<keywords::keyword_document> documents = {
      {1, "Green frog", "a green frog sits on a leaf by the pond"},
      {2, "Error codes", "error AB-1234 means the disk is full; error 500 is the server"},
      {3, "東京 2024年", "the trip to Tokyo: trains, temples and ramen"},
      {4, "Frogs and toads", "toads are frogs with dry skin; the frog jumps"},
      {5, "", "zebra crossing at the quiet road near the pond"},
  };
  // The same small files fuzz_term_file's setup builds, so its seeds decode against its directory.
  keywords::keyword_build_options small_files;
  small_files.target_term_file_bytes = 64;
  const auto built = must(keywords::build_keyword_index(documents, small_files), "keyword index");
  write_seed("keyword_directory", "small_files.bin", built.directory.bytes);
  const auto whole = must(keywords::build_keyword_index(documents), "keyword index");
  write_seed("keyword_directory", "one_file.bin", whole.directory.bytes);
  // fuzz_term_file: the first byte picks the directory's file, the rest is that file.
  for (std::size_t index = 0; index < built.term_files.size() && index < 6; ++index) {
    bytes seed = {static_cast<std::uint8_t>(index)};
    seed.insert(seed.end(), built.term_files[index].bytes.begin(), built.term_files[index].bytes.end());
    write_seed("term_file", "file" + std::to_string(index) + ".bin", seed);
  }
}

void text_seeds() {
  // fuzz_text_analysis: the first byte is the token limit switch (>= 64: the default limit).
  const std::array<std::string_view, 6> texts = {
      "\xffThe quick brown fox jumps over the lazy dog's back, running 3 times.",
      "\xff\"green frog\" error AB-1234 -toad “quoted phrase”",
      "\xff東京タワー 2024年 서울 北京大学",
      "\x05" "Caf\xc3\xa9 na\xc3\xafve \xc3\x9f stra\xc3\x9f" "e \xef\xac\x81" "le",
      "\xff" "e-mail x86_64 v1.2.3 C++ ab--cd 3.14159 foo_bar",
      "\xff\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xf0\x9f\x90\xb8 emoji",
  };
  for (std::size_t index = 0; index < texts.size(); ++index) write_seed("text_analysis", "text" + std::to_string(index), texts[index]);
  for (std::size_t index = 0; index < texts.size(); ++index) write_seed("utf8", "text" + std::to_string(index), texts[index].substr(1));
  write_seed("utf8", "overlong", "\xc0\xaf \xe0\x80\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xf0\x9f\x90");
  for (std::size_t index = 0; index < 4; ++index) write_seed("sentencepiece", "text" + std::to_string(index), texts[index].substr(1));
  write_seed("sentencepiece", "vocabulary", std::string("\0", 1) + R"([["<pad>",0],["<s>",0],["</s>",0],["<unk>",0],["▁a",-1.5],["b",-2]])");
}

void query_option_seeds() {
  write_seed("query_options", "simple.json", R"({"k": 10, "text": "green frog", "mode": "hybrid"})");
  write_seed("query_options", "filter.json",
             R"({"k": 5, "filter": {"modality": ["image", "audio"], "label": "animals", "tag": ["green"], "exclude": ["0123456789abcdef"]}})");
  write_seed("query_options", "classify.json",
             R"({"k": 0, "classify": {"k": 15, "min_similarity": 0.2, "min_confidence": 0.5}, "one_per_document": false})");
  write_seed("query_options", "fusion.json", R"({"mode": "keyword", "fusion": {"method": "convex", "vector_weight": 0.2}, "k": 10000})");
  write_seed("query_options", "condition.txt", "modality=image\n");
}

// ---- media -----------------------------------------------------------------------------------

void wav_seeds() {
  std::vector<float> samples(400);
  for (std::size_t index = 0; index < samples.size(); ++index) samples[index] = static_cast<float>(index % 50) / 50.0f - 0.5f;
  write_seed("wav_audio", "mono16.wav", must(media::write_pcm16_wav(samples, 1, 8000), "wav"));
  write_seed("wav_audio", "stereo16.wav", must(media::write_pcm16_wav(samples, 2, 1000), "wav"));
  media::wav_format float_format;
  float_format.encoding = media::wav_sample_encoding::ieee_float;
  float_format.channels = 1;
  float_format.sample_rate = 1000;
  float_format.bits_per_sample = 32;
  bytes float_samples(4 * 64, 0);
  write_seed("wav_audio", "float_comment.wav", must(media::write_wav(float_format, float_samples, std::string("a comment")), "wav"));
  media::wav_format eight_bit;
  eight_bit.channels = 2;
  eight_bit.sample_rate = 1000;
  eight_bit.bits_per_sample = 8;
  write_seed("wav_audio", "pcm8.wav", must(media::write_wav(eight_bit, bytes(200, 128)), "wav"));
}

// An MPEG audio frame header (see tests/shared/media/test_mp3_audio.cpp): MPEG 1 Layer III, no CRC.
bytes mp3_frames(std::size_t count, std::uint32_t version_bits, std::uint32_t bitrate_index, bool mono) {
  const std::uint32_t header = 0xFFE00000u | version_bits << 19 | 1u << 17 | 1u << 16 | bitrate_index << 12 | (mono ? 3u : 1u) << 6;
  const std::uint32_t kilobits1[] = {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320};
  const std::uint32_t kilobits2[] = {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160};
  const bool mpeg1 = version_bits == 3;
  const std::uint32_t rate = 44100 / (mpeg1 ? 1 : version_bits == 2 ? 2 : 4);
  const std::size_t length = (mpeg1 ? 144 : 72) * (mpeg1 ? kilobits1 : kilobits2)[bitrate_index] * 1000 / rate;
  bytes stream;
  for (std::size_t frame = 0; frame < count; ++frame) {
    const std::size_t start = stream.size();
    stream.resize(start + length, 0);
    for (std::size_t index = 0; index < 4; ++index) stream[start + index] = static_cast<std::uint8_t>(header >> (24 - 8 * index));
  }
  return stream;
}

void mp3_seeds() {
  write_seed("mp3_audio", "mpeg1_32k.mp3", mp3_frames(6, 3, 1, true));
  write_seed("mp3_audio", "mpeg2_8k.mp3", mp3_frames(8, 2, 1, false));
  bytes tagged = {'I', 'D', '3', 3, 0, 0, 0, 0, 0, 10};
  tagged.resize(20, 0);
  bytes xing = mp3_frames(1, 3, 1, true);
  const char* name = "Xing";
  for (std::size_t index = 0; index < 4; ++index) xing[4 + 17 + index] = static_cast<std::uint8_t>(name[index]);
  xing[4 + 17 + 7] = 1;
  xing[4 + 17 + 11] = 4;
  bytes trailer = {'T', 'A', 'G'};
  trailer.resize(128, 0);
  write_seed("mp3_audio", "id3_xing_tag.mp3", joined({tagged, xing, mp3_frames(4, 3, 1, true), trailer}));
}

bytes box(const char* type, const bytes& body) {
  bytes made;
  put_big_endian(made, body.size() + 8, 4);
  made.insert(made.end(), type, type + 4);
  made.insert(made.end(), body.begin(), body.end());
  return made;
}

bytes movie_header(std::uint8_t version, std::uint32_t timescale, std::uint64_t duration) {
  bytes body = {version, 0, 0, 0};
  const std::size_t width = version == 1 ? 8 : 4;
  put_big_endian(body, 0, width);
  put_big_endian(body, 0, width);
  put_big_endian(body, timescale, 4);
  put_big_endian(body, duration, width);
  body.resize(body.size() + 80, 0);
  return box("mvhd", body);
}

void iso_media_seeds() {
  const bytes file_type = box("ftyp", {'i', 's', 'o', 'm', 0, 0, 2, 0, 'i', 's', 'o', 'm', 'm', 'p', '4', '1'});
  write_seed("iso_media_duration", "mp4_v0.mp4",
             joined({file_type, box("mdat", bytes(64, 7)), box("moov", joined({box("trak", bytes(16, 1)), movie_header(0, 1000, 150500)}))}));
  write_seed("iso_media_duration", "mov_v1.mov", joined({box("ftyp", {'q', 't', ' ', ' ', 0, 0, 0, 0}), box("moov", movie_header(1, 90000, 90000ull * 61))}));
  // A 64-bit box size (size field 1), then the movie box.
  bytes large = {0, 0, 0, 1, 'f', 'r', 'e', 'e'};
  put_big_endian(large, 24, 8);
  large.resize(24, 0);
  write_seed("iso_media_duration", "largesize.mp4", joined({file_type, large, box("moov", movie_header(0, 600, 1200))}));
}


void pdf_seeds() {
  std::string pdf = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>\nendobj\n";
  for (int page = 3; page <= 4; ++page) {
    pdf += std::to_string(page) + " 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Resources<<>>>>\nendobj\n";
  }
  pdf += "trailer\n<< /Root 1 0 R >>\n%%EOF\n";
  write_seed("pdf_pages", "two_pages.pdf", pdf);
  const std::string objects = "3 0 4 60 <</Type/Page/Parent 2 0 R>> <</Type/Page/Parent 2 0 R>> <</Type/Pages/Count 2>>";
  const bytes stream = mosaic::test::stored_zlib(objects);
  std::string head = "%PDF-1.5\n5 0 obj\n<< /Type /ObjStm /N 2 /First 8 /Filter /FlateDecode /Length " +
                     std::to_string(stream.size()) + " >>\nstream\n";
  bytes object_stream_pdf(head.begin(), head.end());
  object_stream_pdf.insert(object_stream_pdf.end(), stream.begin(), stream.end());
  const std::string tail = "\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
  object_stream_pdf.insert(object_stream_pdf.end(), tail.begin(), tail.end());
  write_seed("pdf_pages", "object_stream.pdf", object_stream_pdf);
}

void image_seeds() {
  // A 12 x 8 gradient as JPEG (the core's encoder), and small hand-made PNG/BMP/GIF files.
  bytes pixels(12 * 8 * 3);
  for (std::size_t index = 0; index < pixels.size(); ++index) pixels[index] = static_cast<std::uint8_t>(index * 7);
  write_seed("media", "gradient.jpg", must(media::encode_rgb_jpeg(pixels, 12, 8), "jpeg"));
  // A 1 x 1 red PNG (RGB, 8 bits), with its real CRCs and zlib data.
  static const std::uint8_t png[] = {
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
      0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xde, 0x00, 0x00, 0x00, 0x0c, 0x49,
      0x44, 0x41, 0x54, 0x08, 0xd7, 0x63, 0xf8, 0xcf, 0xc0, 0x00, 0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xdd, 0x8d, 0xb0,
      0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
  write_seed("media", "red.png", std::span<const std::uint8_t>(png));
  // 2 x 2 24-bit BMP.
  bytes bmp = {'B', 'M', 70, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 24, 0,
               0, 0, 0, 0, 16, 0, 0, 0, 0x13, 0x0b, 0, 0, 0x13, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const bytes rows = {0, 0, 255, 255, 255, 255, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0};
  bmp.insert(bmp.end(), rows.begin(), rows.end());
  write_seed("media", "tiny.bmp", bmp);
  // 1 x 1 GIF89a.
  static const std::uint8_t gif[] = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255,
                                     0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3b};
  write_seed("media", "dot.gif", std::span<const std::uint8_t>(gif));
  write_seed("media", "text.txt", "plain UTF-8 text, caf\xc3\xa9\n");
}

// ---- the server's inputs ---------------------------------------------------------------------

// A POST request whose Content-Length is its body's.
std::string post(std::string_view target, std::string_view headers, std::string_view body) {
  return "POST " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n" + std::string(headers) +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

// The bytes of a seed written earlier in this run (the media targets' seeds, sent inline here).
std::string seed_bytes(std::string_view target, std::string_view name) {
  std::ifstream stream(corpus_root / target / name, std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
  if (!stream.is_open() || content.empty()) {
    std::fprintf(stderr, "cannot read the seed %.*s/%.*s\n", static_cast<int>(target.size()), target.data(),
                 static_cast<int>(name.size()), name.data());
    std::exit(1);
  }
  return content;
}

// fuzz_embed_routes: the routes behind the provider, with inline media of every kind the input check reads.
void embed_route_seeds() {
  const auto inline_part = [](std::string_view mime_type, std::string_view target, std::string_view name) {
    return R"({"mime_type":")" + std::string(mime_type) + R"(","data":")" + server::encode_base64(seed_bytes(target, name)) + "\"}";
  };
  const std::string json_type = "Content-Type: application/json\r\n";
  write_seed("embed_routes", "texts", post("/api/embed", json_type,
                                           R"({"inputs":["a frog",{"parts":[{"text":"a pond"}],"title":"Pond"}],"task":"document","dimensions":4})"));
  write_seed("embed_routes", "image_and_text",
             post("/api/embed", json_type,
                  R"({"inputs":[{"parts":[{"text":"a red dot"},)" + inline_part("image/png", "media", "red.png") + "]}]}"));
  write_seed("embed_routes", "jpeg_and_png",
             post("/api/embed", json_type,
                  R"({"inputs":[{"parts":[)" + inline_part("image/jpg", "media", "gradient.jpg") + "," +
                      inline_part("image/png", "media", "red.png") + R"(]}],"task":"RETRIEVAL_QUERY"})"));
  write_seed("embed_routes", "wav", post("/api/embed", json_type,
                                         R"({"inputs":[{"parts":[)" + inline_part("audio/x-wav", "wav_audio", "mono16.wav") + "]}]}"));
  write_seed("embed_routes", "mp3", post("/api/embed", json_type,
                                         R"({"inputs":[{"parts":[)" + inline_part("audio/mpeg", "mp3_audio", "mpeg1_32k.mp3") + "]}]}"));
  write_seed("embed_routes", "pdf", post("/api/embed", json_type,
                                         R"({"inputs":[{"parts":[)" + inline_part("application/pdf", "pdf_pages", "two_pages.pdf") + "]}]}"));
  write_seed("embed_routes", "mov", post("/api/embed", json_type,
                                         R"({"inputs":[{"parts":[)" + inline_part("video/quicktime", "iso_media_duration", "mov_v1.mov") + "]}]}"));
  write_seed("embed_routes", "refused", post("/api/embed", json_type, R"({"inputs":["a frog","refuse this one"]})"));
  write_seed("embed_routes", "search_text", post("/api/search", json_type, R"({"text":"green frog","k":3,"filter":{"modality":"image"}})"));
  const std::string png = server::encode_base64(seed_bytes("media", "red.png"));
  write_seed("embed_routes", "gemini_single",
             post("/v1beta/models/fuzz-model:embedContent", "x-goog-api-key: k\r\n",
                  R"({"content":{"parts":[{"text":"hi"},{"inlineData":{"mimeType":"image/png","data":")" + png +
                      R"("}}]},"taskType":"RETRIEVAL_DOCUMENT","title":"Dot","outputDimensionality":4})"));
  write_seed("embed_routes", "gemini_batch",
             post("/v1beta/models/fuzz-model:batchEmbedContents", "",
                  R"({"requests":[{"model":"models/fuzz-model","content":{"parts":[{"text":"hi"}]},"output_dimensionality":"2"},)"
                  R"({"model":"models/fuzz-model","content":{"parts":[{"text":"over there"}]},"task_type":"CLUSTERING"}]})"));
}

void server_seeds() {
  write_seed("gemini_answer_scanner", "two_by_three.json",
             R"({"embeddings":[{"values":[0.1,-0.25,3e-2]},{"values":[1,-0,0.333333343267]}]})");
  write_seed("gemini_answer_scanner", "spaced.json",
             "{ \"embeddings\" : [ { \"values\" : [ 1.5E+2 , -7.0e-45 , 3.4028235e38 ] } ] }\n");
  write_seed("gemini_answer_scanner", "empty.json", R"({"embeddings":[]})");
  write_seed("gemini_answer_scanner", "error.json", R"({"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}})");

  write_seed("caption_list", "captions.jsonl",
             "{\"path\": \"animals/frog.png\", \"caption\": \"a green frog on a leaf\", \"title\": \"Frog\"}\n\n"
             "{\"path\": \"music/song.mp3\", \"caption\": \"a short song\"}\n");
  write_seed("caption_list", "bad_lines.jsonl",
             "{\"path\": \"../escape.png\", \"caption\": \"x\"}\nnot json\n{\"path\": \"a.png\", \"caption\": \"\", \"extra\": 1}\n"
             "{\"path\": \"a.png\", \"caption\": \"one\"}\n{\"path\": \"a.png\", \"caption\": \"two\"}\n");

  // fuzz_range_header: content size byte, Range line, If-None-Match line.
  write_seed("range_header", "first_bytes", "\x64" "bytes=0-9\n");
  write_seed("range_header", "suffix", "\x20" "bytes=-5\n\"other\"");
  write_seed("range_header", "open_end", "\x80" "bytes=100-\n");
  write_seed("range_header", "unsatisfiable", "\x10" "bytes=50-60\n");
  write_seed("range_header", "several_and_etag", "\x40" "bytes=0-1,5-6\n\"fuzz-etag\"");

  write_seed("http_request", "get_index", "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  write_seed("http_request", "range_wasm",
             "GET /mosaic.wasm HTTP/1.1\r\nHost: localhost\r\nRange: bytes=2-5\r\nIf-None-Match: \"x\"\r\n\r\n");
  write_seed("http_request", "traversal", "GET /%2e%2e/secret.txt HTTP/1.0\r\n\r\n");
  write_seed("http_request", "embed", post("/api/embed", "Content-Type: application/json\r\n",
                                           R"({"inputs":[{"parts":[{"text":"a frog"}]}]})"));
  write_seed("http_request", "search", post("/api/search", "Origin: https://example.org\r\n", R"({"text":"frog","k":3,"x":1})"));
  write_seed("http_request", "preflight",
             "OPTIONS /api/embed HTTP/1.1\r\nHost: localhost\r\nOrigin: https://example.org\r\n"
             "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n\r\n");
  write_seed("http_request", "manifest", "GET /index/manifest.json HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"x\"\r\n\r\n");
  write_seed("http_request", "search_keyword", post("/api/search", "Content-Type: application/json\r\n",
                                                    R"({"text":"green \"frog pond\" error","mode":"keyword","k":3,"filter":{"tag":"even"}})"));
  write_seed("http_request", "search_vector",
             post("/api/search", "", R"({"vector":[1,0,0,0,0,0,0,0],"k":2,"filter":{"label":"animals"},"classify":{"k":3}})"));
  write_seed("http_request", "health_metrics", "GET /api/health HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  write_seed("http_request", "gemini_batch",
             post("/v1beta/models/gemini-embedding-001:batchEmbedContents", "x-goog-api-key: k\r\n",
                  R"({"requests":[{"model":"models/m","content":{"parts":[{"text":"hi"}]}}]})"));

  embed_route_seeds();

  // fuzz_gemini_request_size reads its input through FuzzedDataProvider: any bytes are a case.
  for (int seed = 0; seed < 4; ++seed) {
    bytes random(64 + 96 * static_cast<std::size_t>(seed));
    std::uint32_t state = 2463534242u + static_cast<std::uint32_t>(seed);
    for (std::uint8_t& byte : random) {
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      byte = static_cast<std::uint8_t>(state);
    }
    write_seed("gemini_request_size", "random" + std::to_string(seed), random);
  }
  write_seed("gemini_request_size", "text_with_escapes", "gemini-embedding-001\x00task: search result | query: \"caf\xc3\xa9\"\n\t\x01\\");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s tests/fuzz/corpus\n", argv[0]);
    return 2;
  }
  corpus_root = argv[1];
  shard_seeds();
  partition_seeds();
  manifest_seeds();
  item_metadata_seeds();
  keyword_seeds();
  text_seeds();
  query_option_seeds();
  wav_seeds();
  mp3_seeds();
  iso_media_seeds();
  pdf_seeds();
  image_seeds();
  server_seeds();
  return 0;
}
