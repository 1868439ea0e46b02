// The figures behind --ocr auto's cuts (server/extract/ocr_decision.hpp): for each image file given,
// one JSON line with the words Tesseract recognised, their mean confidence, what auto keeps and the
// time taken. Run over rendered text and over photos and clip art to see where the cuts separate them:
//   build/bin/mosaic_ocr_figures FILE...
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

#include <nlohmann/json.hpp>

#include "extract/image_text.hpp"
#include "extract/ocr_decision.hpp"
#include "media/image_preparation.hpp"

int main(int argc, char** argv) {
  auto recognizer = mosaic::extract::text_recognizer::create();
  if (!recognizer) {
    std::fprintf(stderr, "%s\n", recognizer.failure().message.c_str());
    return 1;
  }
  for (int position = 1; position < argc; ++position) {
    std::ifstream file(argv[position], std::ios::binary);
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    const auto start = std::chrono::steady_clock::now();
    auto image = mosaic::media::decode_image(bytes, 2048);
    if (!image) {
      std::printf("%s\n", nlohmann::json{{"file", argv[position]}, {"error", image.failure().message}}.dump().c_str());
      continue;
    }
    auto recognized = (*recognizer)->recognize(image->rgb_pixels, image->width, image->height);
    const double milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!recognized) {
      std::printf("%s\n", nlohmann::json{{"file", argv[position]}, {"error", recognized.failure().message}}.dump().c_str());
      continue;
    }
    const auto automatic = mosaic::extract::judge_recognized_text(*recognized, mosaic::extract::ocr_mode::automatic);
    const auto forced = mosaic::extract::judge_recognized_text(*recognized, mosaic::extract::ocr_mode::on);
    nlohmann::json confidences = nlohmann::json::array();
    for (const auto& word : recognized->words) confidences.push_back(static_cast<int>(word.confidence));
    std::printf("%s\n", nlohmann::json{{"file", argv[position]},
                                       {"width", image->width},
                                       {"height", image->height},
                                       {"milliseconds", static_cast<int>(milliseconds)},
                                       {"recognized_words", automatic.recognized_words},
                                       {"mean_confidence", automatic.mean_confidence},
                                       {"confidences", confidences},
                                       {"auto_text", automatic.text},
                                       {"on_text", forced.text}}
                            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                            .c_str());
  }
  return 0;
}
