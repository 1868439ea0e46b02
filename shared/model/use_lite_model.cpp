#include "model/use_lite_model.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "vector/kernels.hpp"

namespace mosaic::model {
namespace {

constexpr std::string_view graph_prefix = "module_apply_default/Encoder_en/KonaTransformer/";
constexpr std::string_view variable_prefix = "module/Encoder_en/KonaTransformer/";

std::string graph_name(std::string_view suffix) { return std::string(graph_prefix) + std::string(suffix); }
std::string layer_name(std::size_t layer, std::string_view suffix) {
  return graph_name("Encode/Layer_" + std::to_string(layer) + "/TransformerLayer/" + std::string(suffix));
}
std::string stack_name(std::size_t layer, std::string_view suffix) {
  return graph_name("Encode/TransformerStack/Layer_" + std::to_string(layer) + "/TransformerLayer/" +
                    std::string(suffix));
}
std::string variable_name(std::size_t layer, std::string_view suffix) {
  return std::string(variable_prefix) + "Encode/Layer_" + std::to_string(layer) + "/TransformerLayer/" +
         std::string(suffix);
}

// Copies a float32 tensor of exactly `shape` out of the weights.
status copy_tensor(const tfjs_weights& weights, const std::string& name, std::initializer_list<std::size_t> shape,
                   std::vector<float>& target) {
  auto tensor = weights.require_float32(name, shape);
  if (!tensor) return std::move(tensor).failure();
  target.assign(tensor->begin(), tensor->end());
  return success{};
}

result<float> scalar_float(const tfjs_weights& weights, const std::string& name) {
  auto tensor = weights.require_float32(name, {});
  if (!tensor) return std::move(tensor).failure();
  const float value = (*tensor)[0];
  if (!std::isfinite(value)) return make_error(error_code::invalid_model, "model constant " + name + " is not finite");
  return value;
}

result<std::size_t> scalar_count(const tfjs_weights& weights, const std::string& name, std::size_t maximum) {
  auto tensor = weights.require_int32(name, {});
  if (!tensor) return std::move(tensor).failure();
  const std::int32_t value = (*tensor)[0];
  if (value <= 0 || static_cast<std::size_t>(value) > maximum) {
    return make_error(error_code::invalid_model,
                      "model constant " + name + " is " + std::to_string(value) + ", outside 1.." + std::to_string(maximum));
  }
  return static_cast<std::size_t>(value);
}

// Layer normalization of each row: scale * (x - mean) / sqrt(variance + epsilon) + bias, with the
// biased variance as TF computes it. Sums in double so the result does not depend on summation order.
void layer_norm(std::span<const float> input, std::size_t rows, std::size_t width, const std::vector<float>& scale,
                const std::vector<float>& bias, float epsilon, std::span<float> output) {
  for (std::size_t row = 0; row < rows; ++row) {
    const float* values = input.data() + row * width;
    double sum = 0.0;
    for (std::size_t i = 0; i < width; ++i) sum += static_cast<double>(values[i]);
    const double mean = sum / static_cast<double>(width);
    double squares = 0.0;
    for (std::size_t i = 0; i < width; ++i) {
      const double centered = static_cast<double>(values[i]) - mean;
      squares += centered * centered;
    }
    const double inverse_deviation =
        1.0 / std::sqrt(squares / static_cast<double>(width) + static_cast<double>(epsilon));
    float* normalized = output.data() + row * width;
    for (std::size_t i = 0; i < width; ++i) {
      normalized[i] = static_cast<float>(static_cast<double>(scale[i]) * inverse_deviation *
                                             (static_cast<double>(values[i]) - mean) +
                                         static_cast<double>(bias[i]));
    }
  }
}

// output[rows, columns] = input[rows, inner] * kernel[inner, columns] + bias, with the kernel packed
// into panels (vector::pack_matrix_panels) when the model loaded.
void dense(std::span<const float> input, std::size_t rows, std::size_t inner, const std::vector<float>& packed_kernel,
           const std::vector<float>& bias, std::size_t columns, std::span<float> output) {
  vector::active_kernels().matrix_multiply_packed_f32(input.data(), packed_kernel.data(), rows, inner, columns,
                                                      output.data());
  for (std::size_t row = 0; row < rows; ++row) {
    float* values = output.data() + row * columns;
    for (std::size_t column = 0; column < columns; ++column) values[column] += bias[column];
  }
}

// Scaled dot-product self-attention over all `tokens` (one text: nothing is padded or masked).
// qkv rows hold [q | k | v], each input_width wide; head h uses columns h*head_width of each. Per head,
// scores = (q * scale) k^T and context = softmax(scores) v are two matrix products.
void self_attention(std::span<float> qkv, std::size_t tokens, const use_lite_model::transformer_layer& layer,
                    std::span<float> context) {
  const std::size_t width = layer.input_width;
  const std::size_t stride = 3 * width;
  const std::size_t head_width = layer.head_width;
  std::vector<float> queries(tokens * head_width), keys_transposed(head_width * tokens), values(tokens * head_width);
  std::vector<float> scores(tokens * tokens), head_context(tokens * head_width);
  for (std::size_t head = 0; head < layer.heads; ++head) {
    const std::size_t offset = head * head_width;
    for (std::size_t token = 0; token < tokens; ++token) {
      const float* row = qkv.data() + token * stride;
      for (std::size_t i = 0; i < head_width; ++i) {
        // The graph scales the queries before the product; doing the same keeps the rounding identical.
        queries[token * head_width + i] = row[offset + i] * layer.attention_scale;
        keys_transposed[i * tokens + token] = row[width + offset + i];
        values[token * head_width + i] = row[2 * width + offset + i];
      }
    }
    vector::matrix_multiply(queries.data(), keys_transposed.data(), tokens, head_width, tokens, scores.data());
    for (std::size_t query = 0; query < tokens; ++query) {
      float* weights = scores.data() + query * tokens;
      const float largest = *std::max_element(weights, weights + tokens);
      double total = 0.0;
      for (std::size_t key = 0; key < tokens; ++key) {
        weights[key] = std::exp(weights[key] - largest);
        total += static_cast<double>(weights[key]);
      }
      const auto inverse_total = static_cast<float>(1.0 / total);
      for (std::size_t key = 0; key < tokens; ++key) weights[key] *= inverse_total;
    }
    vector::matrix_multiply(scores.data(), values.data(), tokens, tokens, head_width, head_context.data());
    for (std::size_t token = 0; token < tokens; ++token) {
      std::copy_n(head_context.data() + token * head_width, head_width, context.data() + token * width + offset);
    }
  }
}

// Replaces a row-major [inner, columns] kernel with its packed panels.
void pack_in_place(std::vector<float>& kernel, std::size_t inner, std::size_t columns) {
  kernel = vector::pack_matrix_panels(kernel.data(), inner, columns);
}

status load_layer(const tfjs_weights& weights, std::size_t index, std::size_t input_width,
                  use_lite_model::transformer_layer& layer) {
  layer.input_width = input_width;
  auto head_width = scalar_count(weights, stack_name(index, "MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/3"),
                                 input_width);
  if (!head_width) return std::move(head_width).failure();
  layer.head_width = head_width.value();
  if (input_width % layer.head_width != 0) {
    return make_error(error_code::invalid_model, "layer " + std::to_string(index) + ": head width " +
                                                     std::to_string(layer.head_width) + " does not divide " +
                                                     std::to_string(input_width));
  }
  layer.heads = input_width / layer.head_width;
  auto scale = scalar_float(weights, stack_name(index, "MultiheadAttention/mul/y"));
  if (!scale) return std::move(scale).failure();
  layer.attention_scale = scale.value();

  const std::string qkv_name = variable_name(index, "MultiheadAttention/qkv_transform_single/kernel/part_0");
  auto qkv = weights.find(qkv_name);
  if (!qkv || qkv->shape.size() != 4) {
    return make_error(error_code::invalid_model, "model tensor " + qkv_name + " is missing or not [1, 1, in, out]");
  }
  auto output = weights.find(variable_name(index, "MultiheadAttention/output_transform_single/kernel/part_0"));
  if (!output || output->shape.size() != 4) {
    return make_error(error_code::invalid_model, "layer " + std::to_string(index) + " has no output transform");
  }
  layer.width = output->shape[3];
  if (layer.width == 0 || layer.width > 65536) return make_error(error_code::invalid_model, "implausible layer width");
  auto inner = weights.find(stack_name(index, "FFN/conv1/Tensordot/Reshape_1"));
  if (!inner || inner->shape.size() != 2) return make_error(error_code::invalid_model, "layer has no FFN/conv1 kernel");
  layer.ffn_width = inner->shape[1];
  if (layer.ffn_width == 0 || layer.ffn_width > 65536) return make_error(error_code::invalid_model, "implausible FFN width");

  const std::size_t in = input_width, width = layer.width, ffn = layer.ffn_width;
  const std::string norm = "layer_prepostprocess/layer_norm/";
  const std::string ffn_norm = "FFN/layer_prepostprocess/layer_norm/";
  struct copy_job {
    std::string name;
    std::initializer_list<std::size_t> shape;
    std::vector<float>* target;
  };
  const copy_job jobs[] = {
      {layer_name(index, norm + "layer_norm_scale/ConcatPartitions/concat"), {in}, &layer.norm_scale},
      {layer_name(index, norm + "layer_norm_bias/ConcatPartitions/concat"), {in}, &layer.norm_bias},
      {qkv_name, {1, 1, in, 3 * in}, &layer.qkv_kernel},
      {layer_name(index, "MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat"), {3 * in}, &layer.qkv_bias},
      {variable_name(index, "MultiheadAttention/output_transform_single/kernel/part_0"), {1, 1, in, width}, &layer.output_kernel},
      {layer_name(index, "MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat"), {width}, &layer.output_bias},
      {layer_name(index, ffn_norm + "layer_norm_scale/ConcatPartitions/concat"), {width}, &layer.ffn_norm_scale},
      {layer_name(index, ffn_norm + "layer_norm_bias/ConcatPartitions/concat"), {width}, &layer.ffn_norm_bias},
      {stack_name(index, "FFN/conv1/Tensordot/Reshape_1"), {width, ffn}, &layer.ffn_inner_kernel},
      {layer_name(index, "FFN/conv1/bias/ConcatPartitions/concat"), {ffn}, &layer.ffn_inner_bias},
      {stack_name(index, "FFN/conv2/Tensordot/Reshape_1"), {ffn, width}, &layer.ffn_outer_kernel},
      {layer_name(index, "FFN/conv2/bias/ConcatPartitions/concat"), {width}, &layer.ffn_outer_bias},
  };
  for (const copy_job& job : jobs) {
    if (auto copied = copy_tensor(weights, job.name, job.shape, *job.target); !copied) return copied;
  }
  pack_in_place(layer.qkv_kernel, in, 3 * in);
  pack_in_place(layer.output_kernel, in, width);
  pack_in_place(layer.ffn_inner_kernel, width, ffn);
  pack_in_place(layer.ffn_outer_kernel, ffn, width);
  if (in != width) {  // a widening layer projects its residual (AdjustResidualInput)
    if (auto copied = copy_tensor(weights, layer_name(index, "dense/kernel/ConcatPartitions/concat"), {in, width},
                                  layer.residual_kernel);
        !copied) {
      return copied;
    }
    if (auto copied = copy_tensor(weights, layer_name(index, "dense/bias/ConcatPartitions/concat"), {width},
                                  layer.residual_bias);
        !copied) {
      return copied;
    }
    pack_in_place(layer.residual_kernel, in, width);
  }
  return success{};
}

}  // namespace

result<use_lite_model> use_lite_model::create(const tfjs_weights& weights, std::string_view vocabulary_json) {
  auto tokenizer = sentencepiece_tokenizer::from_vocabulary_json(vocabulary_json);
  if (!tokenizer) return std::move(tokenizer).failure();
  use_lite_model model(std::move(tokenizer).value());

  auto embeddings = weights.find("module/Embeddings_en");
  if (!embeddings || embeddings->shape.size() != 2 || embeddings->dtype != tensor_dtype::float32) {
    return make_error(error_code::invalid_model, "model tensor module/Embeddings_en is missing or not a float matrix");
  }
  model.vocabulary_rows_ = embeddings->shape[0];
  model.embedding_width_ = embeddings->shape[1];
  if (model.vocabulary_rows_ < model.tokenizer_.vocabulary_size() || model.embedding_width_ % 2 != 0 ||
      model.embedding_width_ == 0 || model.embedding_width_ > 65536) {
    return make_error(error_code::invalid_model, "token embeddings [" + std::to_string(model.vocabulary_rows_) + ", " +
                                                     std::to_string(model.embedding_width_) +
                                                     "] do not fit the vocabulary of " +
                                                     std::to_string(model.tokenizer_.vocabulary_size()) + " pieces");
  }
  model.token_embeddings_.assign(embeddings->float32_data.begin(), embeddings->float32_data.end());
  if (auto copied = copy_tensor(weights, graph_name("Encode/TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1"),
                                {1, model.embedding_width_ / 2}, model.inverse_timescales_);
      !copied) {
    return std::move(copied).failure();
  }
  auto window = scalar_count(weights, graph_name("ClipToMaxLength/Less/y"), 4096);
  if (!window) return std::move(window).failure();
  model.max_tokens_ = window.value();
  auto epsilon = scalar_float(weights, stack_name(1, "FFN/layer_prepostprocess/layer_norm/Cast/x"));
  if (!epsilon) return std::move(epsilon).failure();
  model.norm_epsilon_ = epsilon.value();
  auto minimum = scalar_float(weights, "module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y");
  if (!minimum) return std::move(minimum).failure();
  model.minimum_squared_norm_ = minimum.value();

  std::size_t width = model.embedding_width_;
  for (std::size_t index = 0; weights.find(stack_name(index, "MultiheadAttention/mul/y")).has_value(); ++index) {
    transformer_layer layer;
    if (auto loaded = load_layer(weights, index, width, layer); !loaded) return std::move(loaded).failure();
    width = layer.width;
    model.layers_.push_back(std::move(layer));
  }
  if (model.layers_.empty()) return make_error(error_code::invalid_model, "the model has no transformer layers");

  auto head = weights.find("module/Encoder_en/hidden_layers/tanh_layer_0/weights");
  if (!head || head->shape.size() != 2) return make_error(error_code::invalid_model, "model has no tanh_layer_0");
  model.output_width_ = head->shape[1];
  if (auto copied = copy_tensor(weights, "module/Encoder_en/hidden_layers/tanh_layer_0/weights", {width, model.output_width_},
                                model.head_kernel);
      !copied) {
    return std::move(copied).failure();
  }
  if (auto copied = copy_tensor(weights, "module/Encoder_en/hidden_layers/tanh_layer_0/bias", {model.output_width_},
                                model.head_bias);
      !copied) {
    return std::move(copied).failure();
  }
  pack_in_place(model.head_kernel, width, model.output_width_);

  // The timing signal depends only on the position: computed once for the whole window.
  const std::size_t half = model.embedding_width_ / 2;
  model.timing_signal_.resize(model.max_tokens_ * model.embedding_width_);
  for (std::size_t position = 0; position < model.max_tokens_; ++position) {
    for (std::size_t i = 0; i < model.embedding_width_; ++i) {
      const auto angle = static_cast<float>(static_cast<double>(position) *
                                            static_cast<double>(model.inverse_timescales_[i % half]));
      model.timing_signal_[position * model.embedding_width_ + i] =
          static_cast<float>(i < half ? std::sin(static_cast<double>(angle)) : std::cos(static_cast<double>(angle)));
    }
  }
  return model;
}

result<std::vector<float>> use_lite_model::embed_tokens(std::span<const std::int32_t> token_ids) const {
  const std::size_t tokens = std::min(token_ids.size(), max_tokens_);
  for (std::size_t position = 0; position < tokens; ++position) {
    if (token_ids[position] < 0 || static_cast<std::size_t>(token_ids[position]) >= vocabulary_rows_) {
      return make_error(error_code::invalid_argument, "token id " + std::to_string(token_ids[position]) +
                                                          " at position " + std::to_string(position) +
                                                          " is outside the vocabulary");
    }
  }

  // Input: 2 * embedding + timing signal (the graph adds the embedding twice; see the header).
  std::vector<float> activations(tokens * embedding_width_);
  for (std::size_t position = 0; position < tokens; ++position) {
    const float* embedding = token_embeddings_.data() + static_cast<std::size_t>(token_ids[position]) * embedding_width_;
    const float* signal = timing_signal_.data() + position * embedding_width_;
    float* row = activations.data() + position * embedding_width_;
    for (std::size_t i = 0; i < embedding_width_; ++i) row[i] = embedding[i] + (embedding[i] + signal[i]);
  }

  std::size_t width = embedding_width_;
  for (const transformer_layer& layer : layers_) {
    const std::size_t in = layer.input_width, out = layer.width;
    std::vector<float> normalized(tokens * in), qkv(tokens * 3 * in), context(tokens * in);
    std::vector<float> attended(tokens * out);
    layer_norm(activations, tokens, in, layer.norm_scale, layer.norm_bias, norm_epsilon_, normalized);
    dense(normalized, tokens, in, layer.qkv_kernel, layer.qkv_bias, 3 * in, qkv);
    self_attention(qkv, tokens, layer, context);
    dense(context, tokens, in, layer.output_kernel, layer.output_bias, out, attended);
    if (layer.residual_kernel.empty()) {
      for (std::size_t i = 0; i < attended.size(); ++i) attended[i] += activations[i];
    } else {
      std::vector<float> residual(tokens * out);
      dense(activations, tokens, in, layer.residual_kernel, layer.residual_bias, out, residual);
      for (std::size_t i = 0; i < attended.size(); ++i) attended[i] += residual[i];
    }
    std::vector<float> feed_forward_input(tokens * out), inner(tokens * layer.ffn_width), feed_forward(tokens * out);
    layer_norm(attended, tokens, out, layer.ffn_norm_scale, layer.ffn_norm_bias, norm_epsilon_, feed_forward_input);
    dense(feed_forward_input, tokens, out, layer.ffn_inner_kernel, layer.ffn_inner_bias, layer.ffn_width, inner);
    for (float& value : inner) value = std::max(value, 0.0f);
    dense(inner, tokens, layer.ffn_width, layer.ffn_outer_kernel, layer.ffn_outer_bias, out, feed_forward);
    for (std::size_t i = 0; i < feed_forward.size(); ++i) feed_forward[i] += attended[i];
    activations = std::move(feed_forward);
    width = out;
  }

  // Mean over tokens (an empty sequence pools to zeros, as the graph's division by max(T, 1) does),
  // then tanh(pooled * W + b) and L2 normalization with the graph's floor on the squared norm.
  std::vector<float> pooled(width, 0.0f);
  for (std::size_t position = 0; position < tokens; ++position) {
    for (std::size_t i = 0; i < width; ++i) pooled[i] += activations[position * width + i];
  }
  const auto divisor = static_cast<float>(std::max<std::size_t>(tokens, 1));
  for (float& value : pooled) value /= divisor;
  std::vector<float> output(output_width_);
  dense(pooled, 1, width, head_kernel, head_bias, output_width_, output);
  double squared_norm = 0.0;
  for (float& value : output) {
    value = std::tanh(value);
    squared_norm += static_cast<double>(value) * static_cast<double>(value);
  }
  const double inverse_norm = 1.0 / std::sqrt(std::max(squared_norm, static_cast<double>(minimum_squared_norm_)));
  for (float& value : output) value = static_cast<float>(static_cast<double>(value) * inverse_norm);
  return output;
}

result<text_embedding> use_lite_model::embed(std::string_view normalized_text) const {
  auto tokens = tokenizer_.tokenize(normalized_text);
  if (!tokens) return std::move(tokens).failure();
  if (tokens->empty()) {
    return make_error(error_code::invalid_argument, "cannot embed empty text (it has no tokens)");
  }
  auto vector = embed_tokens(tokens.value());
  if (!vector) return std::move(vector).failure();
  text_embedding embedding;
  embedding.vector = std::move(vector).value();
  embedding.token_count = tokens->size();
  embedding.truncated = tokens->size() > max_tokens_;
  for (std::size_t position = 0; position < tokens->size(); ++position) {
    if (!tokenizer_.starts_word((*tokens)[position])) continue;
    ++embedding.word_count;
    if (position < max_tokens_) ++embedding.words_read;
  }
  return embedding;
}

}  // namespace mosaic::model
