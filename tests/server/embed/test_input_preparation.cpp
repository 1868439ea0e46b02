// The one check of what is embedded (server/embed/input_preparation): what every caller (the HTTP
// routes, the indexer) relies on before a provider sees an input. The route tests
// (tests/server/test_embed_routes.cpp) check the media themselves through /api/embed; these call
// prepare_input directly: the refusals the gemini provider used to repeat (moved here from
// test_gemini_provider.cpp), a provider that embeds text only, and MIME aliases made canonical.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "container_fixtures.hpp"
#include "embed/input_preparation.hpp"
#include "media/wav_audio.hpp"

namespace {

using namespace mosaic::server;
using mosaic::error_code;

embedding_input text_input(std::string text) {
  embedding_input input;
  input.parts.push_back({std::move(text), "", ""});
  return input;
}

std::string as_string(const std::vector<std::uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

void check_refused(embedding_input input, error_code code, std::string_view says,
                   const embedding_provider* provider = nullptr) {
  const auto prepared = prepare_input(input, input_limits{}, "inputs[1]", provider);
  REQUIRE_FALSE(prepared.ok());
  INFO(prepared.failure().message);
  CHECK(prepared.failure().code == code);
  CHECK(prepared.failure().message.find(says) != std::string::npos);
}

// Embeds text only, as the local model does; never asked to embed here.
class text_only_provider final : public embedding_provider {
 public:
  [[nodiscard]] const std::string& model_id() const noexcept override { return model_; }
  [[nodiscard]] std::size_t dimensions() const noexcept override { return 512; }
  [[nodiscard]] bool accepts_mime_type(std::string_view mime_type) const noexcept override { return mime_type.empty(); }
  void embed(embedding_batch, embedding_callback done) override { done(mosaic::make_error(error_code::invalid_argument, "")); }

 private:
  std::string model_ = "use-lite-512@energetic-ai-0.2.0";
};

}  // namespace

TEST_CASE("input checks: what no provider can embed is refused before one is asked", "[input_preparation]") {
  check_refused(embedding_input{}, error_code::invalid_argument, "inputs[1] has no parts");
  check_refused(text_input(""), error_code::invalid_argument, "inputs[1].parts[0]: empty text");

  embedding_input webp = text_input("caption");
  webp.parts.push_back({"", "image/webp", "RIFF....WEBP"});
  check_refused(webp, error_code::unsupported_media, "inputs[1].parts[1]: MIME type 'image/webp' cannot be embedded");

  embedding_input empty_bytes = text_input("caption");
  empty_bytes.parts.push_back({"", "image/png", ""});
  check_refused(empty_bytes, error_code::invalid_argument, "inputs[1].parts[1]: the data is empty");

  embedding_input seven_images = text_input("album");
  for (int index = 0; index < 7; ++index) seven_images.parts.push_back({"", "image/jpeg", "\xff\xd8\xff"});
  check_refused(seven_images, error_code::invalid_argument, "inputs[1] has 7 images; at most 6");

  check_refused(text_input("caf\xc3("), error_code::invalid_utf8,
                "inputs[1].parts[0]: the text is not UTF-8 (byte 4: byte 0x28 cannot continue the sequence that starts with 0xC3)");
}

TEST_CASE("input checks: a provider that embeds text only refuses media first", "[input_preparation]") {
  const text_only_provider provider;
  embedding_input pdf = text_input("a caption");
  pdf.parts.push_back({"", "application/pdf", as_string(mosaic::testing::pdf_with_pages(1))});
  check_refused(pdf, error_code::unsupported_media,
                "inputs[1].parts[1]: the use-lite-512@energetic-ai-0.2.0 model embeds text only; application/pdf needs "
                "the gemini provider",
                &provider);
  // Refused for the provider even when it could never fit a request: the more useful of the two answers.
  embedding_input huge = text_input("a caption");
  huge.parts.push_back({"", "video/mp4", std::string(30'000'000, 'v')});
  check_refused(huge, error_code::unsupported_media, "embeds text only; video/mp4 needs the gemini provider", &provider);
  // A type Gemini does not take either is refused as such, naming the types that are taken.
  embedding_input gif = text_input("a caption");
  gif.parts.push_back({"", "image/gif", "GIF89a"});
  check_refused(gif, error_code::unsupported_media, "use one of image/png, image/jpeg, audio/wav", &provider);
  // Text alone passes.
  embedding_input text = text_input("a caption");
  CHECK(prepare_input(text, input_limits{}, "inputs[0]", &provider).ok());
}

TEST_CASE("input checks: MIME aliases become the canonical type that is sent", "[input_preparation]") {
  const std::vector<float> silence(16'000, 0.0f);
  const auto wav = mosaic::media::write_pcm16_wav(silence, 1, 16'000);
  REQUIRE(wav.ok());
  for (const char* alias : {"audio/wav", "audio/x-wav", "audio/wave"}) {
    embedding_input input;
    input.parts.push_back({"", alias, as_string(wav.value())});
    REQUIRE(prepare_input(input, input_limits{}, "inputs[0]").ok());
    CHECK(input.parts[0].mime_type == "audio/wav");
  }
  embedding_input mp3;
  mp3.parts.push_back({"", "audio/mp3", as_string(mosaic::testing::mp3_of_frames(40))});
  REQUIRE(prepare_input(mp3, input_limits{}, "inputs[0]").ok());
  CHECK(mp3.parts[0].mime_type == "audio/mpeg");
}
