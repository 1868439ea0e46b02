// The local model's SentencePiece tokenizer (shared/model/sentencepiece_tokenizer) with the installed
// model's vocab.json (MOSAIC_MODEL_DIR, else the folder compiled in from MOSAIC_MODEL_CACHE_PREFIX; the
// target is not built when neither has the file). It tokenizes every query typed into the browser.
// Valid UTF-8 must tokenize to ids inside the vocabulary, invalid UTF-8 must be refused. An input whose
// first byte is 0 is instead read as a vocabulary JSON itself (the loader must refuse bad ones cleanly).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "fuzz_support.hpp"
#include "model/sentencepiece_tokenizer.hpp"
#include "text/utf8.hpp"

using mosaic::model::sentencepiece_tokenizer;

namespace {

const sentencepiece_tokenizer& installed_tokenizer() {
  static const sentencepiece_tokenizer tokenizer = [] {
    const char* directory = std::getenv("MOSAIC_MODEL_DIR");
    const std::filesystem::path folder = directory != nullptr && *directory != '\0' ? directory : MOSAIC_DEFAULT_MODEL_DIR;
    std::ifstream stream(folder / "vocab.json", std::ios::binary);
    const std::string vocabulary{std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>()};
    auto created = sentencepiece_tokenizer::from_vocabulary_json(vocabulary);
    if (!created) {
      std::fprintf(stderr, "fuzz_sentencepiece: %s/vocab.json: %s\n", folder.c_str(), created.failure().message.c_str());
      std::abort();
    }
    return std::move(created).value();
  }();
  return tokenizer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const sentencepiece_tokenizer& tokenizer = installed_tokenizer();
  if (size > 0 && data[0] == 0) {
    auto loaded = sentencepiece_tokenizer::from_vocabulary_json(mosaic::fuzz::as_text(data + 1, size - 1));
    if (loaded && loaded->vocabulary_size() > 0) (void)loaded->tokenize("a b");
    return 0;
  }
  const std::string_view text = mosaic::fuzz::as_text(data, size);
  auto ids = tokenizer.tokenize(text);
  MOSAIC_FUZZ_CHECK(ids.ok() == mosaic::text::is_valid_utf8(text), "the tokenizer disagrees with the UTF-8 check");
  if (!ids) return 0;
  for (const std::int32_t id : ids.value()) {
    MOSAIC_FUZZ_CHECK(id >= 0 && static_cast<std::size_t>(id) < tokenizer.vocabulary_size(), "an id outside the vocabulary");
    (void)tokenizer.piece(id);
  }
  return 0;
}
