// manifest.json: round trips, the canonical content-addressed paths, and hostile manifests, each with
// an error that names the field.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "hash/sha256.hpp"
#include "index/manifest.hpp"
#include "index/shard_codec.hpp"
#include "partition/partition_codec.hpp"

using namespace mosaic;
using namespace mosaic::index;

namespace {

std::string hash_of(const std::string& text) {
  return hash::sha256_hex({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

manifest sample_manifest() {
  manifest value;
  value.generation = 7;
  value.model_id = "use-lite-512@energetic-ai-0.2.0";
  value.dimensions = 256;
  value.full_dimensions = 512;
  value.vector_quantization = quantization::i8;
  for (std::uint64_t items : {1000ULL, 17ULL}) {
    manifest_shard shard;
    shard.item_count = items;
    shard.vectors.hash = hash_of("shard" + std::to_string(items));
    shard.vectors.path = shard_path_for(shard.vectors.hash);
    shard.vectors.bytes = compute_shard_layout(256, items, quantization::i8)->total_bytes;
    shard.metadata.hash = hash_of("metadata" + std::to_string(items));
    shard.metadata.path = metadata_path_for(shard.metadata.hash);
    shard.metadata.bytes = 1234;
    value.shards.push_back(shard);
  }
  return value;
}

// Serializes the sample, lets `edit` change the text, and parses it again.
template <typename Edit>
result<manifest> parse_edited(Edit edit) {
  std::string text = serialize_manifest(sample_manifest()).value();
  edit(text);
  return parse_manifest(text);
}

void replace_once(std::string& text, const std::string& from, const std::string& to) {
  const auto position = text.find(from);
  REQUIRE(position != std::string::npos);
  text.replace(position, from.size(), to);
}

void require_error(const result<manifest>& parsed, error_code code, const std::string& mentions) {
  INFO("message: " << (parsed.ok() ? std::string("(parsed fine)") : parsed.failure().message));
  REQUIRE_FALSE(parsed.ok());
  CHECK(error_code_name(parsed.failure().code) == error_code_name(code));
  CHECK(parsed.failure().message.find(mentions) != std::string::npos);
}

}  // namespace

TEST_CASE("a manifest survives serialize and parse unchanged", "[manifest]") {
  const manifest original = sample_manifest();
  const std::string text = serialize_manifest(original).value();
  auto parsed = parse_manifest(text);
  REQUIRE(parsed.ok());
  CHECK(parsed->generation == 7);
  CHECK(parsed->model_id == original.model_id);
  CHECK(parsed->dimensions == 256);
  CHECK(parsed->full_dimensions == 512);
  CHECK(parsed->vector_quantization == quantization::i8);
  REQUIRE(parsed->shards.size() == 2);
  CHECK(parsed->shards[0].vectors.hash == original.shards[0].vectors.hash);
  CHECK(parsed->shards[0].vectors.path == "shards/" + original.shards[0].vectors.hash + ".bin");
  CHECK(parsed->shards[1].metadata.path == "items/" + original.shards[1].metadata.hash + ".json");
  CHECK(parsed->item_count() == 1017);
  // Serialization is deterministic: the same manifest gives the same bytes.
  CHECK(serialize_manifest(parsed.value()).value() == text);
  CHECK(text.find("\"item_count\": 1017") != std::string::npos);
}

TEST_CASE("a manifest with no shards is a valid empty index", "[manifest]") {
  manifest empty = sample_manifest();
  empty.shards.clear();
  auto parsed = parse_manifest(serialize_manifest(empty).value());
  REQUIRE(parsed.ok());
  CHECK(parsed->item_count() == 0);
}

TEST_CASE("manifests a client must refuse, each with a specific error", "[manifest][hostile]") {
  SECTION("not JSON") { require_error(parse_manifest("{\"format\": "), error_code::invalid_json, "not valid JSON"); }
  SECTION("not an object") { require_error(parse_manifest("[1,2]"), error_code::invalid_manifest, "object"); }
  SECTION("empty input") { require_error(parse_manifest(""), error_code::invalid_json, "JSON"); }
  SECTION("another format") {
    require_error(parse_edited([](std::string& t) { replace_once(t, "mosaic-index", "pagefind"); }),
                  error_code::invalid_manifest, "format");
  }
  SECTION("a future format version") {
    require_error(parse_edited([](std::string& t) { replace_once(t, "\"format_version\": 1", "\"format_version\": 3"); }),
                  error_code::unsupported_manifest_version, "version 3");
  }
  SECTION("a keyword index in a version 1 manifest") {
    require_error(parse_edited([](std::string& t) {
                    replace_once(t, "\"generation\"", "\"keywords\": {\"bytes\": 1, \"file\": \"keywords/" +
                                                            hash_of("k") + ".bin\", \"hash\": \"" + hash_of("k") +
                                                            "\"},\n  \"generation\"");
                  }),
                  error_code::invalid_manifest, "keywords");
  }
  SECTION("a keyword directory outside keywords/") {
    manifest value = sample_manifest();
    value.keywords = content_file{hash_of("k"), keyword_directory_path_for(hash_of("k")), 10};
    std::string text = serialize_manifest(value).value();
    replace_once(text, "\"keywords/", "\"terms/");
    require_error(parse_manifest(text), error_code::invalid_manifest, "keywords/");
  }
  SECTION("format version zero") {
    require_error(parse_edited([](std::string& t) { replace_once(t, "\"format_version\": 1", "\"format_version\": 0"); }),
                  error_code::invalid_manifest, "format_version");
  }
  SECTION("a missing model") {
    require_error(parse_edited([](std::string& t) { replace_once(t, "\"model\"", "\"modell\""); }),
                  error_code::invalid_manifest, "\"model\"");
  }
  SECTION("dimensions as a string") {
    require_error(parse_edited([](std::string& t) { replace_once(t, "\"dimensions\": 256", "\"dimensions\": \"256\""); }),
                  error_code::invalid_manifest, "\"dimensions\"");
  }
  SECTION("negative, fractional and huge numbers") {
    require_error(parse_edited([](std::string& t) { replace_once(t, "\"generation\": 7", "\"generation\": -7"); }),
                  error_code::invalid_manifest, "generation");
    require_error(parse_edited([](std::string& t) { replace_once(t, "\"generation\": 7", "\"generation\": 7.5"); }),
                  error_code::invalid_manifest, "generation");
    require_error(parse_edited([](std::string& t) {
                    replace_once(t, "\"generation\": 7", "\"generation\": 18446744073709551615");
                  }),
                  error_code::invalid_manifest, "generation");
    require_error(parse_edited([](std::string& t) { replace_once(t, "\"dimensions\": 256", "\"dimensions\": 65537"); }),
                  error_code::invalid_manifest, "dimensions");
  }
  SECTION("stored dimensions above the model's") {
    require_error(parse_edited([](std::string& t) { replace_once(t, "\"full_dimensions\": 512", "\"full_dimensions\": 128"); }),
                  error_code::invalid_manifest, "full_dimensions");
  }
  SECTION("unknown quantization and metric") {
    require_error(parse_edited([](std::string& t) { replace_once(t, "\"i8\"", "\"f16\""); }),
                  error_code::invalid_manifest, "quantization");
    require_error(parse_edited([](std::string& t) { replace_once(t, "\"cosine\"", "\"euclidean\""); }),
                  error_code::invalid_manifest, "metric");
  }
  SECTION("a shard path that escapes the index or is not content-addressed") {
    const manifest original = sample_manifest();
    const std::string canonical = original.shards[0].vectors.path;
    for (const std::string& hostile : std::vector<std::string>{"../" + canonical, "/etc/passwd", "shards/other.bin",
                                                              "shards/../../x.bin"}) {
      require_error(parse_edited([&](std::string& t) { replace_once(t, canonical, hostile); }),
                    error_code::invalid_manifest, "\"file\"");
    }
  }
  SECTION("a hash that is not SHA-256 hex") {
    const std::string hash = sample_manifest().shards[0].vectors.hash;
    std::string upper = hash;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    require_error(parse_edited([&](std::string& t) { replace_once(t, "\"hash\": \"" + hash, "\"hash\": \"" + upper); }),
                  error_code::invalid_manifest, "\"hash\"");
  }
  SECTION("a byte size that disagrees with the layout") {
    const std::uint64_t bytes = sample_manifest().shards[0].vectors.bytes;
    require_error(parse_edited([&](std::string& t) {
                    replace_once(t, "\"bytes\": " + std::to_string(bytes), "\"bytes\": " + std::to_string(bytes + 1));
                  }),
                  error_code::invalid_manifest, "\"bytes\"");
  }
  SECTION("a shard listed twice") {
    manifest doubled = sample_manifest();
    doubled.shards.push_back(doubled.shards[0]);
    require_error(parse_manifest(serialize_manifest(doubled).value()), error_code::invalid_manifest, "twice");
  }
  SECTION("an item count that disagrees with the shards") {
    require_error(parse_edited([](std::string& t) { replace_once(t, "\"item_count\": 1017", "\"item_count\": 1018"); }),
                  error_code::invalid_manifest, "item_count");
  }
  SECTION("deeply nested garbage does not crash the parser") {
    const std::string nested(100000, '[');
    auto parsed = parse_manifest(nested);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.failure().code == error_code::invalid_json);
  }
}

TEST_CASE("serialize_manifest refuses what parse_manifest would refuse", "[manifest]") {
  manifest bad = sample_manifest();
  bad.model_id.clear();
  CHECK_FALSE(serialize_manifest(bad).ok());
  bad = sample_manifest();
  bad.shards[0].vectors.hash = "xyz";
  CHECK_FALSE(serialize_manifest(bad).ok());
  bad = sample_manifest();
  bad.full_dimensions = 100;
  CHECK_FALSE(serialize_manifest(bad).ok());
}

TEST_CASE("safe relative paths stay inside the index", "[manifest][paths]") {
  for (const char* safe : {"shards/a.bin", "thumbnails/ab/cd.jpg", "a", "a.b/c..d/e"}) {
    INFO(safe);
    CHECK(is_safe_relative_path(safe));
  }
  for (const char* unsafe : {"", "/abs", "../up", "a/../b", "a/./b", "a//b", "a/", "a\\b", "c:/x", "a\x01"}) {
    INFO(unsafe);
    CHECK_FALSE(is_safe_relative_path(unsafe));
  }
  CHECK(is_sha256_hex(std::string(64, 'a')));
  CHECK_FALSE(is_sha256_hex(std::string(63, 'a')));
  CHECK_FALSE(is_sha256_hex(std::string(64, 'g')));
}

TEST_CASE("a manifest with a keyword index is version 2 and round-trips; one without stays version 1", "[manifest]") {
  manifest value = sample_manifest();
  const std::string without = serialize_manifest(value).value();
  CHECK(without.find("\"format_version\": 1") != std::string::npos);
  CHECK(without.find("keywords") == std::string::npos);
  value.keywords = content_file{hash_of("directory"), keyword_directory_path_for(hash_of("directory")), 4096};
  const std::string with = serialize_manifest(value).value();
  CHECK(with.find("\"format_version\": 2") != std::string::npos);
  auto parsed = parse_manifest(with);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->keywords.has_value());
  CHECK(parsed->keywords->hash == hash_of("directory"));
  CHECK(parsed->keywords->path == "keywords/" + hash_of("directory") + ".bin");
  CHECK(parsed->keywords->bytes == 4096);
  CHECK(parsed->format_version == 2);
  CHECK(serialize_manifest(parsed.value()).value() == with);
}

namespace {

// A partitioned manifest of three partitions of 256 dimensions (sizes from the partition layout).
manifest sample_partitioned_manifest() {
  manifest value = sample_manifest();
  value.shards.clear();
  value.layout = index_layout::partitioned;
  const std::uint32_t partitions = 3;
  value.centroids = content_file{hash_of("centroids"), centroid_table_path_for(hash_of("centroids")),
                                 compute_shard_layout(256, partitions, quantization::i8)->total_bytes};
  for (std::uint64_t items : {40ULL, 0ULL, 17ULL}) {
    manifest_partition partition;
    partition.item_count = items;
    partition.vectors.hash = hash_of("partition" + std::to_string(items));
    partition.vectors.path = partition_path_for(partition.vectors.hash);
    const auto layout = partition::compute_partition_layout(256, items).value();
    partition.vectors.bytes = layout.total_bytes;
    partition.head_bytes = layout.rows_offset;
    partition.metadata.hash = hash_of("partition metadata" + std::to_string(items));
    partition.metadata.path = metadata_path_for(partition.metadata.hash);
    partition.metadata.bytes = 99;
    value.partitions.push_back(partition);
  }
  return value;
}

template <typename Edit>
result<manifest> parse_edited_partitioned(Edit edit) {
  std::string text = serialize_manifest(sample_partitioned_manifest()).value();
  edit(text);
  return parse_manifest(text);
}

// The JSON text of the sample's partitions[position] entry as the serializer writes it (keys sorted).
std::string partition_bytes_field(std::size_t position) {
  return "\"bytes\": " + std::to_string(sample_partitioned_manifest().partitions[position].vectors.bytes);
}

}  // namespace

TEST_CASE("a partitioned manifest is version 2 and survives serialize and parse unchanged", "[manifest][partitioned]") {
  const manifest original = sample_partitioned_manifest();
  const std::string text = serialize_manifest(original).value();
  CHECK(text.find("\"format_version\": 2") != std::string::npos);
  CHECK(text.find("\"layout\": \"partitioned\"") != std::string::npos);
  CHECK(text.find("\"shards\": []") != std::string::npos);
  auto parsed = parse_manifest(text);
  REQUIRE(parsed.ok());
  CHECK(parsed->layout == index_layout::partitioned);
  CHECK(parsed->shards.empty());
  REQUIRE(parsed->centroids.has_value());
  CHECK(parsed->centroids->hash == original.centroids->hash);
  CHECK(parsed->centroids->path == "centroids/" + original.centroids->hash + ".bin");
  CHECK(parsed->centroids->bytes == original.centroids->bytes);
  REQUIRE(parsed->partitions.size() == 3);
  CHECK(parsed->vector_file_count() == 3);
  for (std::size_t p = 0; p < 3; ++p) {
    CHECK(parsed->partitions[p].vectors.hash == original.partitions[p].vectors.hash);
    CHECK(parsed->partitions[p].vectors.path == "partitions/" + original.partitions[p].vectors.hash + ".bin");
    CHECK(parsed->partitions[p].vectors.bytes == original.partitions[p].vectors.bytes);
    CHECK(parsed->partitions[p].head_bytes == original.partitions[p].head_bytes);
    CHECK(parsed->partitions[p].item_count == original.partitions[p].item_count);
    CHECK(parsed->partitions[p].metadata.path == original.partitions[p].metadata.path);
  }
  CHECK(parsed->item_count() == 57);
  CHECK(text.find("\"item_count\": 57") != std::string::npos);
  CHECK(serialize_manifest(parsed.value()).value() == text);
}

TEST_CASE("a flat manifest is written without the partitioned layout's fields", "[manifest][partitioned]") {
  const std::string text = serialize_manifest(sample_manifest()).value();
  for (const char* field : {"layout", "centroids", "partitions", "head_bytes"}) {
    INFO(field);
    CHECK(text.find(field) == std::string::npos);
  }
  // "layout": "flat" is what an absent layout means, in version 2.
  std::string explicit_flat = text;
  replace_once(explicit_flat, "\"format_version\": 1", "\"format_version\": 2, \"layout\": \"flat\"");
  auto parsed = parse_manifest(explicit_flat);
  REQUIRE(parsed.ok());
  CHECK(parsed->layout == index_layout::flat);
  CHECK(parsed->vector_file_count() == 2);
}

TEST_CASE("partitioned manifests a client must refuse, each with a specific error", "[manifest][partitioned][hostile]") {
  const manifest sample = sample_partitioned_manifest();
  SECTION("a layout in a version 1 manifest") {
    require_error(parse_edited([](std::string& t) { replace_once(t, "\"generation\"", "\"layout\": \"flat\", \"generation\""); }),
                  error_code::invalid_manifest, "\"layout\" needs format_version 2");
  }
  SECTION("an unknown layout") {
    require_error(parse_edited_partitioned([](std::string& t) { replace_once(t, "\"partitioned\"", "\"graph\""); }),
                  error_code::invalid_manifest, "\"layout\" must be");
  }
  SECTION("a layout that is not a string") {
    require_error(parse_edited_partitioned([](std::string& t) { replace_once(t, "\"partitioned\"", "2"); }),
                  error_code::invalid_manifest, "\"layout\" must be a string");
  }
  SECTION("partitions in a flat manifest") {
    require_error(parse_edited_partitioned([](std::string& t) { replace_once(t, "\"partitioned\"", "\"flat\""); }),
                  error_code::invalid_manifest, "only allowed with \"layout\": \"partitioned\"");
  }
  SECTION("shards in a partitioned manifest") {
    manifest value = sample_manifest();
    std::string shards_text = serialize_manifest(value).value();
    const auto shards_start = shards_text.find("\"shards\": [");
    const std::string shards_field = shards_text.substr(shards_start, shards_text.rfind(']') + 1 - shards_start);
    require_error(parse_edited_partitioned([&](std::string& t) { replace_once(t, "\"shards\": []", shards_field); }),
                  error_code::invalid_manifest, "\"shards\" must be empty");
  }
  SECTION("float32 vectors") {
    require_error(parse_edited_partitioned([](std::string& t) { replace_once(t, "\"i8\"", "\"f32\""); }),
                  error_code::invalid_manifest, "\"quantization\" must be \"i8\" in the partitioned layout");
  }
  SECTION("no partitions field, or not an array, or empty") {
    require_error(parse_edited_partitioned([](std::string& t) { replace_once(t, "\"partitions\"", "\"partition\""); }),
                  error_code::invalid_manifest, "missing field \"partitions\"");
    manifest value = sample;
    std::string text = serialize_manifest(value).value();
    const auto start = text.find("\"partitions\": [");
    const auto end = text.find("\n  ]", start) + 4;
    std::string not_array = text;
    not_array.replace(start, end - start, "\"partitions\": {}");
    require_error(parse_manifest(not_array), error_code::invalid_manifest, "\"partitions\" must be an array");
    std::string empty = text;
    empty.replace(start, end - start, "\"partitions\": []");
    require_error(parse_manifest(empty), error_code::invalid_manifest, "at least one partition");
  }
  SECTION("more partitions than a manifest may name") {
    std::string text = serialize_manifest(sample).value();
    const auto start = text.find("\"partitions\": [");
    const auto end = text.find("\n  ]", start) + 4;
    std::string many = "\"partitions\": [";
    for (std::size_t i = 0; i <= max_manifest_partitions; ++i) many += i == 0 ? "{}" : ",{}";
    many += "]";
    text.replace(start, end - start, many);
    require_error(parse_manifest(text), error_code::invalid_manifest, "above the limit 65536");
  }
  SECTION("no centroid table") {
    require_error(parse_edited_partitioned([](std::string& t) { replace_once(t, "\"centroids\"", "\"centroid\""); }),
                  error_code::invalid_manifest, "missing field \"centroids\"");
  }
  SECTION("a centroid table outside centroids/") {
    require_error(parse_edited_partitioned([](std::string& t) { replace_once(t, "\"centroids/", "\"shards/"); }),
                  error_code::invalid_manifest, "centroids: field \"file\" must be \"centroids/");
  }
  SECTION("a centroid table with another row count than the partitions") {
    require_error(parse_edited_partitioned([](std::string& t) { replace_once(t, "\"items\": 3", "\"items\": 4"); }),
                  error_code::invalid_manifest, "the manifest names 3 partitions");
  }
  SECTION("a centroid table whose size is not the int8 shard layout's") {
    const std::string bytes = "\"bytes\": " + std::to_string(sample.centroids->bytes);
    require_error(parse_edited_partitioned([&](std::string& t) {
                    replace_once(t, bytes, "\"bytes\": " + std::to_string(sample.centroids->bytes + 64));
                  }),
                  error_code::invalid_manifest, "int8 centroids of 256 dimensions take");
  }
  SECTION("a partition outside partitions/") {
    require_error(parse_edited_partitioned([&](std::string& t) {
                    replace_once(t, "\"partitions/" + sample.partitions[1].vectors.hash, "\"shards/" + sample.partitions[1].vectors.hash);
                  }),
                  error_code::invalid_manifest, "partitions[1]: field \"file\" must be \"partitions/");
  }
  SECTION("a partition whose size is not the partition layout's") {
    require_error(parse_edited_partitioned([&](std::string& t) {
                    replace_once(t, partition_bytes_field(2),
                                 "\"bytes\": " + std::to_string(sample.partitions[2].vectors.bytes - 1));
                  }),
                  error_code::invalid_manifest, "partitions[2]: field \"bytes\"");
  }
  SECTION("a partition of more rows than a partition file counts") {
    require_error(parse_edited_partitioned([](std::string& t) { replace_once(t, "\"items\": 17", "\"items\": 4294967296"); }),
                  error_code::invalid_manifest, "partitions[2]: field \"items\" is 4294967296, above the limit");
  }
  SECTION("a head that does not end where the rows start") {
    const std::string head = "\"head_bytes\": " + std::to_string(sample.partitions[0].head_bytes);
    require_error(parse_edited_partitioned([&](std::string& t) {
                    replace_once(t, head, "\"head_bytes\": " + std::to_string(sample.partitions[0].head_bytes + 64));
                  }),
                  error_code::invalid_manifest, "partitions[0]: field \"head_bytes\"");
    require_error(parse_edited_partitioned([&](std::string& t) { replace_once(t, head + ",", ""); }),
                  error_code::invalid_manifest, "partitions[0]: missing field \"head_bytes\"");
  }
  SECTION("a partition without metadata") {
    require_error(parse_edited_partitioned([&](std::string& t) { replace_once(t, "\"metadata\"", "\"metadatum\""); }),
                  error_code::invalid_manifest, "partitions[0]: missing field \"metadata\"");
  }
  SECTION("a partition that is not an object") {
    manifest value = sample;
    std::string text = serialize_manifest(value).value();
    const auto start = text.find("\"partitions\": [") + std::string("\"partitions\": [").size();
    text.insert(start, "7,");
    replace_once(text, "\"items\": 3\n", "\"items\": 4\n");
    replace_once(text, "\"bytes\": " + std::to_string(sample.centroids->bytes),
                 "\"bytes\": " + std::to_string(compute_shard_layout(256, 4, quantization::i8)->total_bytes));
    require_error(parse_manifest(text), error_code::invalid_manifest, "partitions[0] must be an object");
  }
  SECTION("a partition listed twice") {
    manifest doubled = sample;
    doubled.partitions[2] = doubled.partitions[0];
    require_error(parse_manifest(serialize_manifest(doubled).value()), error_code::invalid_manifest, "listed twice");
  }
  SECTION("an item count that disagrees with the partitions") {
    require_error(parse_edited_partitioned([](std::string& t) { replace_once(t, "\"item_count\": 57", "\"item_count\": 1017"); }),
                  error_code::invalid_manifest, "item_count");
  }
}

TEST_CASE("two empty partitions may share their (empty) item metadata", "[manifest][partitioned]") {
  manifest value = sample_partitioned_manifest();
  value.partitions[0].metadata = value.partitions[1].metadata;
  auto parsed = parse_manifest(serialize_manifest(value).value());
  REQUIRE(parsed.ok());
  CHECK(parsed->partitions[0].metadata.hash == parsed->partitions[1].metadata.hash);
}

TEST_CASE("serialize_manifest refuses a partitioned manifest parse_manifest would refuse", "[manifest][partitioned]") {
  manifest bad = sample_partitioned_manifest();
  bad.centroids.reset();
  CHECK_FALSE(serialize_manifest(bad).ok());
  bad = sample_partitioned_manifest();
  bad.shards = sample_manifest().shards;
  CHECK_FALSE(serialize_manifest(bad).ok());
  bad = sample_partitioned_manifest();
  bad.vector_quantization = quantization::f32;
  CHECK_FALSE(serialize_manifest(bad).ok());
  bad = sample_partitioned_manifest();
  bad.partitions.clear();
  CHECK_FALSE(serialize_manifest(bad).ok());
  bad = sample_partitioned_manifest();
  bad.partitions[1].vectors.hash = "xyz";
  CHECK_FALSE(serialize_manifest(bad).ok());
  bad = sample_partitioned_manifest();
  bad.layout = index_layout::flat;
  CHECK_FALSE(serialize_manifest(bad).ok());
}
