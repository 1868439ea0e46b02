// Gemini's wire format both ways. Request bodies are hostile (the /v1beta pass-through reads what
// any client sends), answers are untrusted (the provider reads what the network returns): every
// class of bad field gets its own error, naming the field.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "embed/gemini_protocol.hpp"

namespace {

using mosaic::error_code;
using nlohmann::json;
using namespace mosaic::server;

constexpr std::string_view model = "gemini-embedding-2";

std::string error_of(const json& body) {
  auto parsed = parse_gemini_embed_request(body, model);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.failure().code == error_code::invalid_argument);
  return parsed.failure().message;
}

json text_request(std::string text) { return {{"content", {{"parts", {{{"text", std::move(text)}}}}}}}; }

std::string vector_json(std::size_t dimensions, double value = 0.5) {
  std::string values;
  for (std::size_t index = 0; index < dimensions; ++index) values += (index ? "," : "") + std::to_string(value);
  return "{\"values\":[" + values + "]}";
}

}  // namespace

TEST_CASE("protocol: a camelCase request is read whole", "[protocol]") {
  const json body = {{"model", "models/gemini-embedding-2"},
                     {"content", {{"role", "user"},
                                  {"parts", {{{"text", "a red bicycle"}},
                                             {{"inlineData", {{"mimeType", "Image/PNG; x=y"}, {"data", "iVBORw0KGgo="}}}}}}}},
                     {"taskType", "RETRIEVAL_DOCUMENT"},
                     {"title", "Bikes"},
                     {"outputDimensionality", 768}};
  auto parsed = parse_gemini_embed_request(body, model);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->input.parts.size() == 2);
  CHECK(parsed->input.parts[0].is_text());
  CHECK(parsed->input.parts[0].text == "a red bicycle");
  CHECK(parsed->input.parts[1].mime_type == "image/png");
  CHECK(parsed->input.parts[1].bytes == std::string("\x89PNG\r\n\x1a\n", 8));
  CHECK(parsed->input.title == "Bikes");
  CHECK(parsed->task == embedding_task::retrieval_document);
  CHECK(parsed->dimensions == 768);
}

TEST_CASE("protocol: snake_case reads the same, a bare model name too, dimensions may be a string", "[protocol]") {
  const json body = {{"model", "gemini-embedding-2"},
                     {"content", {{"parts", {{{"inline_data", {{"mime_type", "audio/wav"}, {"data", "UklGRg"}}}}}}}},
                     {"task_type", "CODE_RETRIEVAL_QUERY"},
                     {"output_dimensionality", "256"}};
  auto parsed = parse_gemini_embed_request(body, model);
  REQUIRE(parsed.ok());
  CHECK(parsed->input.parts[0].mime_type == "audio/wav");
  CHECK(parsed->input.parts[0].bytes == "RIFF");
  CHECK(parsed->task == embedding_task::code_retrieval_query);
  CHECK(parsed->dimensions == 256);

  auto defaults = parse_gemini_embed_request(text_request("hi"), model);
  REQUIRE(defaults.ok());
  CHECK(defaults->task == embedding_task::unspecified);
  CHECK(defaults->dimensions == 0);
}

TEST_CASE("protocol: every class of bad request field is refused and named", "[protocol]") {
  CHECK(error_of(json::array()).find("object") != std::string::npos);
  CHECK(error_of({{"contents", json::object()}}).find("unknown field \"contents\"") != std::string::npos);
  CHECK(error_of(json::object()).find("content is missing") != std::string::npos);
  CHECK(error_of({{"content", "text"}}).find("content must be an object") != std::string::npos);
  CHECK(error_of({{"content", {{"parts", "x"}}}}).find("content.parts must be an array") != std::string::npos);
  CHECK(error_of({{"content", {{"parts", json::array()}}}}).find("content.parts is empty") != std::string::npos);
  CHECK(error_of({{"content", json::object()}}).find("content.parts is missing") != std::string::npos);
  CHECK(error_of({{"content", {{"parts", {json::object()}}}}}).find("content.parts[0] must hold") != std::string::npos);
  CHECK(error_of({{"content", {{"parts", {{{"text", "a"}, {"inlineData", {{"mimeType", "image/png"}, {"data", "AA=="}}}}}}}}})
            .find("more than one") != std::string::npos);
  CHECK(error_of({{"content", {{"parts", {{{"text", 5}}}}}}}).find("content.parts[0].text must be a string") != std::string::npos);
  CHECK(error_of(text_request("")).find("content.parts[0].text is empty") != std::string::npos);
  CHECK(error_of({{"content", {{"parts", {{{"inlineData", {{"data", "AA=="}}}}}}}}}).find("inline_data.mime_type is required") !=
        std::string::npos);
  CHECK(error_of({{"content", {{"parts", {{{"inlineData", {{"mimeType", "image/png"}, {"data", "A"}}}}}}}}})
            .find("inline_data.data: invalid base64") != std::string::npos);
  CHECK(error_of({{"content", {{"parts", {{{"inlineData", {{"mimeType", "image/png"}, {"data", ""}}}}}}}}})
            .find("inline_data.data is empty") != std::string::npos);
  CHECK(error_of({{"content", {{"parts", {{{"inlineData", {{"mimeType", "image/png"}, {"data", "AA=="}, {"size", 1}}}}}}}}})
            .find("unknown field \"size\"") != std::string::npos);
  CHECK(error_of({{"content", {{"parts", {{{"fileData", {{"fileUri", "https://x/files/1"}}}}}}}}})
            .find("file_data is not supported") != std::string::npos);
  CHECK(error_of({{"content", {{"parts", {{{"text", "a"}}}}}}, {"text", "b"}}).find("unknown field") != std::string::npos);

  json both = text_request("a");
  both["taskType"] = "RETRIEVAL_QUERY";
  both["task_type"] = "RETRIEVAL_QUERY";
  CHECK(error_of(both).find("task_type is set twice") != std::string::npos);

  json task = text_request("a");
  task["taskType"] = "RETRIEVAL_EVERYTHING";
  CHECK(error_of(task).find("task_type") != std::string::npos);
  task["taskType"] = "query";  // Mosaic's short name is not Gemini's wire spelling
  CHECK(error_of(task).find("not one of Gemini's task types") != std::string::npos);
  task["taskType"] = 3;
  CHECK(error_of(task).find("task_type must be a string") != std::string::npos);

  for (const json& dimensions : {json(0), json(-1), json(1.5), json("abc"), json("12a"), json(100000), json(true),
                                 json::array(), json(1e300)}) {
    json request = text_request("a");
    request["outputDimensionality"] = dimensions;
    INFO(dimensions.dump());
    CHECK(error_of(request).find("output_dimensionality must be a whole number") != std::string::npos);
  }

  json other_model = text_request("a");
  other_model["model"] = "models/gemini-embedding-001";
  CHECK(error_of(other_model).find("does not match the model in the URL") != std::string::npos);

  json long_value = text_request("a");
  long_value["title"] = json::array();
  CHECK(error_of(long_value).find("title must be a string, got an array") != std::string::npos);
}

TEST_CASE("protocol: a rejected value is quoted short, never whole", "[protocol]") {
  json request = text_request("a");
  request["taskType"] = std::string(10'000, 'X');
  const std::string message = error_of(request);
  CHECK(message.size() < 300);
  CHECK(message.find("...") != std::string::npos);
}

TEST_CASE("protocol: batch requests: count limits with Google's message, paths name the request", "[protocol]") {
  json requests = json::array();
  for (int index = 0; index < 101; ++index) requests.push_back(text_request("t" + std::to_string(index)));
  auto too_many = parse_gemini_batch_request({{"requests", requests}}, model);
  REQUIRE_FALSE(too_many.ok());
  CHECK(too_many.failure().message == "BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch");

  requests.erase(requests.begin());
  auto hundred = parse_gemini_batch_request({{"requests", requests}}, model);
  REQUIRE(hundred.ok());
  CHECK(hundred->size() == 100);
  CHECK(hundred->at(99).input.parts[0].text == "t100");

  CHECK_FALSE(parse_gemini_batch_request({{"requests", json::array()}}, model).ok());
  CHECK_FALSE(parse_gemini_batch_request(json::object(), model).ok());
  CHECK_FALSE(parse_gemini_batch_request({{"requests", json::object()}}, model).ok());
  CHECK_FALSE(parse_gemini_batch_request({{"model", "models/other"}, {"requests", {text_request("a")}}}, model).ok());

  auto bad_second = parse_gemini_batch_request({{"requests", {text_request("a"), text_request("")}}}, model);
  REQUIRE_FALSE(bad_second.ok());
  CHECK(bad_second.failure().message.find("requests[1].content.parts[0].text") != std::string::npos);
}

TEST_CASE("protocol: the provider's batch body reads back as the same inputs, with the prefix", "[protocol]") {
  embedding_input text_and_image;
  text_and_image.parts.push_back({"a red bicycle", "", ""});
  text_and_image.parts.push_back({"", "image/png", std::string("\x89PNG\r\n\x1a\n\0\xff", 10)});
  text_and_image.title = "Bikes";
  embedding_input image_only;
  image_only.parts.push_back({"", "image/jpeg", "\xff\xd8\xff"});
  const std::vector<const embedding_input*> inputs = {&text_and_image, &image_only};

  const std::string body = build_gemini_batch_body(model, inputs, embedding_task::retrieval_document, 768,
                                                   "title: none | text: ", false);
  const json document = json::parse(body);
  CHECK(document["requests"][0]["model"] == "models/gemini-embedding-2");
  CHECK_FALSE(document["requests"][0].contains("taskType"));
  CHECK(document["requests"][0]["title"] == "Bikes");
  CHECK(document["requests"][0]["outputDimensionality"] == 768);
  CHECK(document["requests"][0]["content"]["parts"][1]["inlineData"]["mimeType"] == "image/png");

  auto parsed = parse_gemini_batch_request(document, model);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->size() == 2);
  CHECK(parsed->at(0).input.parts[0].text == "title: none | text: a red bicycle");
  CHECK(parsed->at(0).input.parts[1].bytes == text_and_image.parts[1].bytes);
  CHECK(parsed->at(0).dimensions == 768);
  // With no text part, the instruction becomes a text part of its own, first.
  REQUIRE(parsed->at(1).input.parts.size() == 2);
  CHECK(parsed->at(1).input.parts[0].text == "title: none | text: ");
  CHECK(parsed->at(1).input.parts[1].bytes == "\xff\xd8\xff");

  const std::string with_task = build_gemini_batch_body("gemini-embedding-001", {&text_and_image},
                                                        embedding_task::retrieval_query, 0, "", true);
  const json task_document = json::parse(with_task);
  CHECK(task_document["requests"][0]["taskType"] == "RETRIEVAL_QUERY");
  CHECK(task_document["requests"][0]["content"]["parts"][0]["text"] == "a red bicycle");
  CHECK_FALSE(task_document["requests"][0].contains("title"));  // titles are for documents only
  CHECK_FALSE(task_document["requests"][0].contains("outputDimensionality"));
}

TEST_CASE("protocol: invalid UTF-8 in a text does not throw while building the body", "[protocol]") {
  embedding_input broken;
  broken.parts.push_back({std::string("caf\xe9", 4), "", ""});
  const std::string body = build_gemini_batch_body(model, {&broken}, embedding_task::retrieval_query, 0, "", false);
  CHECK(json::parse(body)["requests"][0]["content"]["parts"][0]["text"] == "caf\xef\xbf\xbd");
}

TEST_CASE("protocol: batch answers are checked for count, size and finite values", "[protocol]") {
  const std::string two = "{\"embeddings\":[" + vector_json(4) + "," + vector_json(4, -0.25) + "]}";
  auto parsed = parse_gemini_batch_response(two, 2, 4);
  REQUIRE(parsed.ok());
  CHECK(parsed->at(1) == std::vector<float>{-0.25f, -0.25f, -0.25f, -0.25f});

  const auto refused = [](std::string_view body, std::size_t expected, std::size_t dimensions, std::string_view says) {
    auto answer = parse_gemini_batch_response(body, expected, dimensions);
    INFO(body);
    REQUIRE_FALSE(answer.ok());
    CHECK(answer.failure().code == error_code::invalid_json);
    CHECK(answer.failure().message.find(says) != std::string::npos);
  };
  refused(two, 3, 4, "holds 2 embeddings for 3 requests");
  refused(two, 2, 5, "has 4 values in embeddings[0], expected 5");
  refused("<html>502 Bad Gateway</html>", 1, 4, "is not JSON");
  refused("", 1, 4, "is not JSON");
  refused("[1,2]", 1, 4, "is not a JSON object");
  refused("{\"embedding\":{\"values\":[1]}}", 1, 1, "no \"embeddings\" array");
  refused("{\"embeddings\":[5]}", 1, 1, "non-object embeddings[0]");
  refused("{\"embeddings\":[{\"value\":[1]}]}", 1, 1, "no values array in embeddings[0]");
  refused("{\"embeddings\":[{\"values\":[1,\"2\"]}]}", 1, 2, "embeddings[0].values[1]");
  refused("{\"embeddings\":[{\"values\":[1,null]}]}", 1, 2, "not a finite float");
  refused("{\"embeddings\":[{\"values\":[1e999,1]}]}", 1, 2, "is not JSON");  // nlohmann refuses overflow
  refused("{\"embeddings\":[{\"values\":[1,-1e39]}]}", 1, 2, "embeddings[0].values[1]");  // beyond float
  refused("{\"embeddings\":[{\"values\":[NaN,1]}]}", 1, 2, "is not JSON");
}

TEST_CASE("protocol: Google's error bodies are read for message and status, nothing else", "[protocol]") {
  const std::string google = R"({"error":{"code":400,"message":"API key not valid. Please pass a valid API key.",)"
                             R"("status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}})";
  CHECK(gemini_error_message(400, google) == "API key not valid. Please pass a valid API key.");
  CHECK(gemini_error_status(400, google) == "INVALID_ARGUMENT");
  CHECK(gemini_error_message(503, "<html>oops</html>") == "HTTP 503 UNAVAILABLE with no error message");
  CHECK(gemini_error_status(503, "<html>oops</html>") == "UNAVAILABLE");
  CHECK(gemini_error_status(404, R"({"error":{"status":"not a status; rm -rf"}})") == "NOT_FOUND");
  CHECK(gemini_error_message(500, R"({"error":{"message":"line\nbreak"}})") == "line break");
  const std::string huge = R"({"error":{"message":")" + std::string(100'000, 'm') + R"("}})";
  CHECK(gemini_error_message(500, huge).size() < 1'100);
}

TEST_CASE("protocol: answers in Google's shapes for the pass-through", "[protocol]") {
  const json single = json::parse(gemini_embed_response({0.1f, -2.0f}));
  CHECK(single["embedding"]["values"][0].get<double>() == Approx(0.1));
  CHECK(gemini_embed_response({0.1f}) == "{\"embedding\":{\"values\":[0.1]}}");  // shortest float text

  const std::string batch = gemini_batch_response({{1.0f, 0.0f}, {0.0f, 1.0f}});
  auto reparsed = parse_gemini_batch_response(batch, 2, 2);
  REQUIRE(reparsed.ok());
  CHECK(reparsed->at(1) == std::vector<float>{0.0f, 1.0f});

  const json error_body = json::parse(gemini_error_body(429, "slow down \"now\""));
  CHECK(error_body["error"]["code"] == 429);
  CHECK(error_body["error"]["status"] == "RESOURCE_EXHAUSTED");
  CHECK(error_body["error"]["message"] == "slow down \"now\"");
  CHECK(json::parse(gemini_error_body(404, "x"))["error"]["status"] == "NOT_FOUND");
}

TEST_CASE("protocol: task names both ways", "[protocol]") {
  CHECK(embedding_task_api_name(embedding_task::fact_verification) == "FACT_VERIFICATION");
  CHECK(parse_embedding_task("query").value() == embedding_task::retrieval_query);
  CHECK(parse_embedding_task("document").value() == embedding_task::retrieval_document);
  CHECK(parse_embedding_task("TASK_TYPE_UNSPECIFIED").value() == embedding_task::unspecified);
  CHECK(parse_embedding_task("clustering").value() == embedding_task::clustering);
  auto unknown = parse_embedding_task("Query");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.failure().code == error_code::invalid_argument);
}
