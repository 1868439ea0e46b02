// The fast reader of Gemini's batch answer must give exactly what the general JSON parser gives on
// every body it accepts, and must hand everything else (other shapes, bad numbers, wrong counts) back
// to the general parser, which words the error.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "embed/embedding_values_scanner.hpp"
#include "embed/gemini_protocol.hpp"

namespace {

using namespace mosaic::server;

// What nlohmann (the general path) reads: each value as a double, narrowed to float.
std::vector<std::vector<float>> general_parse(const std::string& body) {
  const auto document = nlohmann::json::parse(body);
  std::vector<std::vector<float>> vectors;
  for (const auto& embedding : document["embeddings"]) {
    std::vector<float> vector;
    for (const auto& value : embedding["values"]) vector.push_back(static_cast<float>(value.get<double>()));
    vectors.push_back(std::move(vector));
  }
  return vectors;
}

bool same_bits(const std::vector<std::vector<float>>& left, const std::vector<std::vector<float>>& right) {
  if (left.size() != right.size()) return false;
  for (std::size_t index = 0; index < left.size(); ++index) {
    if (left[index].size() != right[index].size()) return false;
    if (std::memcmp(left[index].data(), right[index].data(), left[index].size() * sizeof(float)) != 0) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("values scanner: random answers read bit for bit like the general parser", "[protocol]") {
  std::mt19937_64 random(20261122);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  const char* const spaces[] = {"", " ", "\n  ", "\t", "\r\n"};
  for (int round = 0; round < 200; ++round) {
    const std::size_t count = 1 + random() % 5;
    const std::size_t dimensions = 1 + random() % 40;
    const auto space = [&] { return std::string(spaces[random() % 5]); };
    std::string body = space() + "{" + space() + "\"embeddings\"" + space() + ":" + space() + "[";
    for (std::size_t vector = 0; vector < count; ++vector) {
      if (vector > 0) body += space() + ",";
      body += space() + "{" + space() + "\"values\"" + space() + ":" + space() + "[";
      for (std::size_t component = 0; component < dimensions; ++component) {
        if (component > 0) body += space() + "," + space();
        // Many spellings of numbers: shortest floats, 17-digit doubles, exponents, integers, zeros.
        const double value = uniform(random);
        char text[64];
        switch (random() % 7) {
          case 0: std::snprintf(text, sizeof text, "%.9g", value); break;
          case 1: std::snprintf(text, sizeof text, "%.17g", value); break;
          case 2: std::snprintf(text, sizeof text, "%.6e", value * 1e-30); break;
          case 3: std::snprintf(text, sizeof text, "%lld", static_cast<long long>(value * 1e6)); break;
          case 4: std::snprintf(text, sizeof text, "%s", random() % 2 ? "-0" : "-0.0"); break;
          case 5: std::snprintf(text, sizeof text, "%.3E", value * 1e30); break;
          default: std::snprintf(text, sizeof text, "%.25f", value); break;
        }
        body += text;
      }
      body += space() + "]" + space() + "}";
    }
    body += space() + "]" + space() + "}" + space();
    INFO(body);
    const auto scanned = scan_embedding_values(body, count, dimensions);
    REQUIRE(scanned.has_value());
    CHECK(same_bits(*scanned, general_parse(body)));
    auto through_protocol = parse_gemini_batch_response(body, count, dimensions);
    REQUIRE(through_protocol.ok());
    CHECK(same_bits(*through_protocol, *scanned));
  }
}

TEST_CASE("values scanner: a negative zero reads as the general parser reads it", "[protocol]") {
  const auto scanned = scan_embedding_values(R"({"embeddings":[{"values":[-0,-0.0,-0e1]}]})", 1, 3);
  REQUIRE(scanned.has_value());
  CHECK_FALSE(std::signbit(scanned->at(0)[0]));  // an integer: +0
  CHECK(std::signbit(scanned->at(0)[1]));
  CHECK(std::signbit(scanned->at(0)[2]));
}

TEST_CASE("values scanner: every other body goes to the general parser", "[protocol]") {
  const char* const handed_back[] = {
      "",
      "<html>502</html>",
      R"({"embeddings":[]})",
      R"({"embeddings":[{"values":[1,2]}]} trailing)",
      R"({"embeddings":[{"values":[1,2]}],"extra":1})",
      R"({"extra":1,"embeddings":[{"values":[1,2]}]})",
      R"({"embeddings":[{"values":[1,2],"statistics":{}}]})",
      R"({"embeddings":[{"values":[1,2]},{"values":[1,2]}]})",  // two for one expected
      R"({"embeddings":[{"values":[1,2,3]}]})",                 // three values for two
      R"({"embeddings":[{"values":[1]}]})",                     // one value for two
      R"({"embeddings":[{"values":[1,"2"]}]})",
      R"({"embeddings":[{"values":[1,null]}]})",
      R"({"embeddings":[{"values":[1,NaN]}]})",
      R"({"embeddings":[{"values":[1,Infinity]}]})",
      R"({"embeddings":[{"values":[1,1e999]}]})",
      R"({"embeddings":[{"values":[1,-1e39]}]})",  // beyond a float
      R"({"embeddings":[{"values":[1,01]}]})",     // leading zero: not JSON
      R"({"embeddings":[{"values":[1,1.]}]})",
      R"({"embeddings":[{"values":[1,.5]}]})",
      R"({"embeddings":[{"values":[1,+1]}]})",
      R"({"embeddings":[{"values":[1,1e]}]})",
      R"({"embeddings":[{"values":[1,0x10]}]})",
      R"({"embeddings":[{"values":[1,2,]}]})",
      R"({"embeddings":[{"values":[1 2]}]})",
      R"({"embeddings":[{"values":[1,2]}])",  // cut short
      R"({"embeddings":[{"values":[1,2)",
      R"({"embeddings" [{"values":[1,2]}]})",
      R"({"embe\u0064dings":[{"values":[1,2]}]})",  // an escaped key: valid JSON, left to the general path
  };
  for (const char* body : handed_back) {
    INFO(body);
    CHECK_FALSE(scan_embedding_values(body, 1, 2).has_value());
  }
  // The general path still reads what the scanner leaves to it, when it is valid.
  auto escaped = parse_gemini_batch_response(R"({"embe\u0064dings":[{"values":[1,2]}]})", 1, 2);
  REQUIRE(escaped.ok());
  CHECK(escaped->at(0) == std::vector<float>{1.0f, 2.0f});
  auto with_extra = parse_gemini_batch_response(R"({"embeddings":[{"values":[1,2],"statistics":{}}]})", 1, 2);
  REQUIRE(with_extra.ok());
}
