#include "extract/image_text.hpp"

#include <dlfcn.h>

#include <mutex>

#include <tesseract/baseapi.h>
#include <tesseract/resultiterator.h>

namespace mosaic::extract {

struct text_recognizer::engine {
  tesseract::TessBaseAPI api;
};

namespace {

// Tesseract hands out new[]-allocated strings.
struct tesseract_text {
  char* text = nullptr;
  ~tesseract_text() { delete[] text; }
};

// Debian's Tesseract runs parts of its LSTM on OpenMP threads (libgomp, loaded with it) that spin
// while they wait. The indexer reads images side by side already, one worker a core, and those extra
// threads only fight the workers and everything else on the machine: on the 2-core machine, busy,
// OCR of the extractor benchmark's mixed folder took 12.6 s with them and 1.7 s with OMP_THREAD_LIMIT=1
// (README, "Reading text out of media"). So parallel regions are made single-threaded (no active
// level), which OMP_THREAD_LIMIT would do but only when set before the process starts. Looked up at run
// time, so nothing links OpenMP itself; without libgomp there is nothing to switch off.
// Asked on every thread that recognizes: depending on libgomp's version the setting is the process's
// or the calling thread's.
void recognize_on_this_thread_only() {
  thread_local bool switched_off = false;
  if (switched_off) return;
  switched_off = true;
  using setter = void (*)(int);
  if (void* found = ::dlsym(RTLD_DEFAULT, "omp_set_max_active_levels"); found != nullptr) {
    reinterpret_cast<setter>(found)(0);
  }
}

}  // namespace

text_recognizer::text_recognizer(std::unique_ptr<engine> loaded) : engine_(std::move(loaded)) {}
text_recognizer::~text_recognizer() {
  if (engine_) engine_->api.End();
}

result<std::unique_ptr<text_recognizer>> text_recognizer::create() {
  // Each indexing worker has its own recognizer (one TessBaseAPI a thread, which Tesseract supports
  // side by side), but they are made one at a time: debug_file below is one of Tesseract's
  // process-wide parameters, set through whichever instance, so it is set once, before any image is
  // read, and never written again while another thread's recognizer may be logging through it.
  static std::mutex creation;
  static bool quieted = false;
  const std::lock_guard guard(creation);
  auto created = std::make_unique<engine>();
  // Tesseract's progress and warnings ("Estimating resolution as ...") would fill the index log once
  // per image: they go nowhere. The model comes from Debian's tessdata folder (its compiled-in default).
  if (!quieted) {
    created->api.SetVariable("debug_file", "/dev/null");
    quieted = true;
  }
  if (created->api.Init(nullptr, "eng", tesseract::OEM_LSTM_ONLY) != 0) {
    return make_error(error_code::model_not_installed,
                      "Tesseract's English model is missing: install it with apt-get install tesseract-ocr-eng");
  }
  created->api.SetPageSegMode(tesseract::PSM_AUTO);
  return std::unique_ptr<text_recognizer>(new text_recognizer(std::move(created)));
}

result<recognized_text> text_recognizer::recognize(std::span<const std::uint8_t> rgb_pixels, std::uint32_t width,
                                                   std::uint32_t height) {
  if (width == 0 || height == 0 || rgb_pixels.size() != std::size_t{width} * height * 3) {
    return make_error(error_code::invalid_argument, "OCR takes width * height * 3 bytes of RGB pixels");
  }
  recognize_on_this_thread_only();
  tesseract::TessBaseAPI& api = engine_->api;
  api.SetImage(rgb_pixels.data(), static_cast<int>(width), static_cast<int>(height), 3, static_cast<int>(width) * 3);
  // Screenshots carry no resolution; Tesseract would guess one from the text height and say so.
  api.SetSourceResolution(96);
  if (api.Recognize(nullptr) != 0) {
    api.Clear();
    return make_error(error_code::invalid_media, "Tesseract could not read the picture");
  }
  recognized_text recognized;
  std::unique_ptr<tesseract::ResultIterator> iterator(api.GetIterator());
  std::uint32_t line = 0;
  if (iterator) {
    do {
      if (iterator->IsAtBeginningOf(tesseract::RIL_TEXTLINE) && !recognized.words.empty()) ++line;
      tesseract_text word{iterator->GetUTF8Text(tesseract::RIL_WORD)};
      if (word.text == nullptr || word.text[0] == '\0') continue;
      recognized.words.push_back({word.text, iterator->Confidence(tesseract::RIL_WORD), line});
    } while (iterator->Next(tesseract::RIL_WORD));
  }
  api.Clear();
  return recognized;
}

std::string text_recognizer::name() {
  // Whatever recognize sets (language, resolution, the default page segmentation) is named here;
  // bump the last part when recognize changes.
  return std::string("tesseract-") + tesseract::TessBaseAPI::Version() + "/eng/96dpi/v1";
}

}  // namespace mosaic::extract
