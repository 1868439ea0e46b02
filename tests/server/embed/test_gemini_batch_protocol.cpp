// Gemini's batch-job wire format: the create body is the per-call requests wrapped as @google/genai
// wraps them, and the operation reader takes both nestings of the results (the doc's `response.output`
// and the SDK's `metadata.output.inlinedResponses.inlinedResponses`), matches results by key, and
// refuses, naming the job, any answer whose results do not match the requests.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "embed/gemini_batch_protocol.hpp"
#include "embed/gemini_protocol.hpp"

namespace {

using mosaic::error_code;
using nlohmann::json;
using namespace mosaic::server;

embedding_input text_input(std::string text) {
  embedding_input input;
  input.parts.push_back({std::move(text), "", ""});
  return input;
}

json result_item(std::vector<float> values, const std::string& key, json token_count = "7") {
  json item = {{"response", {{"embedding", {{"values", values}}}, {"tokenCount", token_count}}}};
  if (!key.empty()) item["metadata"] = {{"key", key}};
  return item;
}

}  // namespace

TEST_CASE("a batch job body wraps the per-call requests with their keys", "[gemini_batch]") {
  const embedding_input first = text_input("a red bicycle");
  const embedding_input second = text_input("a blue boat");
  gemini_request_settings settings;
  settings.model = "gemini-embedding-2";
  settings.task = embedding_task::retrieval_document;
  settings.dimensions = 256;
  settings.text_prefix = "title: none | text: ";
  const std::string body = build_gemini_batch_job_body("run 1", settings, {&first, &second}, {"k1", "k2"});
  const json parsed = json::parse(body);
  const json per_call = json::parse(build_gemini_batch_body("gemini-embedding-2", {&first, &second},
                                                            embedding_task::retrieval_document, 256,
                                                            "title: none | text: ", false));
  const json& items = parsed["batch"]["inputConfig"]["requests"]["requests"];
  CHECK(parsed["batch"]["displayName"] == "run 1");
  REQUIRE(items.size() == 2);
  CHECK(items[0]["request"] == per_call["requests"][0]);
  CHECK(items[1]["request"] == per_call["requests"][1]);
  CHECK(items[1]["metadata"]["key"] == "k2");
}

TEST_CASE("the operation reader takes the SDK's and the doc's nestings", "[gemini_batch]") {
  const json output = {{"inlinedResponses", {{"inlinedResponses", {result_item({1, 0}, "b"), result_item({0, 1}, "a", 5)}}}}};
  SECTION("under metadata, wrapped, matched by key") {
    const json operation = {{"name", "batches/x"}, {"metadata", {{"state", "BATCH_STATE_SUCCEEDED"}, {"output", output}}}, {"done", true}};
    auto read = parse_gemini_batch_operation(operation.dump(), {"a", "b"}, 2);
    REQUIRE(read.ok());
    CHECK(read->state == gemini_batch_state::succeeded);
    REQUIRE(read->results.size() == 2);
    CHECK(*read->results[0].values == std::vector<float>{0, 1});
    CHECK(read->results[0].token_count == 5u);
    CHECK(*read->results[1].values == std::vector<float>{1, 0});
    CHECK(read->results[1].token_count == 7u);
  }
  SECTION("under response, a plain list, in request order without keys") {
    const json operation = {{"name", "batches/x"},
                            {"metadata", {{"state", "BATCH_STATE_SUCCEEDED"}}},
                            {"response", {{"output", {{"inlinedResponses", {result_item({1, 0}, ""), result_item({0, 1}, "")}}}}}}};
    auto read = parse_gemini_batch_operation(operation.dump(), {"a", "b"}, 2);
    REQUIRE(read.ok());
    CHECK(*read->results[0].values == std::vector<float>{1, 0});
  }
  SECTION("a per-request error is a result without a vector") {
    const json operation = {{"name", "batches/x"},
                            {"metadata", {{"state", "JOB_STATE_SUCCEEDED"},
                                          {"output", {{"inlinedResponses", {{{"error", {{"code", 3}, {"message", "too long"}}}}}}}}}}};
    auto read = parse_gemini_batch_operation(operation.dump(), {"a"}, 2);
    REQUIRE(read.ok());
    CHECK_FALSE(read->results[0].values.has_value());
    CHECK(read->results[0].error == "too long");
  }
}

TEST_CASE("the operation reader refuses answers that do not match the job", "[gemini_batch]") {
  auto refusal = [](const json& operation, std::vector<std::string> keys) {
    auto read = parse_gemini_batch_operation(operation.dump(), keys, 2);
    REQUIRE_FALSE(read.ok());
    CHECK(read.failure().code == error_code::invalid_json);
    return read.failure().message;
  };
  const auto succeeded = [](json output) {
    return json{{"name", "batches/x"}, {"metadata", {{"state", "BATCH_STATE_SUCCEEDED"}, {"output", std::move(output)}}}};
  };
  CHECK_THAT(refusal(succeeded({{"inlinedResponses", {result_item({1, 0}, "a")}}}), {"a", "b"}),
             Catch::Contains("holds 1 results for 2 requests"));
  CHECK_THAT(refusal(succeeded({{"inlinedResponses", {result_item({1, 0}, "a"), result_item({0, 1}, "a")}}}), {"a", "b"}),
             Catch::Contains("a key it was not asked for, or one twice"));
  CHECK_THAT(refusal(succeeded({{"inlinedResponses", {result_item({1, 0, 0}, "a")}}}), {"a"}),
             Catch::Contains("has 3 values in inlinedResponses[0], expected 2"));
  CHECK_THAT(refusal(succeeded({{"responsesFile", "files/out"}}), {"a"}), Catch::Contains("as a file (responsesFile)"));
  CHECK_THAT(refusal({{"name", "batches/x"}, {"metadata", {{"state", "BATCH_STATE_SUCCEEDED"}}}}, {"a"}),
             Catch::Contains("says succeeded but holds no output"));
  CHECK_THAT(refusal({{"name", "batches/x"}, {"metadata", {{"state", "SLEEPING"}}}}, {"a"}), Catch::Contains("unknown state"));
  CHECK_THAT(refusal({{"name", "operations/x"}, {"metadata", {{"state", "BATCH_STATE_PENDING"}}}}, {"a"}),
             Catch::Contains("batches/ID"));
  CHECK_THAT(refusal(json::array(), {"a"}), Catch::Contains("not a JSON object"));
}

TEST_CASE("unfinished and unsuccessful jobs read their state and error", "[gemini_batch]") {
  const json expired = {{"name", "batches/x"},
                        {"metadata", {{"state", "BATCH_STATE_EXPIRED"}}},
                        {"done", true},
                        {"error", {{"code", 4}, {"message", "did not finish within 48 hours"}}}};
  auto read = parse_gemini_batch_operation(expired.dump(), {"a"}, 2);
  REQUIRE(read.ok());
  CHECK(read->state == gemini_batch_state::expired);
  CHECK(is_finished(read->state));
  CHECK(read->error_message == "did not finish within 48 hours");
  auto running = parse_gemini_batch_operation(R"({"name":"batches/y","metadata":{"state":"BATCH_STATE_RUNNING"}})", {"a"}, 2);
  REQUIRE(running.ok());
  CHECK_FALSE(is_finished(running->state));
}
