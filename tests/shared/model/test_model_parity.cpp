// Parity of the C++ local model with its JavaScript reference (@energetic-ai/embeddings 0.2.0):
// for every text the reference script wrote, the same token ids and an embedding with cosine
// >= 0.9999. Needs MOSAIC_MODEL_DIR (the installed model) and MOSAIC_MODEL_REFERENCE (the JSONL the
// reference script writes); CMake compiles in both, and ctest runs that script first as a fixture.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "embed/local_model_loader.hpp"
#include "embed/unicode_normalization.hpp"

namespace {

// The environment wins; CMake compiles in the paths make test configures.
std::string setting(const char* name, const char* compiled_default) {
  const char* value = std::getenv(name);
  if (value != nullptr && *value != '\0') return value;
  return compiled_default;
}

double cosine(const std::vector<float>& left, const std::vector<float>& right) {
  double dot = 0.0, left_norm = 0.0, right_norm = 0.0;
  for (std::size_t i = 0; i < left.size(); ++i) {
    dot += static_cast<double>(left[i]) * static_cast<double>(right[i]);
    left_norm += static_cast<double>(left[i]) * static_cast<double>(left[i]);
    right_norm += static_cast<double>(right[i]) * static_cast<double>(right[i]);
  }
  return dot / std::sqrt(left_norm * right_norm);
}

}  // namespace

TEST_CASE("the C++ local model matches the JavaScript reference on every reference text", "[model][parity]") {
  const std::string model_directory = setting("MOSAIC_MODEL_DIR", MOSAIC_DEFAULT_MODEL_DIR);
  const std::string reference_path = setting("MOSAIC_MODEL_REFERENCE", MOSAIC_DEFAULT_MODEL_REFERENCE);
  auto model = mosaic::server::load_local_model(model_directory);
  INFO((model.ok() ? std::string() : model.failure().message));
  REQUIRE(model.ok());

  std::ifstream reference(reference_path);
  INFO("reference file " << reference_path << " (written by tests/shared/model/make_reference_embeddings.mjs)");
  REQUIRE(reference.good());
  std::size_t compared = 0, refused = 0, truncated = 0;
  double lowest_cosine = 1.0;
  std::string line;
  while (std::getline(reference, line)) {
    const nlohmann::json record = nlohmann::json::parse(line);
    const std::string text = record.at("text").get<std::string>();
    INFO("text: " << text.substr(0, 120));
    auto normalized = mosaic::server::normalize_nfkc(text);
    REQUIRE(normalized.ok());
    auto embedding = model->embed(normalized.value());
    if (record.contains("error")) {
      // The reference throws (empty text): Mosaic must refuse too, with a clear error.
      REQUIRE_FALSE(embedding.ok());
      CHECK(embedding.failure().message.find("empty") != std::string::npos);
      ++refused;
      continue;
    }
    REQUIRE(embedding.ok());
    const auto expected_tokens = record.at("tokens").get<std::vector<std::int32_t>>();
    auto tokens = model->tokenizer().tokenize(normalized.value());
    REQUIRE(tokens.ok());
    CHECK(tokens.value() == expected_tokens);
    CHECK(embedding->token_count == expected_tokens.size());
    CHECK(embedding->truncated == (expected_tokens.size() > model->max_tokens()));
    if (embedding->truncated) ++truncated;
    const auto expected = record.at("embedding").get<std::vector<float>>();
    REQUIRE(expected.size() == embedding->vector.size());
    const double similarity = cosine(embedding->vector, expected);
    lowest_cosine = std::min(lowest_cosine, similarity);
    CHECK(similarity >= 0.9999);
    ++compared;
  }
  WARN("compared " << compared << " texts with the reference (" << truncated << " truncated at "
                   << model->max_tokens() << " tokens, " << refused << " refused like the reference); lowest cosine "
                   << std::setprecision(9) << lowest_cosine);
  CHECK(compared >= 20);
}

TEST_CASE("the loader names the missing file and the install command", "[model]") {
  auto model = mosaic::server::load_local_model("/nonexistent/mosaic-model");
  REQUIRE_FALSE(model.ok());
  CHECK(model.failure().message.find("/nonexistent/mosaic-model/model.json") != std::string::npos);
  CHECK(model.failure().message.find("install-model.sh") != std::string::npos);
}

TEST_CASE("NFKC normalization refuses invalid UTF-8 with its position", "[model]") {
  CHECK(mosaic::server::normalize_nfkc("\xEF\xAC\x81").value() == "fi");  // U+FB01 LATIN SMALL LIGATURE FI
  CHECK(mosaic::server::normalize_nfkc("e\xCC\x81").value() == "\xC3\xA9");  // e + combining acute -> é
  auto broken = mosaic::server::normalize_nfkc("ok \xC3(");
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.failure().message.find("byte 3") != std::string::npos);
}

TEST_CASE("a corrupt or incomplete model names the file and the install command", "[model]") {
  namespace fs = std::filesystem;
  const fs::path installed = setting("MOSAIC_MODEL_DIR", MOSAIC_DEFAULT_MODEL_DIR);
  const fs::path copy = fs::temp_directory_path() / ("mosaic-model-copy-" + std::to_string(::getpid()));
  fs::remove_all(copy);
  fs::create_directories(copy);
  for (const auto& entry : fs::directory_iterator(installed)) fs::copy_file(entry.path(), copy / entry.path().filename());
  REQUIRE(mosaic::server::load_local_model(copy).ok());

  fs::resize_file(copy / "group1-shard3of7", fs::file_size(copy / "group1-shard3of7") - 1000);  // a cut-off download
  auto truncated = mosaic::server::load_local_model(copy);
  REQUIRE_FALSE(truncated.ok());
  CHECK(truncated.failure().code == mosaic::error_code::model_not_installed);
  CHECK(truncated.failure().message.find("do not match model.json") != std::string::npos);
  CHECK(truncated.failure().message.find("install-model.sh") != std::string::npos);

  fs::remove(copy / "group1-shard5of7");
  auto missing_shard = mosaic::server::load_local_model(copy);
  REQUIRE_FALSE(missing_shard.ok());
  CHECK(missing_shard.failure().message.find("group1-shard5of7") != std::string::npos);

  std::ofstream(copy / "model.json") << "{\"weightsManifest\": [";
  auto broken_json = mosaic::server::load_local_model(copy);
  REQUIRE_FALSE(broken_json.ok());
  CHECK(broken_json.failure().message.find("model.json is corrupt") != std::string::npos);
  fs::remove_all(copy);
}

TEST_CASE("a text over the model's window says how many of its words were read", "[model]") {
  auto model = mosaic::server::load_local_model(setting("MOSAIC_MODEL_DIR", MOSAIC_DEFAULT_MODEL_DIR));
  REQUIRE(model.ok());
  const auto words = [](std::size_t count) {
    std::string text;
    for (std::size_t index = 0; index < count; ++index) text += index == 0 ? "cat" : " cat";
    return text;
  };
  // "cat" is one token of its own, so every word is one token here.
  auto short_text = model->embed(words(5));
  REQUIRE(short_text.ok());
  CHECK_FALSE(short_text->truncated);
  CHECK(short_text->word_count == 5);
  CHECK(short_text->words_read == 5);

  const std::size_t window = model->max_tokens();
  auto long_text = model->embed(words(window + 72));
  REQUIRE(long_text.ok());
  CHECK(long_text->truncated);
  CHECK(long_text->token_count == window + 72);
  CHECK(long_text->word_count == window + 72);
  CHECK(long_text->words_read == window);
  // The words past the window change nothing: the vector is the one of the words read.
  auto read_part = model->embed(words(window));
  REQUIRE(read_part.ok());
  CHECK(cosine(read_part->vector, long_text->vector) > 0.999999);

  // A word made of several tokens counts once, and a word cut by the window counts as read.
  auto pieces = model->embed("unbelievably");
  REQUIRE(pieces.ok());
  CHECK(pieces->word_count == 1);
  CHECK(pieces->token_count >= 1);
}
