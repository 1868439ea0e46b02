// The embedding routes through handle_request() with a recording provider (no model, no network):
// media parts checked and prepared before the provider is asked (large images resized to JPEG, WAV
// length, declared versus actual type, image count, sizes), Gemini's /v1beta shapes both ways with
// requests of different tasks and sizes regrouped in order, provider errors mapped to statuses with
// Retry-After, the per-client rate limit, CORS and the request metrics.
#include <catch2/catch.hpp>

#include <boost/beast/http.hpp>
#include <mutex>
#include <stb_image.h>  // declarations only: the implementation lives in the core
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "embed/gemini_protocol.hpp"
#include "embed/input_preparation.hpp"
#include "http/request_handler.hpp"
#include "container_fixtures.hpp"
#include "image_fixtures.hpp"
#include "media/wav_audio.hpp"

namespace {

namespace http = boost::beast::http;
using nlohmann::json;
using mosaic::server::embedding_batch;
using mosaic::server::embedding_callback;
using mosaic::server::embedding_input;
using mosaic::server::embedding_task;
using mosaic::server::embedding_vectors;
using mosaic::server::handle_request;
using mosaic::server::server_context;
using mosaic::server::string_request;
using mosaic::server::string_response;
using Catch::Matchers::Contains;

// Accepts every MIME type, remembers each batch, answers vector i as the unit vector e_(i mod d) of
// the asked size, or the error it was told to give.
class recording_provider final : public mosaic::server::embedding_provider {
 public:
  [[nodiscard]] const std::string& model_id() const noexcept override { return model_; }
  [[nodiscard]] std::size_t dimensions() const noexcept override { return 3072; }
  [[nodiscard]] bool accepts_mime_type(std::string_view) const noexcept override { return true; }
  void embed(embedding_batch batch, embedding_callback done) override {
    const std::size_t size = batch.dimensions == 0 ? 3072 : batch.dimensions;
    embedding_vectors vectors;
    for (std::size_t index = 0; index < batch.inputs.size(); ++index) {
      std::vector<float> vector(size, 0.0f);
      vector[(batches_size() + index) % size] = 1.0f;
      vectors.push_back(std::move(vector));
    }
    {
      std::lock_guard lock(mutex_);
      batches_.push_back(std::move(batch));
    }
    if (failure) return done(*failure);
    done(std::move(vectors));
  }
  std::size_t batches_size() {
    std::lock_guard lock(mutex_);
    return batches_.size();
  }
  std::vector<embedding_batch> batches() {
    std::lock_guard lock(mutex_);
    return batches_;
  }
  std::optional<mosaic::error> failure;

 private:
  std::string model_ = "gemini-embedding-2";
  std::mutex mutex_;
  std::vector<embedding_batch> batches_;
};

string_request post(std::string target, const json& body) {
  string_request request{http::verb::post, target, 11};
  request.set(http::field::content_type, "application/json");
  request.body() = body.dump();
  request.prepare_payload();
  return request;
}

std::string base64_of(const std::vector<std::uint8_t>& bytes) {
  return mosaic::server::encode_base64(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

json media_part(std::string mime_type, const std::vector<std::uint8_t>& bytes) {
  return json{{"mime_type", std::move(mime_type)}, {"data", base64_of(bytes)}};
}

json embed_body(const json& parts, const json& extra = json::object()) {
  json body{{"inputs", json::array({json{{"parts", parts}}})}};
  body.update(extra);
  return body;
}

std::vector<std::uint8_t> wav_of_seconds(std::uint32_t seconds, std::uint16_t channels = 1, std::uint32_t sample_rate = 8000) {
  mosaic::media::wav_format format;
  format.channels = channels;
  format.sample_rate = sample_rate;
  format.bits_per_sample = 16;
  const std::vector<std::uint8_t> samples(std::size_t{seconds} * sample_rate * channels * 2, 0);
  auto wav = mosaic::media::write_wav(format, samples);
  REQUIRE(wav.ok());
  return wav.value();
}

json error_of(const string_response& response) { return json::parse(response.body()).at("error"); }

struct fixture {
  recording_provider provider;
  server_context context;
  fixture() {
    context.provider = &provider;
    context.provider_name = "gemini";
  }
};

}  // namespace

TEST_CASE("a large image is resized to JPEG before the provider sees it and a small one is sent as it is", "[server][embed][media]") {
  fixture test;
  const auto large = mosaic::testing::encode_png(2000, 500, 3, mosaic::testing::gradient_pixels(2000, 500, 3));
  const auto small = mosaic::testing::encode_png(64, 32, 3, mosaic::testing::gradient_pixels(64, 32, 3));
  const string_response response = handle_request(
      test.context, post("/api/embed", embed_body(json::array({media_part("image/png", large), media_part("image/png", small)}),
                                                  json{{"dimensions", 768}})));
  REQUIRE(response.result() == http::status::ok);
  const auto batches = test.provider.batches();
  REQUIRE(batches.size() == 1);
  const auto& parts = batches[0].inputs.at(0).parts;
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].mime_type == "image/jpeg");
  int width = 0, height = 0, channels = 0;
  REQUIRE(stbi_info_from_memory(reinterpret_cast<const unsigned char*>(parts[0].bytes.data()),
                                static_cast<int>(parts[0].bytes.size()), &width, &height, &channels) == 1);
  CHECK(width == 1024);
  CHECK(height == 256);
  CHECK(parts[1].mime_type == "image/png");
  CHECK(parts[1].bytes == std::string(small.begin(), small.end()));
  CHECK(batches[0].dimensions == 768);
  CHECK(json::parse(response.body()).at("embeddings").at(0).size() == 768);

  SECTION("--image-max-side changes the bound") {
    test.context.limits.image_max_side = 512;
    REQUIRE(handle_request(test.context, post("/api/embed", embed_body(json::array({media_part("image/png", small)})))).result() == http::status::ok);
    REQUIRE(handle_request(test.context, post("/api/embed", embed_body(json::array({media_part("image/png", large)})))).result() == http::status::ok);
    const auto all = test.provider.batches();
    REQUIRE(stbi_info_from_memory(reinterpret_cast<const unsigned char*>(all.back().inputs[0].parts[0].bytes.data()),
                                  static_cast<int>(all.back().inputs[0].parts[0].bytes.size()), &width, &height, &channels) == 1);
    CHECK(width == 512);
  }
}

TEST_CASE("every bad media input is refused with its status before the provider is asked", "[server][embed][media]") {
  fixture test;
  const auto png = mosaic::testing::encode_png(8, 8, 3, mosaic::testing::gradient_pixels(8, 8, 3));
  auto bad_crc = png;
  bad_crc[29] ^= 0xFF;  // a byte of IHDR's data: its CRC no longer matches
  const std::vector<std::uint8_t> truncated(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(png.size() / 2));
  const std::vector<std::uint8_t> gif{'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0};
  // Two whole frames, then garbage where the third frame's header should be.
  auto broken_mp3 = mosaic::testing::mp3_of_frames(3);
  broken_mp3.resize(broken_mp3.size() - 400);
  broken_mp3.insert(broken_mp3.end(), 600, 0x55);
  auto headless_mp4 = mosaic::testing::mp4_of_seconds(10);
  headless_mp4.resize(24);  // ftyp only: no moov
  struct refusal {
    const char* name;
    json body;
    http::status status;
    const char* code;
    const char* message;
  };
  const std::vector<refusal> refusals{
      {"seven images", embed_body(json(std::vector<json>(7, media_part("image/png", png)))), http::status::bad_request,
       "invalid_argument", "7 images; at most 6"},
      {"a GIF", embed_body(json::array({media_part("image/gif", gif)})), http::status::unsupported_media_type,
       "unsupported_media", "image/gif"},
      {"PNG bytes declared as JPEG", embed_body(json::array({media_part("image/jpeg", png)})), http::status::bad_request,
       "invalid_argument", "declared image/jpeg but the data is a image/png file"},
      {"WAV bytes declared as PNG", embed_body(json::array({media_part("image/png", wav_of_seconds(1))})),
       http::status::bad_request, "invalid_argument", "declared image/png"},
      {"a bad CRC", embed_body(json::array({media_part("image/png", bad_crc)})), http::status::bad_request, "invalid_media", "CRC"},
      {"a truncated PNG", embed_body(json::array({media_part("image/png", truncated)})), http::status::bad_request,
       "invalid_media", "inputs[0].parts[0]"},
      {"81 seconds of audio", embed_body(json::array({media_part("audio/x-wav", wav_of_seconds(81))})),
       http::status::payload_too_large, "media_too_large", "81 s; at most 80 s"},
      // 3,101 frames of 26.1 ms: 81 s of MP3.
      {"81 seconds of MP3", embed_body(json::array({media_part("audio/mpeg", mosaic::testing::mp3_of_frames(3101))})),
       http::status::payload_too_large, "media_too_large", "81 s; at most 80 s"},
      {"a cut MP3 frame stream", embed_body(json::array({media_part("audio/mpeg", broken_mp3)})), http::status::bad_request,
       "invalid_media", "inputs[0].parts[0]"},
      {"a video of 121 seconds", embed_body(json::array({media_part("video/mp4", mosaic::testing::mp4_of_seconds(121))})),
       http::status::payload_too_large, "media_too_large", "2:01 (121 s), over the 120 s"},
      {"a video with no movie header", embed_body(json::array({media_part("video/mp4", headless_mp4)})),
       http::status::bad_request, "invalid_media", "cannot tell how long this video is"},
      {"a PDF of 7 pages", embed_body(json::array({media_part("application/pdf", mosaic::testing::pdf_with_pages(7))})),
       http::status::payload_too_large, "media_too_large", "a PDF of 7 pages, over the 6 pages"},
      {"empty data", embed_body(json::array({json{{"mime_type", "application/pdf"}, {"data", ""}}})), http::status::bad_request,
       "invalid_argument", "the data is empty"},
      {"not base64", embed_body(json::array({json{{"mime_type", "application/pdf"}, {"data", "%%%%"}}})),
       http::status::bad_request, "invalid_argument", "inputs[0].parts[0].data"},
      {"text that is not UTF-8 after escaping", embed_body(json::array({json{{"text", std::string("caf\xC3", 4)}}})),
       http::status::bad_request, "invalid_json", "UTF-8"},
  };
  for (const refusal& each : refusals) {
    INFO(each.name);
    string_request request{http::verb::post, "/api/embed", 11};
    // dump() would throw on invalid UTF-8; the raw body is what a hostile client sends.
    request.body() = each.body.dump(-1, ' ', false, json::error_handler_t::ignore);
    if (std::string(each.name).starts_with("text that")) request.body() = std::string(R"({"inputs":[{"parts":[{"text":"caf)") + "\xC3" + R"("}]}]})";
    request.prepare_payload();
    const string_response response = handle_request(test.context, request);
    CHECK(response.result() == each.status);
    const json failure = error_of(response);
    CHECK(failure.at("code") == each.code);
    CHECK_THAT(failure.at("message").get<std::string>(), Contains(each.message));
  }
  CHECK(test.provider.batches_size() == 0);

  SECTION("media that cannot fit one request are refused before anything decodes them") {
    // 1,001 bytes are 1,336 in base64: over a cap that leaves them 1,000 (the bytes are not even a PDF).
    test.context.limits.max_request_bytes = mosaic::server::gemini_request_allowance_bytes + 1'000;
    const string_response response =
        handle_request(test.context, post("/api/embed", embed_body(json::array({media_part("application/pdf", std::vector<std::uint8_t>(1001, '%'))}))));
    CHECK(response.result() == http::status::payload_too_large);
    CHECK(error_of(response).at("code") == "media_too_large");
    CHECK_THAT(error_of(response).at("message").get<std::string>(), Contains("inputs[0]: 0.0 MB of media is 0.1 MB once base64-encoded"));
  }
}

TEST_CASE("an input is refused when it cannot fit one 20 MB Gemini request once base64-encoded", "[server][embed][media]") {
  fixture test;
  // 17,000,000 bytes (16.2 MiB) are 22,666,668 once base64-encoded: over 20 MiB, refused unparsed.
  const string_response video = handle_request(
      test.context, post("/api/embed", embed_body(json::array({media_part("video/mp4", std::vector<std::uint8_t>(17'000'000, 1))}))));
  CHECK(video.result() == http::status::payload_too_large);
  CHECK(error_of(video).at("code") == "media_too_large");
  CHECK_THAT(error_of(video).at("message").get<std::string>(),
             Contains("inputs[0]: 16.2 MB of media is 21.7 MB once base64-encoded; one Gemini request holds at most 20 MB"));

  // 60 s of 96 kHz stereo WAV: within the 80 s Gemini takes, but 22 MiB, so 29.3 MiB in base64.
  const string_response loud = handle_request(
      test.context, post("/v1beta/models/gemini-embedding-2:embedContent",
                         json{{"content", {{"parts", json::array({json{{"inline_data", media_part("audio/wav", wav_of_seconds(60, 2, 96'000))}}})}}}}));
  CHECK(loud.result() == http::status::bad_request);  // /v1beta answers as Google does: 400 INVALID_ARGUMENT
  CHECK(json::parse(loud.body()).at("error").at("status") == "INVALID_ARGUMENT");
  CHECK_THAT(json::parse(loud.body()).at("error").at("message").get<std::string>(),
             Contains("22.0 MB of media is 29.4 MB once base64-encoded; one Gemini request holds at most 20 MB"));
  CHECK(test.provider.batches_size() == 0);

  // 80 s of 48 kHz stereo (15.4 MB, 19.5 MiB once encoded) fits, and goes to the provider as it is.
  const auto fitting = wav_of_seconds(80, 2, 48'000);
  const string_response accepted =
      handle_request(test.context, post("/api/embed", embed_body(json::array({media_part("audio/wav", fitting)}))));
  REQUIRE(accepted.result() == http::status::ok);
  REQUIRE(test.provider.batches_size() == 1);
  CHECK(test.provider.batches()[0].inputs[0].parts[0].bytes.size() == fitting.size());
}

TEST_CASE("accepted media pass with their canonical MIME types", "[server][embed][media]") {
  fixture test;
  // Each at its limit: 80 s of WAV, 6 pages of PDF, 80 s of MP3 (3,062 frames of 26.1 ms), 120 s of video.
  const string_response response = handle_request(
      test.context, post("/api/embed", json{{"inputs", json::array({json{{"parts", json::array({media_part("audio/x-wav", wav_of_seconds(80))})}},
                                                                    json{{"parts", json::array({media_part("application/pdf", mosaic::testing::pdf_with_pages(6))})}},
                                                                    "a shorthand text input",
                                                                    json{{"parts", json::array({media_part("audio/mp3", mosaic::testing::mp3_of_frames(3062))})}},
                                                                    json{{"parts", json::array({media_part("video/mp4", mosaic::testing::mp4_of_seconds(120))})}}})},
                                            {"task", "document"}}));
  REQUIRE(response.result() == http::status::ok);
  const auto batches = test.provider.batches();
  REQUIRE(batches.size() == 1);
  CHECK(batches[0].task == embedding_task::retrieval_document);
  CHECK(batches[0].inputs[0].parts[0].mime_type == "audio/wav");
  CHECK(batches[0].inputs[1].parts[0].mime_type == "application/pdf");
  CHECK(batches[0].inputs[2].parts[0].text == "a shorthand text input");
  CHECK(batches[0].inputs[3].parts[0].mime_type == "audio/mpeg");
  CHECK(batches[0].inputs[4].parts[0].mime_type == "video/mp4");
}

TEST_CASE("provider errors keep their meaning: 503 with Retry-After, 502 for a refusal", "[server][embed]") {
  fixture test;
  test.provider.failure = mosaic::make_error(mosaic::error_code::upstream_unavailable, "Gemini did not answer after 5 attempts", 7);
  string_response response = handle_request(test.context, post("/api/embed", embed_body(json::array({json{{"text", "a"}}}))));
  CHECK(response.result() == http::status::service_unavailable);
  CHECK(response[http::field::retry_after] == "7");
  CHECK(error_of(response).at("code") == "upstream_unavailable");
  test.provider.failure = mosaic::make_error(mosaic::error_code::upstream_rejected, "Gemini refused the request (HTTP 403 PERMISSION_DENIED)");
  response = handle_request(test.context, post("/api/embed", embed_body(json::array({json{{"text", "a"}}}))));
  CHECK(response.result() == http::status::bad_gateway);
  CHECK_FALSE(response.count(http::field::retry_after));
}

TEST_CASE("the /v1beta pass-through answers in Google's shapes and regroups mixed requests in order", "[server][embed][gemini]") {
  fixture test;
  const json request_body{{"requests", json::array({
      json{{"model", "models/gemini-embedding-2"}, {"content", {{"parts", json::array({json{{"text", "one"}}})}}}, {"outputDimensionality", 128}},
      json{{"model", "models/gemini-embedding-2"}, {"content", {{"parts", json::array({json{{"text", "two"}}})}}}, {"outputDimensionality", 256},
           {"taskType", "RETRIEVAL_DOCUMENT"}},
      json{{"model", "models/gemini-embedding-2"}, {"content", {{"parts", json::array({json{{"text", "three"}}})}}}, {"output_dimensionality", 128}},
  })}};
  const string_response response = handle_request(test.context, post("/v1beta/models/gemini-embedding-2:batchEmbedContents", request_body));
  REQUIRE(response.result() == http::status::ok);
  const json answer = json::parse(response.body());
  REQUIRE(answer.at("embeddings").size() == 3);
  CHECK(answer["embeddings"][0]["values"].size() == 128);
  CHECK(answer["embeddings"][1]["values"].size() == 256);
  CHECK(answer["embeddings"][2]["values"].size() == 128);
  const auto batches = test.provider.batches();
  REQUIRE(batches.size() == 2);  // (unspecified, 128) holds "one" and "three"; (document, 256) holds "two"
  std::size_t texts = 0;
  for (const auto& batch : batches) {
    texts += batch.inputs.size();
    if (batch.dimensions == 128) {
      REQUIRE(batch.inputs.size() == 2);
      CHECK(batch.inputs[0].parts[0].text == "one");
      CHECK(batch.inputs[1].parts[0].text == "three");
    } else {
      CHECK(batch.task == embedding_task::retrieval_document);
      CHECK(batch.inputs[0].parts[0].text == "two");
    }
  }
  CHECK(texts == 3);

  SECTION("embedContent answers one embedding") {
    const string_response single = handle_request(
        test.context, post("/v1beta/models/gemini-embedding-2:embedContent", json{{"content", {{"parts", json::array({json{{"text", "x"}}})}}}}));
    REQUIRE(single.result() == http::status::ok);
    CHECK(json::parse(single.body()).at("embedding").at("values").size() == 3072);
  }
  SECTION("another model is 404 in Google's error shape") {
    const string_response other = handle_request(
        test.context, post("/v1beta/models/text-embedding-004:embedContent", json{{"content", {{"parts", json::array({json{{"text", "x"}}})}}}}));
    CHECK(other.result() == http::status::not_found);
    const json failure = error_of(other);
    CHECK(failure.at("code") == 404);
    CHECK(failure.at("status") == "NOT_FOUND");
    CHECK_THAT(failure.at("message").get<std::string>(), Contains("serves models/gemini-embedding-2"));
  }
  SECTION("a bad body is 400 INVALID_ARGUMENT; an unknown method 400; GET 405") {
    const string_response bad = handle_request(test.context, post("/v1beta/models/gemini-embedding-2:embedContent", json{{"content", 5}}));
    CHECK(bad.result() == http::status::bad_request);
    CHECK(error_of(bad).at("status") == "INVALID_ARGUMENT");
    CHECK(handle_request(test.context, post("/v1beta/models/gemini-embedding-2:generateContent", json::object())).result() ==
          http::status::bad_request);
    string_request get{http::verb::get, "/v1beta/models/gemini-embedding-2:embedContent", 11};
    CHECK(handle_request(test.context, get).result() == http::status::method_not_allowed);
  }
  SECTION("an upstream outage is 503 in Google's shape with Retry-After") {
    test.provider.failure = mosaic::make_error(mosaic::error_code::upstream_unavailable, "no answer", 3);
    const string_response outage = handle_request(test.context, post("/v1beta/models/gemini-embedding-2:batchEmbedContents", request_body));
    CHECK(outage.result() == http::status::service_unavailable);
    CHECK(outage[http::field::retry_after] == "3");
    CHECK(error_of(outage).at("status") == "UNAVAILABLE");
  }
}

TEST_CASE("the rate limit answers 429 with Retry-After per client and CORS follows the allow-list", "[server][embed][guards]") {
  fixture test;
  mosaic::server::rate_limiter limiter(mosaic::server::rate_limit_options{1.0, 2.0, 100});
  test.context.embed_rate_limiter = &limiter;
  const json body = embed_body(json::array({json{{"text", "a"}}}));
  CHECK(handle_request(test.context, post("/api/embed", body), "10.0.0.1").result() == http::status::ok);
  CHECK(handle_request(test.context, post("/api/embed", body), "10.0.0.1").result() == http::status::ok);
  const string_response limited = handle_request(test.context, post("/api/embed", body), "10.0.0.1");
  CHECK(limited.result() == http::status::too_many_requests);
  CHECK(error_of(limited).at("code") == "rate_limited");
  CHECK(std::stoi(std::string(limited[http::field::retry_after])) >= 1);
  CHECK(handle_request(test.context, post("/api/embed", body), "10.0.0.2").result() == http::status::ok);

  test.context.allowed_origins = {"https://app.example"};
  string_request preflight{http::verb::options, "/api/embed", 11};
  preflight.set(http::field::origin, "https://app.example");
  string_response answer = handle_request(test.context, preflight);
  CHECK(answer.result() == http::status::no_content);
  CHECK(answer[http::field::access_control_allow_origin] == "https://app.example");
  CHECK(answer[http::field::vary] == "Origin");
  preflight.set(http::field::origin, "https://evil.example");
  answer = handle_request(test.context, preflight);
  CHECK(answer.result() == http::status::forbidden);
  CHECK_FALSE(answer.count(http::field::access_control_allow_origin));
  test.context.allowed_origins = {"*"};
  answer = handle_request(test.context, preflight);
  CHECK(answer[http::field::access_control_allow_origin] == "*");
}

TEST_CASE("a shared rate limit decides from another thread, on both embedding routes", "[server][embed][guards]") {
  // Stands for mosaic serve --redis: the decision arrives on the Redis client's thread, and the route
  // goes on (or answers 429) from there. Here a thread of the test's, deciding by the client's name.
  fixture test;
  std::vector<std::string> asked;
  std::vector<std::thread> deciders;
  std::mutex asked_mutex;
  test.context.shared_embed_rate_limit = [&](const std::string& client, std::function<void(mosaic::server::rate_decision)> decided) {
    std::lock_guard lock(asked_mutex);
    asked.push_back(client);
    deciders.emplace_back([client, decided = std::move(decided)] {
      if (client == "10.0.0.9") return decided({false, std::chrono::milliseconds(2500)});
      decided({});
    });
  };
  // The local limiter is not asked while the shared one decides: it would refuse the second request.
  mosaic::server::rate_limiter local(mosaic::server::rate_limit_options{1.0, 1.0, 100});
  test.context.embed_rate_limiter = &local;
  const json body = embed_body(json::array({json{{"text", "a"}}}));
  for (int request = 0; request < 3; ++request) {
    CHECK(handle_request(test.context, post("/api/embed", body), "10.0.0.1").result() == http::status::ok);
  }
  const string_response limited = handle_request(test.context, post("/api/embed", body), "10.0.0.9");
  CHECK(limited.result() == http::status::too_many_requests);
  CHECK(error_of(limited).at("code") == "rate_limited");
  CHECK(limited[http::field::retry_after] == "3");
  const json gemini_body = {{"content", {{"parts", json::array({json{{"text", "a"}}})}}}};
  CHECK(handle_request(test.context, post("/v1beta/models/gemini-embedding-2:embedContent", gemini_body), "10.0.0.1").result() ==
        http::status::ok);
  const string_response gemini_limited =
      handle_request(test.context, post("/v1beta/models/gemini-embedding-2:embedContent", gemini_body), "10.0.0.9");
  CHECK(gemini_limited.result() == http::status::too_many_requests);
  CHECK(error_of(gemini_limited).at("status") == "RESOURCE_EXHAUSTED");
  CHECK(local.tracked_clients() == 0);
  std::lock_guard lock(asked_mutex);
  CHECK(asked == std::vector<std::string>{"10.0.0.1", "10.0.0.1", "10.0.0.1", "10.0.0.9", "10.0.0.1", "10.0.0.9"});
  for (std::thread& decider : deciders) decider.join();
}

TEST_CASE("requests are counted by route and status in /metrics", "[server][embed][metrics]") {
  fixture test;
  mosaic::server::metrics_registry metrics;
  mosaic::server::declare_server_metrics(metrics);
  test.context.metrics = &metrics;
  test.context.append_metrics = [](std::string& text) { text += "extra_statistic 42\n"; };
  const json body = embed_body(json::array({json{{"text", "a"}}}));
  for (int i = 0; i < 3; ++i) REQUIRE(handle_request(test.context, post("/api/embed", body)).result() == http::status::ok);
  REQUIRE(handle_request(test.context, post("/api/embed", json::object())).result() == http::status::bad_request);
  string_request scrape{http::verb::get, "/metrics", 11};
  const string_response response = handle_request(test.context, scrape);
  REQUIRE(response.result() == http::status::ok);
  CHECK_THAT(std::string(response[http::field::content_type]), Contains("version=0.0.4"));
  const std::string& text = response.body();
  CHECK_THAT(text, Contains("mosaic_http_requests_total{route=\"/api/embed\",status=\"200\"} 3"));
  CHECK_THAT(text, Contains("mosaic_http_requests_total{route=\"/api/embed\",status=\"400\"} 1"));
  CHECK_THAT(text, Contains("mosaic_http_request_duration_seconds_count{route=\"/api/embed\"} 4"));
  CHECK_THAT(text, Contains("extra_statistic 42"));
  // A target the client chose never becomes a label.
  string_request odd{http::verb::get, "/index/%22%7D%0Aevil", 11};
  handle_request(test.context, odd);
  CHECK_THAT(handle_request(test.context, scrape).body(), !Contains("evil"));
}
