#pragma once
// The weights of a TensorFlow.js graph model. model.json lists, in its "weightsManifest", groups of
// shard files and the tensors stored in them: every tensor's bytes follow the previous one's with no
// padding, across shard boundaries, so the shards concatenated in manifest order form one blob that
// the tensors tile exactly. The core never reads files: the caller reads the shards named by
// shard_paths (in that order), concatenates them and hands the bytes here.
//
// model.json is hostile input: every field is checked, sizes are computed with overflow checks that
// hold for a 32-bit size_t (wasm), and the blob must be exactly as long as the tensors it holds.
// Quantized weights (a "quantization" field) and dtypes other than float32 and int32 are refused.
// Weights are read in place as little-endian, which both targets (x86-64, wasm) are.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mosaic::model {

enum class tensor_dtype : std::uint8_t { float32, int32 };

std::string_view tensor_dtype_name(tensor_dtype dtype) noexcept;  // "float32", "int32"

// One tensor as model.json declares it, placed in the concatenated shard bytes.
struct weight_spec {
  std::string name;
  tensor_dtype dtype = tensor_dtype::float32;
  std::vector<std::size_t> shape;  // empty for a scalar
  std::size_t element_count = 0;   // product of shape (1 for a scalar)
  std::size_t byte_offset = 0;     // into the concatenated shards
  std::size_t byte_count = 0;      // element_count * 4
};

struct weights_manifest {
  // Every group's shard paths, groups in order: read and concatenate these files in exactly this order.
  // Each is a safe relative path (no "..", no leading '/', no ':'), relative to model.json's folder.
  // model.json does not record shard sizes; total_bytes is what the concatenation must add up to.
  std::vector<std::string> shard_paths;
  std::vector<weight_spec> weights;  // in manifest order, which is their order in the blob
  std::size_t total_bytes = 0;
};

// Reads the "weightsManifest" of a model.json. "modelTopology" and other top-level fields are ignored
// (modelTopology is discarded while parsing, so its graph is never held in memory). Errors name the
// field and the weight: invalid_json, invalid_model (missing or mistyped fields, duplicate names,
// an unknown dtype, a bad shard path), unsupported_quantization, size_overflow.
result<weights_manifest> parse_weights_manifest(std::string_view model_json);

// A view of one tensor; valid while the tfjs_weights that produced it and the shard bytes live.
// Exactly one of float32_data and int32_data is set, according to dtype.
struct tensor_view {
  std::string_view name;
  tensor_dtype dtype = tensor_dtype::float32;
  std::span<const std::size_t> shape;
  std::span<const float> float32_data;
  std::span<const std::int32_t> int32_data;

  [[nodiscard]] std::size_t element_count() const noexcept;
};

// Name -> tensor map over the concatenated shard bytes. It does not own those bytes: they must outlive
// this object and every view taken from it.
class tfjs_weights {
 public:
  // Binds a parsed manifest to the concatenated shard bytes. Fails with truncated_payload or
  // trailing_bytes when the byte count is not manifest.total_bytes, and misaligned_buffer when the bytes
  // do not start at a 4-byte aligned address (std::vector and malloc always are).
  static result<tfjs_weights> create(weights_manifest manifest, std::span<const std::uint8_t> shard_bytes);

  [[nodiscard]] std::optional<tensor_view> find(std::string_view name) const;

  // The tensor `name`, which must exist with this dtype and exactly this shape ({} for a scalar);
  // otherwise an invalid_model error that names the tensor and says what it found.
  result<tensor_view> require(std::string_view name, tensor_dtype dtype,
                              std::span<const std::size_t> expected_shape) const;
  result<std::span<const float>> require_float32(std::string_view name,
                                                 std::span<const std::size_t> expected_shape) const;
  result<std::span<const float>> require_float32(std::string_view name,
                                                 std::initializer_list<std::size_t> expected_shape) const;
  result<std::span<const std::int32_t>> require_int32(std::string_view name,
                                                      std::initializer_list<std::size_t> expected_shape) const;

  [[nodiscard]] const weights_manifest& manifest() const noexcept { return manifest_; }
  [[nodiscard]] std::size_t tensor_count() const noexcept { return manifest_.weights.size(); }

 private:
  tfjs_weights(weights_manifest manifest, std::span<const std::uint8_t> shard_bytes);
  [[nodiscard]] tensor_view view_of(const weight_spec& spec) const noexcept;

  weights_manifest manifest_;
  std::span<const std::uint8_t> shard_bytes_;
  std::map<std::string, std::size_t, std::less<>> index_by_name_;  // -> position in manifest_.weights
};

// parse_weights_manifest followed by tfjs_weights::create.
result<tfjs_weights> load_tfjs_weights(std::string_view model_json, std::span<const std::uint8_t> shard_bytes);

// "[512, 1536]", "[]" for a scalar: for error messages and logs.
std::string describe_shape(std::span<const std::size_t> shape);

}  // namespace mosaic::model
