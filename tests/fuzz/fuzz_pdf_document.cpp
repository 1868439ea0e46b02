// PDF reading through Poppler (server/extract/pdf_document): our wrapper's checks before Poppler sees
// the bytes, its handling of what Poppler answers (locked, no pages, null pages), the text limits and
// the first page's pixel conversion. A small picture keeps each run fast; the text limit is small so
// that the cut path (never inside a UTF-8 sequence) is reached.
#include <cstddef>
#include <cstdint>
#include <span>

#include "extract/pdf_document.hpp"
#include "fuzz_support.hpp"
#include "text/utf8.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mosaic::extract::pdf_reading_limits limits;
  limits.max_pages = 8;
  limits.max_text_bytes = 256;
  limits.picture_longest_side = 32;
  auto contents = mosaic::extract::read_pdf(std::span<const std::uint8_t>(data, size), limits);
  if (!contents) {
    MOSAIC_FUZZ_CHECK(!contents.failure().message.empty(), "a refusal must say why");
    return 0;
  }
  MOSAIC_FUZZ_CHECK(contents->page_count > 0, "an opened PDF has pages");
  MOSAIC_FUZZ_CHECK(contents->page_texts.size() <= limits.max_pages, "no more pages read than the limit");
  std::size_t text_bytes = 0;
  for (const std::string& text : contents->page_texts) {
    MOSAIC_FUZZ_CHECK(mosaic::text::is_valid_utf8(text), "page text is valid UTF-8");
    text_bytes += text.size();
  }
  MOSAIC_FUZZ_CHECK(text_bytes <= limits.max_text_bytes, "no more text than the limit");
  MOSAIC_FUZZ_CHECK(contents->first_page_rgb.size() ==
                        std::size_t{contents->picture_width} * contents->picture_height * 3,
                    "the picture holds width * height RGB pixels");
  return 0;
}
