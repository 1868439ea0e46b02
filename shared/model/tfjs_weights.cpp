#include "model/tfjs_weights.hpp"

#include <algorithm>
#include <bit>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/json_fields.hpp"
#include "index/manifest.hpp"

namespace mosaic::model {
namespace {

using json_fields::object_reader;
using nlohmann::json;

// Tensors are read in place; a big-endian host would need a byte swap that nothing here does.
static_assert(std::endian::native == std::endian::little, "tfjs_weights reads little-endian weights in place");

constexpr std::size_t bytes_per_element = 4;  // float32 and int32 alike
// The largest element count whose byte size still fits in this target's size_t (about 2^30 in wasm).
constexpr std::uint64_t max_element_count = std::numeric_limits<std::size_t>::max() / bytes_per_element;

std::optional<tensor_dtype> parse_dtype(std::string_view name) {
  if (name == "float32") return tensor_dtype::float32;
  if (name == "int32") return tensor_dtype::int32;
  return std::nullopt;
}

// Appends instead of `"\"" + std::string(text)`: GCC 12 at -O3 reports a false -Wrestrict overlap for
// that expression (a known libstdc++ false positive), and warnings are errors.
std::string in_quotes(std::string_view text) {
  std::string quoted;
  quoted.reserve(text.size() + 2);
  quoted.push_back('"');
  quoted.append(text);
  quoted.push_back('"');
  return quoted;
}

// Reads "shape" and computes the element count, refusing anything a 32-bit size_t could not address.
result<weight_spec> parse_shape(const json& shape, const object_reader& reader, weight_spec spec) {
  if (!shape.is_array()) return reader.wrong_type("shape", "an array of non-negative integers");
  std::uint64_t element_count = 1;
  spec.shape.reserve(shape.size());
  for (std::size_t axis = 0; axis < shape.size(); ++axis) {
    const json& dimension = shape[axis];
    const std::string field = "shape[" + std::to_string(axis) + "]";
    if (dimension.is_number_integer() && !dimension.is_number_unsigned()) {
      return reader.invalid(field, "is " + std::to_string(dimension.get<std::int64_t>()) + ", but dimensions must be non-negative");
    }
    if (!dimension.is_number_unsigned()) return reader.wrong_type(field, "a non-negative integer");
    const auto length = dimension.get<std::uint64_t>();
    if (length > max_element_count) {
      return make_error(error_code::size_overflow, reader.context() + ": field \"" + field + "\" is " +
                                                       std::to_string(length) + ", too large to address on this target");
    }
    // Both factors are at most max_element_count, so checking by division before multiplying is exact.
    if (length != 0 && element_count > max_element_count / length) {
      return make_error(error_code::size_overflow,
                        reader.context() + ": its shape holds more elements than this target can address");
    }
    element_count *= length;
    spec.shape.push_back(static_cast<std::size_t>(length));
  }
  spec.element_count = static_cast<std::size_t>(element_count);
  spec.byte_count = spec.element_count * bytes_per_element;
  return spec;
}

result<weight_spec> parse_weight(const json& entry, const std::string& position) {
  if (!entry.is_object()) return make_error(error_code::invalid_model, position + " must be an object");
  auto name = object_reader(entry, position, error_code::invalid_model).required_string("name");
  if (!name) return std::move(name).failure();
  if (name.value().empty()) return make_error(error_code::invalid_model, position + ": field \"name\" must not be empty");
  const object_reader reader(entry, position + " " + in_quotes(name.value()), error_code::invalid_model);

  // Checked before the dtype: a quantized weight declares the dtype it dequantizes to, which would pass.
  if (const json* quantization = reader.find("quantization"); quantization != nullptr && !quantization->is_null()) {
    return make_error(error_code::unsupported_quantization,
                      reader.context() + " is quantized (field \"quantization\"): quantized weights are unsupported; "
                                         "convert the model without --quantize_* options");
  }
  auto dtype_text = reader.required_string("dtype");
  if (!dtype_text) return std::move(dtype_text).failure();
  const std::optional<tensor_dtype> dtype = parse_dtype(dtype_text.value());
  if (!dtype) {
    return reader.invalid("dtype", "is " + in_quotes(dtype_text.value()) + ", but only \"float32\" and \"int32\" are supported");
  }
  const json* shape = reader.find("shape");
  if (shape == nullptr) return reader.missing("shape");

  weight_spec spec;
  spec.name = std::move(name).value();
  spec.dtype = *dtype;
  return parse_shape(*shape, reader, std::move(spec));
}

// Drops "modelTopology" (the graph, most of model.json) while parsing: only the manifest is needed.
bool skip_model_topology(int depth, json::parse_event_t event, json& parsed) {
  return !(depth == 1 && event == json::parse_event_t::key && parsed.is_string() &&
           parsed.get_ref<const std::string&>() == "modelTopology");
}

}  // namespace

std::string_view tensor_dtype_name(tensor_dtype dtype) noexcept {
  switch (dtype) {
    case tensor_dtype::float32: return "float32";
    case tensor_dtype::int32: return "int32";
  }
  return "unknown";
}

std::string describe_shape(std::span<const std::size_t> shape) {
  std::string text = "[";
  for (std::size_t axis = 0; axis < shape.size(); ++axis) {
    if (axis != 0) text += ", ";
    text += std::to_string(shape[axis]);
  }
  return text + "]";
}

std::size_t tensor_view::element_count() const noexcept {
  return dtype == tensor_dtype::float32 ? float32_data.size() : int32_data.size();
}

result<weights_manifest> parse_weights_manifest(std::string_view model_json) {
  json root = json::parse(model_json.begin(), model_json.end(), &skip_model_topology, false);
  if (root.is_discarded()) return make_error(error_code::invalid_json, "model.json is not valid JSON");
  if (!root.is_object()) return make_error(error_code::invalid_model, "model.json must be a JSON object");
  const object_reader reader(root, "model.json", error_code::invalid_model);
  const json* groups = reader.find("weightsManifest");
  if (groups == nullptr) return reader.missing("weightsManifest");
  if (!groups->is_array()) return reader.wrong_type("weightsManifest", "an array of weight groups");
  if (groups->empty()) return reader.invalid("weightsManifest", "lists no weight groups");

  weights_manifest manifest;
  std::map<std::string, std::size_t, std::less<>> seen_names;
  for (std::size_t group_position = 0; group_position < groups->size(); ++group_position) {
    const json& group = (*groups)[group_position];
    const std::string group_context = "model.json weightsManifest[" + std::to_string(group_position) + "]";
    if (!group.is_object()) return make_error(error_code::invalid_model, group_context + " must be an object");
    const object_reader group_reader(group, group_context, error_code::invalid_model);

    const json* paths = group_reader.find("paths");
    if (paths == nullptr) return group_reader.missing("paths");
    if (!paths->is_array()) return group_reader.wrong_type("paths", "an array of file names");
    for (std::size_t path_position = 0; path_position < paths->size(); ++path_position) {
      const json& path = (*paths)[path_position];
      const std::string field = "paths[" + std::to_string(path_position) + "]";
      if (!path.is_string()) return group_reader.wrong_type(field, "a string");
      const auto& text = path.get_ref<const std::string&>();
      // The native loader opens these files: a path must not leave the model's folder.
      if (!index::is_safe_relative_path(text)) {
        return group_reader.invalid(field, "is " + in_quotes(text) + ", not a relative path inside the model's folder");
      }
      manifest.shard_paths.push_back(text);
    }

    const json* weights = group_reader.find("weights");
    if (weights == nullptr) return group_reader.missing("weights");
    if (!weights->is_array()) return group_reader.wrong_type("weights", "an array");
    std::size_t group_bytes = 0;
    for (std::size_t weight_position = 0; weight_position < weights->size(); ++weight_position) {
      const std::string position = group_context + ".weights[" + std::to_string(weight_position) + "]";
      auto spec = parse_weight((*weights)[weight_position], position);
      if (!spec) return std::move(spec).failure();
      if (const auto earlier = seen_names.find(spec->name); earlier != seen_names.end()) {
        return make_error(error_code::invalid_model, position + ": weight " + in_quotes(spec->name) +
                                                         " is already declared by weight " +
                                                         std::to_string(earlier->second) + " of the manifest");
      }
      if (spec->byte_count > std::numeric_limits<std::size_t>::max() - manifest.total_bytes) {
        return make_error(error_code::size_overflow,
                          position + " " + in_quotes(spec->name) + ": the weights together exceed what this target can address");
      }
      spec->byte_offset = manifest.total_bytes;
      manifest.total_bytes += spec->byte_count;
      group_bytes += spec->byte_count;
      seen_names.emplace(spec->name, manifest.weights.size());
      manifest.weights.push_back(std::move(spec).value());
    }
    if (group_bytes != 0 && paths->empty()) {
      return group_reader.invalid("paths", "is empty, but the group's weights take " + std::to_string(group_bytes) + " bytes");
    }
  }
  return manifest;
}

tfjs_weights::tfjs_weights(weights_manifest manifest, std::span<const std::uint8_t> shard_bytes)
    : manifest_(std::move(manifest)), shard_bytes_(shard_bytes) {
  for (std::size_t position = 0; position < manifest_.weights.size(); ++position) {
    index_by_name_.emplace(manifest_.weights[position].name, position);
  }
}

result<tfjs_weights> tfjs_weights::create(weights_manifest manifest, std::span<const std::uint8_t> shard_bytes) {
  if (shard_bytes.size() < manifest.total_bytes) {
    return make_error(error_code::truncated_payload,
                      "the weight shards hold " + std::to_string(shard_bytes.size()) + " bytes, but the " +
                          std::to_string(manifest.weights.size()) + " weights of model.json need " +
                          std::to_string(manifest.total_bytes) + ": a shard is missing or truncated");
  }
  if (shard_bytes.size() > manifest.total_bytes) {
    return make_error(error_code::trailing_bytes,
                      "the weight shards hold " + std::to_string(shard_bytes.size()) + " bytes, but the " +
                          std::to_string(manifest.weights.size()) + " weights of model.json need only " +
                          std::to_string(manifest.total_bytes) + ": wrong shards, or shards from another model");
  }
  if (reinterpret_cast<std::uintptr_t>(shard_bytes.data()) % alignof(float) != 0) {
    return make_error(error_code::misaligned_buffer, "the weight shard bytes must start at a 4-byte aligned address");
  }
  // Names were checked unique while parsing, but a manifest built by hand may repeat one.
  std::map<std::string_view, std::size_t, std::less<>> names;
  for (const weight_spec& spec : manifest.weights) {
    if (!names.emplace(spec.name, 0).second) {
      return make_error(error_code::invalid_model, "weight " + in_quotes(spec.name) + " is declared twice");
    }
  }
  return tfjs_weights(std::move(manifest), shard_bytes);
}

tensor_view tfjs_weights::view_of(const weight_spec& spec) const noexcept {
  tensor_view view;
  view.name = spec.name;
  view.dtype = spec.dtype;
  view.shape = spec.shape;
  // Offsets are multiples of 4 from a 4-byte aligned base (checked in create), so these casts are aligned.
  const std::uint8_t* start = shard_bytes_.data() + spec.byte_offset;
  if (spec.dtype == tensor_dtype::float32) {
    view.float32_data = {reinterpret_cast<const float*>(start), spec.element_count};
  } else {
    view.int32_data = {reinterpret_cast<const std::int32_t*>(start), spec.element_count};
  }
  return view;
}

std::optional<tensor_view> tfjs_weights::find(std::string_view name) const {
  const auto found = index_by_name_.find(name);
  if (found == index_by_name_.end()) return std::nullopt;
  return view_of(manifest_.weights[found->second]);
}

result<tensor_view> tfjs_weights::require(std::string_view name, tensor_dtype dtype,
                                          std::span<const std::size_t> expected_shape) const {
  const std::optional<tensor_view> view = find(name);
  if (!view) return make_error(error_code::invalid_model, "the model has no weight " + in_quotes(name));
  const bool same_shape = view->shape.size() == expected_shape.size() &&
                          std::equal(expected_shape.begin(), expected_shape.end(), view->shape.begin());
  if (view->dtype != dtype || !same_shape) {
    return make_error(error_code::invalid_model,
                      "weight " + in_quotes(name) + " is " + std::string(tensor_dtype_name(view->dtype)) + " " +
                          describe_shape(view->shape) + ", expected " + std::string(tensor_dtype_name(dtype)) + " " +
                          describe_shape(expected_shape));
  }
  return *view;
}

result<std::span<const float>> tfjs_weights::require_float32(std::string_view name,
                                                             std::span<const std::size_t> expected_shape) const {
  auto view = require(name, tensor_dtype::float32, expected_shape);
  if (!view) return std::move(view).failure();
  return view->float32_data;
}

result<std::span<const float>> tfjs_weights::require_float32(std::string_view name,
                                                             std::initializer_list<std::size_t> expected_shape) const {
  return require_float32(name, std::span<const std::size_t>(expected_shape.begin(), expected_shape.size()));
}

result<std::span<const std::int32_t>> tfjs_weights::require_int32(
    std::string_view name, std::initializer_list<std::size_t> expected_shape) const {
  auto view = require(name, tensor_dtype::int32, std::span<const std::size_t>(expected_shape.begin(), expected_shape.size()));
  if (!view) return std::move(view).failure();
  return view->int32_data;
}

result<tfjs_weights> load_tfjs_weights(std::string_view model_json, std::span<const std::uint8_t> shard_bytes) {
  auto manifest = parse_weights_manifest(model_json);
  if (!manifest) return std::move(manifest).failure();
  return tfjs_weights::create(std::move(manifest).value(), shard_bytes);
}

}  // namespace mosaic::model
