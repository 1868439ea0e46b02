// mosaic-model: the local text model for the browser, a module of its own so the search module stays
// small and a page loads the model only when its index needs it. Only type conversion lives here;
// the tokenizer and forward pass are the core's (shared/model). Text must arrive NFKC-normalized:
// the JavaScript side calls String.prototype.normalize('NFKC') first, as the reference does.
// Errors come back as {ok: false, error: {code, message}} objects: nothing throws across the boundary.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "js_outcome.hpp"
#include "model/tfjs_weights.hpp"
#include "model/use_lite_model.hpp"

namespace {

using emscripten::val;
using mosaic::wasm::failure;

class local_model {
 public:
  explicit local_model(mosaic::model::use_lite_model model) : model_(std::move(model)) {}

  // {ok: true, vector: Float32Array(512), tokenCount, tokensRead, truncated, wordCount, wordsRead} or
  // {ok: false, error}.
  val embed(const std::string& normalized_text) const {
    auto embedding = model_.embed(normalized_text);
    if (!embedding) return failure(embedding.failure());
    val outcome = val::object();
    outcome.set("ok", true);
    // A copy: a view into wasm memory would be invalidated when the memory grows.
    val vector = val::global("Float32Array").new_(embedding->vector.size());
    vector.call<void>("set", val(emscripten::typed_memory_view(embedding->vector.size(), embedding->vector.data())));
    outcome.set("vector", vector);
    outcome.set("tokenCount", static_cast<double>(embedding->token_count));
    outcome.set("tokensRead", static_cast<double>(std::min(embedding->token_count, model_.max_tokens())));
    outcome.set("truncated", embedding->truncated);
    outcome.set("wordCount", static_cast<double>(embedding->word_count));
    outcome.set("wordsRead", static_cast<double>(embedding->words_read));
    return outcome;
  }

  val tokenize(const std::string& normalized_text) const {
    auto tokens = model_.tokenizer().tokenize(normalized_text);
    if (!tokens) return failure(tokens.failure());
    val outcome = val::object();
    outcome.set("ok", true);
    val array = val::array();
    for (std::int32_t token : tokens.value()) array.call<void>("push", token);
    outcome.set("tokens", array);
    return outcome;
  }

  [[nodiscard]] std::size_t dimensions() const { return model_.dimensions(); }
  [[nodiscard]] std::size_t max_tokens() const { return model_.max_tokens(); }

 private:
  mosaic::model::use_lite_model model_;
};

// {ok: true, model} or {ok: false, error}. `weights` is the shards concatenated in manifest order.
val load_model(const std::string& model_json, const val& weights, const std::string& vocabulary_json) {
  const std::vector<std::uint8_t> weight_bytes = emscripten::convertJSArrayToNumberVector<std::uint8_t>(weights);
  auto tensors = mosaic::model::load_tfjs_weights(model_json, weight_bytes);
  if (!tensors) return failure(tensors.failure());
  auto model = mosaic::model::use_lite_model::create(tensors.value(), vocabulary_json);
  if (!model) return failure(model.failure());
  val outcome = val::object();
  outcome.set("ok", true);
  outcome.set("model", val(std::make_shared<local_model>(std::move(model).value())));
  return outcome;
}

val weight_shard_paths(const std::string& model_json) {
  auto manifest = mosaic::model::parse_weights_manifest(model_json);
  if (!manifest) return failure(manifest.failure());
  val outcome = val::object();
  outcome.set("ok", true);
  val paths = val::array();
  for (const std::string& path : manifest->shard_paths) paths.call<void>("push", path);
  outcome.set("paths", paths);
  return outcome;
}

}  // namespace

EMSCRIPTEN_BINDINGS(mosaic_model) {
  emscripten::class_<local_model>("LocalModel")
      .smart_ptr<std::shared_ptr<local_model>>("LocalModelPointer")
      .function("embed", &local_model::embed)
      .function("tokenize", &local_model::tokenize)
      .function("dimensions", &local_model::dimensions)
      .function("maxTokens", &local_model::max_tokens);
  emscripten::function("loadModel", &load_model);
  emscripten::function("weightShardPaths", &weight_shard_paths);
  emscripten::constant("modelId", std::string(mosaic::model::use_lite_model_id));
}
