// manifest.json: round trips, the canonical content-addressed paths, and hostile manifests, each with
// an error that names the field.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "hash/sha256.hpp"
#include "index/manifest.hpp"
#include "index/shard_codec.hpp"

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
