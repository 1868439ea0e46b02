// Base64 for inline media (server/embed/base64): RFC 4648's test vectors both ways, the URL-safe
// alphabet and optional padding proto3 JSON readers take, every byte value round-tripped, refusals
// naming the first bad offset (the encoded length is checked with the request size, in
// test_gemini_request_size.cpp).
#include <catch2/catch.hpp>

#include <string>
#include <utility>

#include "embed/base64.hpp"

using namespace mosaic;
using namespace mosaic::server;

TEST_CASE("base64 per RFC 4648, both alphabets, optional padding, offsets in errors", "[base64]") {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [bytes, text] : vectors) {
    CHECK(encode_base64(bytes) == text);
    auto decoded = decode_base64(text);
    REQUIRE(decoded.ok());
    CHECK(*decoded == bytes);
  }
  CHECK(decode_base64("Zg").value() == "f");
  CHECK(decode_base64("Zm8").value() == "fo");
  CHECK(decode_base64("-__-aGk").value() == "\xfb\xff\xfe\x68\x69");
  CHECK(decode_base64("+//+aGk=").value() == "\xfb\xff\xfe\x68\x69");

  std::string every_byte;
  for (int value = 0; value < 256; ++value) every_byte += static_cast<char>(value);
  for (std::size_t length = 0; length <= every_byte.size(); length += 37) {
    const std::string bytes = every_byte.substr(0, length);
    CHECK(decode_base64(encode_base64(bytes)).value() == bytes);
  }

  struct refused_case {
    std::string text;
    std::string offset;
  };
  const refused_case refused[] = {{"A", "offset 0"},        {"AAAAA", "offset 4"},      {"AAA=A", "offset 3"},
                                  {"AA AA", "offset 2"},    {"AA==AA==", "offset 2"},   {"Zg=", "offset 2"},
                                  {"Zg===", "offset"},      {"not base64!", "offset 3"}, {"AAAA\n", "offset 4"},
                                  {std::string("Zm9v\0Zm9v", 9), "offset 4"}};
  for (const auto& [text, offset] : refused) {
    INFO(text);
    auto decoded = decode_base64(text);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.failure().code == error_code::invalid_argument);
    CHECK(decoded.failure().message.find(offset) != std::string::npos);
  }
}
