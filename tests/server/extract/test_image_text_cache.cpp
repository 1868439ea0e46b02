// OCR's words kept by image (server/extract/image_text_cache, on extract/extraction_cache): found again
// by the image's bytes and the recognizer's name, and a damaged or foreign file is a miss, not an error.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "extract/image_text_cache.hpp"

using namespace mosaic::extract;

TEST_CASE("the OCR cache keeps an image's words by content and recognizer, and refuses damaged files", "[extract][ocr]") {
  const std::filesystem::path folder =
      std::filesystem::temp_directory_path() / ("mosaic-image-text-cache-" + std::to_string(::getpid()));
  std::filesystem::remove_all(folder);
  const std::string recognizer = text_recognizer::name() + "/max-side-2048";
  const image_text_cache cache(folder, recognizer);
  const std::vector<std::uint8_t> image{0x89, 'P', 'N', 'G', 1, 2, 3};
  const std::string key = cache.key(image);
  CHECK_FALSE(cache.find(key).has_value());

  const recognized_text read{{{"Error", 96.5f, 0}, {"500:", 91.0f, 0}, {"session", 88.25f, 1}}};
  REQUIRE(cache.store(key, read));
  const auto found = cache.find(key);
  REQUIRE(found.has_value());
  REQUIRE(found->words.size() == 3);
  CHECK(found->words[2].text == "session");
  CHECK(found->words[2].confidence == 88.25f);
  CHECK(found->words[2].line == 1);
  // No temporary file is left beside it.
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    ++files;
    CHECK(entry.path().extension() == ".json");
  }
  CHECK(files == 1);

  // Another recognizer (a Tesseract upgrade, another scale) or other bytes: another key.
  CHECK(image_text_cache(folder, text_recognizer::name() + "/max-side-1024").key(image) != key);
  CHECK(cache.key(std::vector<std::uint8_t>{0x89, 'P', 'N', 'G', 1, 2, 4}) != key);
  CHECK(text_recognizer::name().rfind("tesseract-", 0) == 0);

  const std::string header = "{\"format\":\"mosaic-image-text\",\"version\":1,\"recognizer\":\"" + recognizer + "\",";
  for (const std::string& damaged :
       {std::string("{\"format\":\"mosaic-image-text\",\"vers"), std::string("[1,2]"), header + "\"words\":{}}",
        header + "\"words\":[[\"x\",101,0]]}", header + "\"words\":[[\"x\",-1,0]]}", header + "\"words\":[[\"x\",50]]}",
        header + "\"words\":[[\"x\",50,-2]]}", header + "\"words\":[[7,50,0]]}",
        std::string("{\"format\":\"mosaic-transcript\",\"version\":1,\"recognizer\":\"") + recognizer + "\",\"words\":[]}",
        std::string("{\"format\":\"mosaic-image-text\",\"version\":2,\"recognizer\":\"") + recognizer + "\",\"words\":[]}"}) {
    INFO(damaged);
    std::ofstream(folder / (key + ".json"), std::ios::trunc) << damaged;
    CHECK_FALSE(cache.find(key).has_value());
  }
  // A file that parses is found again: the same header with no words is an image without text.
  std::ofstream(folder / (key + ".json"), std::ios::trunc) << header + "\"words\":[]}";
  REQUIRE(cache.find(key).has_value());
  CHECK(cache.find(key)->words.empty());

  // No folder: nothing kept, nothing found.
  const image_text_cache none({}, recognizer);
  CHECK_FALSE(none.store(key, read));
  CHECK_FALSE(none.find(key).has_value());
  std::filesystem::remove_all(folder);
}
