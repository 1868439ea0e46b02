// The request size count against real bodies: random inputs (texts with quotes, control characters,
// multi-byte UTF-8 and invalid bytes; media parts of many sizes; titles) and random settings (model,
// task, prefix, size, taskType or not) are measured, then build_gemini_batch_body writes them, and
// the count must be the body's size to the byte. Then the refusal's wording and its rounding.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "embed/gemini_protocol.hpp"
#include "embed/gemini_request_size.hpp"

namespace {

using namespace mosaic::server;

// Characters chosen to exercise every escape the serializer knows, and multi-byte UTF-8.
const std::vector<std::string> text_pieces = {
    "a", "Z", " ", "9", "\"", "\\", "/", "\b", "\f", "\n", "\r", "\t", std::string(1, '\0'), "\x01", "\x1f", "\x7f",
    "é", "中", "𝄞", "😀", "task: x | ", "{\"text\":", "\xef\xbf\xbd"};
// Bytes that are not UTF-8 (a lone continuation byte, a cut sequence, an overlong form, a surrogate).
const std::vector<std::string> broken_pieces = {"\x80", "\xc3", "\xe2\x82", "\xc0\xaf", "\xed\xa0\x80", "\xff"};

class random_inputs {
 public:
  explicit random_inputs(unsigned seed) : random_(seed) {}

  std::size_t below(std::size_t count) { return std::uniform_int_distribution<std::size_t>(0, count - 1)(random_); }

  std::string text(std::size_t longest, bool may_break) {
    std::string text;
    const std::size_t pieces = below(longest) + 1;
    for (std::size_t index = 0; index < pieces; ++index) {
      text += may_break && below(20) == 0 ? broken_pieces[below(broken_pieces.size())] : text_pieces[below(text_pieces.size())];
    }
    return text;
  }

  embedding_input input() {
    embedding_input input;
    const std::size_t parts = below(4) + 1;
    for (std::size_t index = 0; index < parts; ++index) {
      if (below(2) == 0) {
        input.parts.push_back({text(40, below(4) == 0), "", ""});
      } else {
        static const std::vector<std::string> types = {"image/png", "image/jpeg", "audio/wav", "application/pdf", "video/quicktime"};
        // Sizes around every remainder modulo 3, from empty to a few kilobytes.
        const std::size_t size = below(2) == 0 ? below(7) : below(5'000);
        std::string bytes(size, '\0');
        for (char& byte : bytes) byte = static_cast<char>(below(256));
        input.parts.push_back({"", types[below(types.size())], std::move(bytes)});
      }
    }
    if (below(2) == 0) input.title = text(12, below(3) == 0);
    return input;
  }

  gemini_request_settings settings(std::string& model, std::string& prefix) {
    static const std::vector<std::string> models = {"gemini-embedding-2", "gemini-embedding-001", "m", "model.with_dots-9"};
    model = models[below(models.size())];
    prefix = below(3) == 0 ? std::string() : text(8, false);
    gemini_request_settings settings;
    settings.model = model;
    settings.task = static_cast<embedding_task>(below(9));
    static const std::vector<std::size_t> sizes = {0, 1, 9, 10, 99, 128, 768, 3072, 65'536};
    settings.dimensions = sizes[below(sizes.size())];
    settings.text_prefix = prefix;
    settings.send_task_type = below(2) == 0;
    return settings;
  }

 private:
  std::mt19937 random_;
};

}  // namespace

TEST_CASE("request size: the count of every input adds up to the body build_gemini_batch_body writes, to the byte",
          "[gemini][request_size]") {
  random_inputs random(1'123);
  for (int round = 0; round < 400; ++round) {
    std::string model;
    std::string prefix;
    const gemini_request_settings settings = random.settings(model, prefix);
    std::vector<embedding_input> inputs(random.below(6) + 1);
    for (auto& input : inputs) input = random.input();
    std::vector<const embedding_input*> pointers;
    std::size_t counted = gemini_batch_envelope_bytes + inputs.size() - 1;
    for (const auto& input : inputs) {
      pointers.push_back(&input);
      counted += gemini_request_bytes(input, settings);
    }
    const std::string body = build_gemini_batch_body(model, pointers, settings.task, settings.dimensions, prefix,
                                                     settings.send_task_type);
    INFO("round " << round << ": " << body.substr(0, 300));
    REQUIRE(counted == body.size());
    // One input alone, as prepare_input and the provider measure it.
    const std::string single = build_gemini_batch_body(model, {pointers.front()}, settings.task, settings.dimensions,
                                                       prefix, settings.send_task_type);
    CHECK(gemini_batch_envelope_bytes + gemini_request_bytes(inputs.front(), settings) == single.size());
  }
}

TEST_CASE("request size: large media are counted as their base64", "[gemini][request_size]") {
  for (std::size_t size = 0; size < 40; ++size) CHECK(base64_encoded_bytes(size) == encode_base64(std::string(size, 'q')).size());
  embedding_input video;
  video.parts.push_back({"a caption", "", ""});
  video.parts.push_back({"", "video/mp4", std::string(15'000'001, 'v')});
  gemini_request_settings settings;
  settings.model = "gemini-embedding-2";
  settings.task = embedding_task::retrieval_document;
  settings.dimensions = 768;
  settings.text_prefix = "title: none | text: ";
  const std::string body = build_gemini_batch_body("gemini-embedding-2", {&video}, settings.task, 768, settings.text_prefix, false);
  CHECK(gemini_batch_envelope_bytes + gemini_request_bytes(video, settings) == body.size());
  CHECK(body.size() > base64_encoded_bytes(15'000'001));
  CHECK(body.size() < base64_encoded_bytes(15'000'001) + 200);
}

TEST_CASE("request size: the refusal names the media, their encoded size rounded up, and the cap", "[gemini][request_size]") {
  const auto refusal = request_too_large_error("inputs[0]", 17'000'000, 22'666'800, gemini_max_request_bytes);
  CHECK(refusal.code == mosaic::error_code::media_too_large);
  CHECK(refusal.message == "inputs[0]: 16.2 MB of media is 21.7 MB once base64-encoded; one Gemini request holds at most 20 MB");
  // One byte over the cap never reads as the cap itself.
  CHECK(request_too_large_error("x", 1, gemini_max_request_bytes + 1, gemini_max_request_bytes).message ==
        "x: 0.0 MB of media is 20.1 MB once base64-encoded; one Gemini request holds at most 20 MB");
}
