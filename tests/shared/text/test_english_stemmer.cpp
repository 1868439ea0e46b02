// Snowball's English stemmer (shared/text/english_stemmer): Debian's libstemmer natively, the same
// version's C sources compiled by emscripten in wasm. Both must give Snowball's own expected stem for
// every word of its English vocabulary (Debian's snowball-data: voc.txt and output.txt, line by line).
// The wasm test executable reads them through Node's file system (NODERAWFS).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "text/english_stemmer.hpp"

using namespace mosaic;
using namespace mosaic::text;

namespace {

english_stemmer make_stemmer() {
  auto stemmer = english_stemmer::create();
  if (!stemmer) FAIL(stemmer.failure().message);
  return std::move(stemmer).value();
}

}  // namespace

TEST_CASE("english stemmer: Porter2 stems", "[text][stemmer]") {
  english_stemmer stemmer = make_stemmer();
  CHECK(stemmer.stem("running") == "run");
  CHECK(stemmer.stem("runners") == "runner");
  CHECK(stemmer.stem("generously") == "generous");
  CHECK(stemmer.stem("caresses") == "caress");
  CHECK(stemmer.stem("ponies") == "poni");
  CHECK(stemmer.stem("john's") == "john");
  CHECK(stemmer.stem("e-mails") == "e-mail");
  CHECK(stemmer.stem("") == "");
  // Words of other scripts and numbers come back as they are.
  CHECK(stemmer.stem("москва") == "москва");
  CHECK(stemmer.stem("东京") == "东京");
  CHECK(stemmer.stem("1234") == "1234");
  // The stemmer is reused across calls: a long word after a short one and back.
  CHECK(stemmer.stem(std::string(300, 'a') + "ing") == std::string(300, 'a'));
  CHECK(stemmer.stem("cats") == "cat");
}

TEST_CASE("english stemmer: Snowball's English vocabulary gives Snowball's expected stems", "[text][stemmer][vocabulary]") {
  const std::filesystem::path folder = MOSAIC_SNOWBALL_DATA_DIR "/english";
  std::ifstream words(folder / "voc.txt");
  std::ifstream stems(folder / "output.txt");
  if (!words || !stems) {
    WARN("skipped: " << folder.string() << "/voc.txt and output.txt are absent (Debian's snowball-data: make dependencies)");
    return;
  }
  english_stemmer stemmer = make_stemmer();
  std::size_t count = 0;
  std::size_t differ = 0;
  std::string word;
  std::string expected;
  while (std::getline(words, word)) {
    REQUIRE(std::getline(stems, expected));
    const std::string stem = stemmer.stem(word);
    if (stem != expected) {
      if (++differ <= 10) UNSCOPED_INFO(word << " -> " << stem << ", expected " << expected);
    }
    ++count;
  }
  CHECK_FALSE(std::getline(stems, expected));  // as many stems as words
  CHECK(count == 29417);
  CHECK(differ == 0);
}
