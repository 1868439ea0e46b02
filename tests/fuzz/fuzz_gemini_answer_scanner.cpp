// The Gemini answer scanner (server/embed/embedding_values_scanner), a hand-written fast path over
// batchEmbedContents answers from the network, differentially against nlohmann/json: whenever the
// scanner accepts an input, the JSON library must accept it too, with the shape the scanner claims,
// and give bit-identical floats (the scanner's contract in its header). The expected count and size
// come from the input's own JSON when it has the shape (so accepted inputs are common), else from its
// first bytes. The general parser (parse_gemini_batch_response) runs too, and must accept what the
// scanner accepted.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "embed/embedding_values_scanner.hpp"
#include "embed/gemini_protocol.hpp"
#include "fuzz_support.hpp"

namespace {

using vectors = std::vector<std::vector<float>>;

// The JSON library's reading of the same shape, with the scanner's rules for numbers: finite, and
// within float range once read as a double.
std::optional<vectors> read_with_json_library(const nlohmann::json& document, std::size_t expected, std::size_t dimensions) {
  if (!document.is_object() || document.size() != 1 || !document.contains("embeddings")) return std::nullopt;
  const nlohmann::json& embeddings = document["embeddings"];
  if (!embeddings.is_array() || embeddings.size() != expected) return std::nullopt;
  vectors read;
  for (const nlohmann::json& embedding : embeddings) {
    if (!embedding.is_object() || embedding.size() != 1 || !embedding.contains("values")) return std::nullopt;
    const nlohmann::json& values = embedding["values"];
    if (!values.is_array() || values.size() != dimensions) return std::nullopt;
    std::vector<float> vector;
    for (const nlohmann::json& value : values) {
      if (!value.is_number()) return std::nullopt;
      const double number = value.get<double>();
      if (!std::isfinite(number) || std::fabs(number) > static_cast<double>(std::numeric_limits<float>::max())) {
        return std::nullopt;
      }
      vector.push_back(static_cast<float>(number));
    }
    read.push_back(std::move(vector));
  }
  return read;
}

bool same_bits(const vectors& left, const vectors& right) {
  if (left.size() != right.size()) return false;
  for (std::size_t index = 0; index < left.size(); ++index) {
    if (left[index].size() != right[index].size()) return false;
    if (!left[index].empty() &&
        std::memcmp(left[index].data(), right[index].data(), left[index].size() * sizeof(float)) != 0) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = mosaic::fuzz::as_text(data, size);
  const nlohmann::json document = nlohmann::json::parse(body, nullptr, false);
  std::size_t expected = size > 0 ? data[0] % 4 : 0;
  std::size_t dimensions = size > 1 ? data[1] % 8 : 0;
  if (document.is_object() && document.contains("embeddings") && document["embeddings"].is_array()) {
    const nlohmann::json& embeddings = document["embeddings"];
    expected = embeddings.size();
    if (!embeddings.empty() && embeddings[0].is_object() && embeddings[0].contains("values") &&
        embeddings[0]["values"].is_array()) {
      dimensions = embeddings[0]["values"].size();
    }
  }
  const auto scanned = mosaic::server::scan_embedding_values(body, expected, dimensions);
  auto general = mosaic::server::parse_gemini_batch_response(body, expected, dimensions);
  if (!scanned) return 0;
  MOSAIC_FUZZ_CHECK(scanned->size() == expected, "the scanner accepted another count");
  for (const auto& vector : *scanned) MOSAIC_FUZZ_CHECK(vector.size() == dimensions, "the scanner accepted another size");
  MOSAIC_FUZZ_CHECK(!document.is_discarded(), "the scanner accepted text that is not JSON");
  const auto library = read_with_json_library(document, expected, dimensions);
  MOSAIC_FUZZ_CHECK(library.has_value(), "the scanner accepted a shape or number the JSON library does not");
  MOSAIC_FUZZ_CHECK(same_bits(*scanned, *library), "the scanner and the JSON library read different floats");
  MOSAIC_FUZZ_CHECK(general.ok() && same_bits(general.value(), *scanned), "the general parser disagrees");
  return 0;
}
