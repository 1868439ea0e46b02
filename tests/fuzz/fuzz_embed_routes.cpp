// The routes that need an embedding provider, for any request a client can send: POST /api/embed
// (Mosaic's body: inputs, parts, base64 media, task, dimensions), the /v1beta pass-through
// (embedContent and batchEmbedContents in Google's shape) and /api/search by text, through
// handle_request with the fixture's web app and index site (fuzz_http_fixture.hpp). The provider is a
// deterministic stand-in (no network, no model): it answers a unit vector per input from a hash of the
// input's bytes, and fails any batch holding a text that starts with "refuse", so the answer paths of
// both outcomes run. This reaches
// what fuzz_http_request cannot without a provider: the JSON bodies' readers, base64, and every
// media check of input_preparation (images, WAV, MP3, MP4/MOV, PDF) behind the HTTP layer.
// Invariants: a real status, nothing outside the served folders sent; the provider only ever sees
// inputs that passed the one input check (parts within the limits, text non-empty UTF-8 within its
// cap, media of a type it takes); and every 200 answer holds one unit vector of the asked size per
// input asked for.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "embed/embedding_provider.hpp"
#include "fuzz_http_fixture.hpp"
#include "fuzz_support.hpp"
#include "media/gemini_media_rules.hpp"
#include "text/utf8.hpp"

namespace {

using mosaic::server::embedding_batch;
using mosaic::server::embedding_callback;
using mosaic::server::embedding_vectors;
using nlohmann::json;

constexpr std::string_view model_name = "fuzz-model";  // the fixture site's model: text searches match it

class fuzz_provider final : public mosaic::server::embedding_provider {
 public:
  explicit fuzz_provider(const mosaic::server::input_limits& limits) : limits_(limits) {}

  [[nodiscard]] const std::string& model_id() const noexcept override { return model_; }
  [[nodiscard]] std::size_t dimensions() const noexcept override { return mosaic::fuzz::fixture_dimensions; }
  [[nodiscard]] bool accepts_mime_type(std::string_view mime_type) const noexcept override {
    return mime_type.empty() || mosaic::media::find_gemini_media_rule(mime_type) != nullptr;
  }

  void embed(embedding_batch batch, embedding_callback done) override {
    MOSAIC_FUZZ_CHECK(!batch.inputs.empty(), "an empty batch reached the provider");
    const std::size_t size = batch.dimensions == 0 ? dimensions() : batch.dimensions;
    MOSAIC_FUZZ_CHECK(size >= 1 && size <= dimensions(), "a size the provider does not have was asked for");
    embedding_vectors vectors;
    bool refused = false;
    for (const auto& input : batch.inputs) {
      MOSAIC_FUZZ_CHECK(!input.parts.empty() && input.parts.size() <= limits_.max_parts, "an input's parts are out of bounds");
      std::uint64_t hash = 1469598103934665603ull;
      const auto mix = [&hash](std::string_view bytes) {
        for (const char byte : bytes) hash = (hash ^ static_cast<std::uint8_t>(byte)) * 1099511628211ull;
      };
      for (const auto& part : input.parts) {
        if (part.is_text()) {
          MOSAIC_FUZZ_CHECK(!part.text.empty() && part.text.size() <= limits_.max_text_bytes, "unchecked text length");
          MOSAIC_FUZZ_CHECK(mosaic::text::is_valid_utf8(part.text), "text that is not UTF-8 reached the provider");
          mix(part.text);
          refused = refused || part.text.starts_with("refuse");
        } else {
          MOSAIC_FUZZ_CHECK(accepts_mime_type(part.mime_type), "a MIME type the provider does not take reached it");
          MOSAIC_FUZZ_CHECK(!part.bytes.empty(), "empty media reached the provider");
          mix(part.mime_type);
          mix(part.bytes);
        }
      }
      std::vector<float> vector(size);
      double squares = 0;
      for (std::size_t index = 0; index < size; ++index) {
        hash = hash * 6364136223846793005ull + 1442695040888963407ull;
        vector[index] = static_cast<float>(static_cast<std::int32_t>(hash >> 32)) / 2147483648.0f;
        squares += static_cast<double>(vector[index]) * static_cast<double>(vector[index]);
      }
      if (squares == 0) {
        vector[0] = 1.0f;
        squares = 1;
      }
      for (float& value : vector) value = static_cast<float>(static_cast<double>(value) / std::sqrt(squares));
      vectors.push_back(std::move(vector));
    }
    if (refused) {
      return done(mosaic::make_error(mosaic::error_code::upstream_unavailable, "the fuzz provider refused this batch", 1));
    }
    done(std::move(vectors));
  }

 private:
  std::string model_{model_name};
  mosaic::server::input_limits limits_;
};

struct embed_fixture {
  mosaic::fuzz::http_fixture http{"embed-routes"};
  fuzz_provider provider{http.context.limits};
  embed_fixture() {
    http.context.provider = &provider;
    http.context.provider_name = "fuzz";
  }
};

// One unit vector of finite values, of `size` values when the size is known (else of 1 up to the provider's).
void check_vector(const json& values, std::optional<std::size_t> size) {
  MOSAIC_FUZZ_CHECK(values.is_array() && !values.empty() && values.size() <= mosaic::fuzz::fixture_dimensions,
                    "a vector of no size or over the provider's was answered");
  MOSAIC_FUZZ_CHECK(!size || values.size() == *size, "a vector of another size than asked was answered");
  double squares = 0;
  for (const json& value : values) {
    MOSAIC_FUZZ_CHECK(value.is_number() && std::isfinite(value.get<double>()), "a vector value is not a finite number");
    squares += value.get<double>() * value.get<double>();
  }
  MOSAIC_FUZZ_CHECK(std::fabs(squares - 1) < 1e-3, "an answered vector is not of unit length");
}

// A 200 answer to a request the server accepted: as many vectors as inputs, each of the asked size.
void check_answer(const mosaic::server::string_request& request, const mosaic::server::string_response& response) {
  const std::string_view target(request.target().data(), request.target().size());
  const bool embed = target.starts_with("/api/embed");
  const bool single = target.find(":embedContent") != std::string_view::npos;
  const bool batch = target.find(":batchEmbedContents") != std::string_view::npos;
  if (!embed && !single && !batch) return;
  const json asked = json::parse(request.body(), nullptr, false);
  const json answer = json::parse(response.body(), nullptr, false);
  MOSAIC_FUZZ_CHECK(!asked.is_discarded() && asked.is_object(), "a body that is not a JSON object was answered 200");
  MOSAIC_FUZZ_CHECK(!answer.is_discarded() && answer.is_object(), "a 200 answer is not a JSON object");
  if (embed) {
    const std::size_t size = asked.contains("dimensions") ? asked["dimensions"].get<std::size_t>() : mosaic::fuzz::fixture_dimensions;
    MOSAIC_FUZZ_CHECK(answer.value("dimensions", 0u) == size, "the answer's dimensions are not those asked for");
    MOSAIC_FUZZ_CHECK(answer["embeddings"].size() == asked["inputs"].size(), "not one vector per input");
    for (const json& vector : answer["embeddings"]) check_vector(vector, size);
    return;
  }
  // Google's outputDimensionality (either spelling): a whole number is checked exactly; proto3 JSON's
  // other forms (a decimal string, 4.0) only for range; absent or 0, the full size.
  const auto size_of = [](const json& one) -> std::optional<std::size_t> {
    const json* size = one.contains("outputDimensionality") ? &one["outputDimensionality"]
                       : one.contains("output_dimensionality") ? &one["output_dimensionality"] : nullptr;
    if (size == nullptr || (size->is_number_unsigned() && size->get<std::size_t>() == 0)) return mosaic::fuzz::fixture_dimensions;
    if (size->is_number_unsigned()) return size->get<std::size_t>();
    return std::nullopt;
  };
  if (single) {
    check_vector(answer["embedding"]["values"], size_of(asked));
    return;
  }
  MOSAIC_FUZZ_CHECK(answer["embeddings"].size() == asked["requests"].size(), "not one vector per request");
  for (std::size_t index = 0; index < asked["requests"].size(); ++index) {
    check_vector(answer["embeddings"][index]["values"], size_of(asked["requests"][index]));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static embed_fixture server;
  const auto request = mosaic::fuzz::parse_raw_request(data, size);
  if (!request) return 0;
  const auto response = mosaic::server::handle_request(server.http.context, *request, "192.0.2.1");
  const unsigned status = response.result_int();
  MOSAIC_FUZZ_CHECK(status >= 100 && status <= 599, "no real status");
  // An error may quote the request (a MIME type it refuses, say): only a request without the secret's
  // text proves, by an answer holding it, that the file outside the web folder was read.
  const bool asked_with_secret = mosaic::fuzz::as_text(data, size).find(mosaic::fuzz::secret_content) != std::string_view::npos;
  MOSAIC_FUZZ_CHECK(asked_with_secret || response.body().find(mosaic::fuzz::secret_content) == std::string::npos,
                    "a file outside the web folder was served");
  if (status == 200 && request->method() == boost::beast::http::verb::post) check_answer(*request, response);
  return 0;
}
