// The gemini provider against the real test double process (--hash-text: fast, deterministic,
// no model): batching into calls, order and normalization, task prefixes, refusals with Google's
// message and never the key, retries on 429/500, dropped connections, timeouts, refused connections,
// and validation before any call. Timing checks are lower bounds, or upper bounds that are far
// below what waiting for the fault would take.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "embed/gemini_provider.hpp"
#include "gemini_double_process.hpp"

namespace {

using namespace mosaic::server;
using mosaic::error_code;
using mosaic::server::testing::closed_port;
using mosaic::server::testing::gemini_double_process;
using mosaic::server::testing::loopback_request;
using std::chrono::milliseconds;
using clock_type = std::chrono::steady_clock;

constexpr char api_key[] = "test-key-8f1b2c";

gemini_provider_options options_for(const std::string& base_url) {
  gemini_provider_options options;
  options.base_url = base_url;
  options.api_key = api_key;
  options.retries.initial_delay = milliseconds{10};
  options.retries.max_delay = milliseconds{100};
  options.http.connect_timeout = milliseconds{5'000};
  options.http.read_timeout = milliseconds{20'000};
  options.http.call_timeout = milliseconds{30'000};
  return options;
}

std::unique_ptr<gemini_provider> make_provider(const gemini_provider_options& options) {
  auto provider = gemini_provider::create(options);
  REQUIRE(provider.ok());
  return std::move(*provider);
}

embedding_input text_input(const std::string& text) {
  embedding_input input;
  input.parts.push_back({text, "", ""});
  return input;
}

embedding_batch text_batch(const std::vector<std::string>& texts, std::size_t dimensions,
                           embedding_task task = embedding_task::retrieval_query) {
  embedding_batch batch;
  for (const auto& text : texts) batch.inputs.push_back(text_input(text));
  batch.dimensions = dimensions;
  batch.task = task;
  return batch;
}

double dot(const std::vector<float>& left, const std::vector<float>& right) {
  double sum = 0.0;
  for (std::size_t index = 0; index < left.size(); ++index) sum += static_cast<double>(left[index]) * static_cast<double>(right[index]);
  return sum;
}

double norm(const std::vector<float>& values) { return std::sqrt(dot(values, values)); }

nlohmann::json double_stats(const gemini_double_process& process) {
  return nlohmann::json::parse(loopback_request(process.port(), "GET", "/_double/stats"));
}

}  // namespace

TEST_CASE("provider: 250 inputs go in 3 calls, answers in order, unit length at the asked size", "[provider]") {
  gemini_double_process process({"--api-key", api_key});
  auto provider = make_provider(options_for(process.base_url()));
  std::vector<std::string> texts;
  for (int index = 0; index < 250; ++index) texts.push_back("passage number " + std::to_string(index));

  auto answer = embed_and_wait(*provider, text_batch(texts, 256));
  REQUIRE(answer.ok());
  REQUIRE(answer->size() == 250);
  for (const auto& vector : *answer) {
    REQUIRE(vector.size() == 256);
    CHECK(norm(vector) == Approx(1.0).margin(1e-5));
  }
  const auto stats = double_stats(process);
  CHECK(stats["batch_calls"] == 3);
  CHECK(stats["embedded_inputs"] == 250);
  // The three calls run concurrently, so the double may log them in any order.
  auto sizes = stats["last_batch_sizes"].get<std::vector<int>>();
  std::sort(sizes.begin(), sizes.end());
  CHECK(sizes == std::vector<int>{50, 100, 100});
  CHECK(provider->statistics().calls == 3);
  CHECK(provider->statistics().inputs == 250);

  // Each answer belongs to its own input: embedding a text alone gives the same vector.
  for (const int index : {0, 7, 99, 100, 200, 249}) {
    auto alone = embed_and_wait(*provider, text_batch({texts[static_cast<std::size_t>(index)]}, 256));
    REQUIRE(alone.ok());
    INFO(index);
    CHECK(dot(alone->front(), (*answer)[static_cast<std::size_t>(index)]) == Approx(1.0).margin(1e-5));
  }
  // Different texts got different vectors (the check above cannot pass by everything being equal).
  CHECK(dot((*answer)[0], (*answer)[1]) < 0.99);

  // Below Gemini's smallest size the provider asks for 128 and truncates: the same Matryoshka prefix.
  auto small = embed_and_wait(*provider, text_batch({texts[5]}, 64));
  REQUIRE(small.ok());
  REQUIRE(small->front().size() == 64);
  CHECK(norm(small->front()) == Approx(1.0).margin(1e-5));
  std::vector<float> prefix((*answer)[5].begin(), (*answer)[5].begin() + 64);
  CHECK(dot(prefix, small->front()) / norm(prefix) == Approx(1.0).margin(1e-5));

  auto full = embed_and_wait(*provider, text_batch({texts[5]}, 0));
  REQUIRE(full.ok());
  CHECK(full->front().size() == 3072);
}

TEST_CASE("provider: inputs that pass 20 MB together go in several calls, each within the cap, answers in order", "[provider][budget]") {
  gemini_double_process process({"--api-key", api_key});
  // Each call carries up to 16 MB, which the sanitizer build (client and double at -O0) is slow to
  // write and parse: the whole test took 25 s of CPU and 41 s on a loaded 2-core machine. A call cut at
  // the usual 20/30 s limits is tried again, and the test counted the extra calls (6 instead of 3 under
  // heavy load): its subject is the split, so the calls may take as long as they need; ctest's limit
  // still bounds a hang.
  auto options = options_for(process.base_url());
  options.http.read_timeout = milliseconds{600'000};
  options.http.call_timeout = milliseconds{600'000};
  auto provider = make_provider(options);
  // Five videos of 6 MB are 8 MB each once base64-encoded: two fit a 20 MiB call, three do not.
  embedding_batch videos;
  videos.dimensions = 256;
  videos.task = embedding_task::retrieval_document;
  for (char fill = 'a'; fill < 'f'; ++fill) {
    embedding_input input;
    input.parts.push_back({"", "video/mp4", std::string(6'000'000, fill)});
    videos.inputs.push_back(std::move(input));
  }
  const embedding_batch copy = videos;
  auto answer = embed_and_wait(*provider, std::move(videos));
  REQUIRE(answer.ok());
  REQUIRE(answer->size() == 5);
  const auto stats = double_stats(process);
  CHECK(stats["rejected_calls"] == 0);
  CHECK(stats["batch_calls"] == 3);
  CHECK(stats["largest_body_bytes"].get<std::size_t>() <= 20u * 1024 * 1024);
  auto sizes = stats["last_batch_sizes"].get<std::vector<int>>();
  std::sort(sizes.begin(), sizes.end());
  CHECK(sizes == std::vector<int>{1, 2, 2});
  // Each answer is its own input's: embedded alone, an input gives the same vector.
  for (const std::size_t index : {0u, 2u, 4u}) {
    embedding_batch alone;
    alone.dimensions = 256;
    alone.task = embedding_task::retrieval_document;
    alone.inputs.push_back(copy.inputs[index]);
    auto single = embed_and_wait(*provider, std::move(alone));
    REQUIRE(single.ok());
    INFO(index);
    CHECK(dot(single->front(), (*answer)[index]) == Approx(1.0).margin(1e-5));
  }
  CHECK(dot((*answer)[0], (*answer)[1]) < 0.99);
}

TEST_CASE("provider: gemini-embedding-2 puts the task in the text, other models send taskType", "[provider]") {
  gemini_double_process process({"--api-key", api_key});
  auto provider = make_provider(options_for(process.base_url()));
  auto query = embed_and_wait(*provider, text_batch({"hello"}, 128, embedding_task::retrieval_query));
  auto spelled_out = embed_and_wait(
      *provider, text_batch({"task: search result | query: hello"}, 128, embedding_task::unspecified));
  auto document = embed_and_wait(*provider, text_batch({"hello"}, 128, embedding_task::retrieval_document));
  auto document_spelled = embed_and_wait(*provider, text_batch({"title: none | text: hello"}, 128, embedding_task::unspecified));
  REQUIRE(query.ok());
  REQUIRE(spelled_out.ok());
  REQUIRE(document.ok());
  REQUIRE(document_spelled.ok());
  CHECK(dot(query->front(), spelled_out->front()) == Approx(1.0).margin(1e-5));
  CHECK(dot(document->front(), document_spelled->front()) == Approx(1.0).margin(1e-5));
  CHECK(dot(query->front(), document->front()) < 0.99);

  auto options = options_for(process.base_url());
  options.model = "gemini-embedding-001";
  auto older = make_provider(options);
  auto older_query = embed_and_wait(*older, text_batch({"hello"}, 128, embedding_task::retrieval_query));
  auto older_plain = embed_and_wait(*older, text_batch({"hello"}, 128, embedding_task::unspecified));
  REQUIRE(older_query.ok());
  REQUIRE(older_plain.ok());
  CHECK(dot(older_query->front(), older_plain->front()) == Approx(1.0).margin(1e-5));

  // Custom prefixes replace the defaults.
  auto custom_options = options_for(process.base_url());
  custom_options.task_prefixes = {{embedding_task::retrieval_query, "Q: "}};
  auto custom = make_provider(custom_options);
  auto custom_query = embed_and_wait(*custom, text_batch({"hello"}, 128, embedding_task::retrieval_query));
  auto custom_spelled = embed_and_wait(*custom, text_batch({"Q: hello"}, 128, embedding_task::unspecified));
  REQUIRE(custom_query.ok());
  REQUIRE(custom_spelled.ok());
  CHECK(dot(custom_query->front(), custom_spelled->front()) == Approx(1.0).margin(1e-5));
}

TEST_CASE("provider: a wrong API key is upstream_rejected with Google's message and without the key", "[provider]") {
  gemini_double_process process({"--api-key", api_key});
  auto options = options_for(process.base_url());
  options.api_key = "wrong-key-3c9d7e";
  auto provider = make_provider(options);
  auto answer = embed_and_wait(*provider, text_batch({"hello"}, 128));
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.failure().code == error_code::upstream_rejected);
  CHECK(answer.failure().message.find("Gemini refused the request (HTTP 400 INVALID_ARGUMENT): API key not valid") !=
        std::string::npos);
  CHECK(answer.failure().message.find("wrong-key-3c9d7e") == std::string::npos);
  CHECK(provider->statistics().calls == 1);  // refusals are not retried
  CHECK(provider->statistics().failures == 1);
}

TEST_CASE("provider: 429 with Retry-After is retried after the wait and succeeds", "[provider]") {
  gemini_double_process process({"--api-key", api_key, "--fail-429-every", "2", "--retry-after", "1"});
  auto provider = make_provider(options_for(process.base_url()));
  std::vector<std::string> texts;
  for (int index = 0; index < 150; ++index) texts.push_back("text " + std::to_string(index));
  const auto started = clock_type::now();
  auto answer = embed_and_wait(*provider, text_batch(texts, 128));  // two calls: one of them is the 2nd
  const auto elapsed = clock_type::now() - started;
  REQUIRE(answer.ok());
  CHECK(answer->size() == 150);
  CHECK(provider->statistics().retries >= 1);
  CHECK(elapsed >= milliseconds{1'000});
  CHECK(double_stats(process)["injected_faults"].get<int>() >= 1);
}

TEST_CASE("provider: 500 on every call exhausts the retries: upstream_unavailable with a hint", "[provider]") {
  gemini_double_process process({"--api-key", api_key, "--fail-500-every", "1"});
  auto options = options_for(process.base_url());
  options.retries.max_attempts = 3;
  options.retries.initial_delay = milliseconds{10};
  auto provider = make_provider(options);
  const auto started = clock_type::now();
  auto answer = embed_and_wait(*provider, text_batch({"hello"}, 128));
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.failure().code == error_code::upstream_unavailable);
  CHECK(answer.failure().retry_after_seconds >= 1);
  CHECK(answer.failure().message.find("after 3 attempts") != std::string::npos);
  CHECK(answer.failure().message.find("HTTP 500 INTERNAL") != std::string::npos);
  CHECK(clock_type::now() - started < std::chrono::seconds{10});
  CHECK(provider->statistics().calls == 3);
  CHECK(provider->statistics().retries == 2);
  CHECK(double_stats(process)["calls"] == 3);
}

TEST_CASE("provider: dropped connections are recovered from", "[provider]") {
  gemini_double_process process({"--api-key", api_key, "--drop-every", "2"});
  auto provider = make_provider(options_for(process.base_url()));
  for (int round = 0; round < 6; ++round) {
    auto answer = embed_and_wait(*provider, text_batch({"round " + std::to_string(round)}, 128));
    INFO(round);
    REQUIRE(answer.ok());
  }
  CHECK(double_stats(process)["injected_faults"].get<int>() >= 3);
}

TEST_CASE("provider: a call slower than call_timeout fails quickly as upstream_unavailable", "[provider]") {
  gemini_double_process process({"--api-key", api_key, "--latency-ms", "3000"});
  auto options = options_for(process.base_url());
  options.http.call_timeout = milliseconds{500};
  options.retries.max_attempts = 1;
  auto provider = make_provider(options);
  const auto started = clock_type::now();
  auto answer = embed_and_wait(*provider, text_batch({"slow"}, 128));
  const auto elapsed = clock_type::now() - started;
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.failure().code == error_code::upstream_unavailable);
  CHECK(answer.failure().message.find("did not finish within 500 ms") != std::string::npos);
  CHECK(answer.failure().retry_after_seconds >= 1);
  CHECK(elapsed >= milliseconds{500});
  CHECK(elapsed < milliseconds{2'500});  // the double would have answered at 3 s
}

TEST_CASE("provider: destroying the provider answers what is in flight", "[provider]") {
  gemini_double_process process({"--api-key", api_key, "--latency-ms", "3000"});
  auto provider = make_provider(options_for(process.base_url()));
  std::promise<mosaic::result<embedding_vectors>> heard;
  provider->embed(text_batch({"pending"}, 128), [&heard](mosaic::result<embedding_vectors> outcome) {
    heard.set_value(std::move(outcome));
  });
  auto future = heard.get_future();
  // Waiting for the call to be on the wire is not needed: queued or in flight, it must be answered.
  provider.reset();
  REQUIRE(future.wait_for(std::chrono::seconds(2)) == std::future_status::ready);
  auto outcome = future.get();
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.failure().code == error_code::upstream_unavailable);
}

TEST_CASE("provider: a refused connection is upstream_unavailable", "[provider]") {
  auto options = options_for("http://127.0.0.1:" + std::to_string(closed_port()) + "/v1beta");
  options.retries.max_attempts = 2;
  auto provider = make_provider(options);
  auto answer = embed_and_wait(*provider, text_batch({"hello"}, 128));
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.failure().code == error_code::upstream_unavailable);
  CHECK(answer.failure().message.find("could not connect to 127.0.0.1:") != std::string::npos);
  CHECK(answer.failure().retry_after_seconds >= 1);
  CHECK(provider->statistics().calls == 2);
}

// What no provider can embed (no parts, empty text, a type Gemini refuses, empty data, too many
// images) is refused once, by prepare_input, before a provider is asked: those cases are in
// test_input_preparation.cpp. The provider refuses what is its own: a size beyond its model's, and
// an input over one call's byte budget.
TEST_CASE("provider: inputs it cannot embed are refused before any call", "[provider]") {
  auto provider = make_provider(options_for("http://127.0.0.1:" + std::to_string(closed_port()) + "/v1beta"));
  const auto refused = [&](embedding_batch batch, error_code code, std::string_view says) {
    auto answer = embed_and_wait(*provider, std::move(batch));
    REQUIRE_FALSE(answer.ok());
    CHECK(answer.failure().code == code);
    INFO(answer.failure().message);
    CHECK(answer.failure().message.find(says) != std::string::npos);
  };
  refused(text_batch({"fine"}, 3073), error_code::invalid_argument, "dimensions must be from 1 to 3072");

  // 17,000,000 bytes are 16.2 MiB, and 22,666,668 once base64-encoded: over the 20 MiB a request holds.
  embedding_batch too_large = text_batch({"video", "fine"}, 128);
  too_large.inputs[1].parts.push_back({"", "video/mp4", std::string(17'000'000, 'v')});
  refused(too_large, error_code::media_too_large,
          "inputs[1]: 16.2 MB of media is 21.7 MB once base64-encoded; one Gemini request holds at most 20 MB");

  CHECK(provider->statistics().calls == 0);
  CHECK(provider->accepts_mime_type(""));
  for (const char* accepted : {"image/png", "image/jpeg", "image/jpg", "audio/wav", "audio/x-wav", "audio/mpeg",
                               "audio/mp3", "video/mp4", "video/quicktime", "application/pdf"}) {
    CHECK(provider->accepts_mime_type(accepted));
  }
  CHECK_FALSE(provider->accepts_mime_type("image/webp"));
  CHECK_FALSE(provider->accepts_mime_type("text/plain"));

  auto empty = embed_and_wait(*provider, embedding_batch{});
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("provider: configuration errors come from create()", "[provider]") {
  auto options = options_for("http://127.0.0.1:1/v1beta");
  options.base_url = "ftp://example.com";
  CHECK_FALSE(gemini_provider::create(options).ok());
  options = options_for("http://127.0.0.1:1/v1beta");
  options.api_key.clear();
  CHECK_FALSE(gemini_provider::create(options).ok());
  options.api_key = "key\r\nX-Injected: yes";
  auto injected = gemini_provider::create(options);
  REQUIRE_FALSE(injected.ok());
  CHECK(injected.failure().message.find("X-Injected") == std::string::npos);
  options = options_for("http://127.0.0.1:1/v1beta");
  options.model = "../models/x";
  CHECK_FALSE(gemini_provider::create(options).ok());
  options = options_for("http://127.0.0.1:1/v1beta");
  auto fine = gemini_provider::create(options);
  REQUIRE(fine.ok());
  CHECK((*fine)->model_id() == "gemini-embedding-2");
  CHECK((*fine)->dimensions() == 3072);
}
