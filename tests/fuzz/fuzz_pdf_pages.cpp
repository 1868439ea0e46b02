// PDF page count (shared/media/pdf_pages): a scan for page dictionaries, including inside object
// streams it inflates (shared/media/zlib_inflate). Small inflate limits keep each run fast while still
// reaching the "too much inflated data" and "too many object streams" refusals.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_support.hpp"
#include "media/pdf_pages.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mosaic::media::pdf_page_count_limits limits;
  limits.max_object_streams = 64;
  limits.max_inflated_bytes = 4 * 1024 * 1024;
  auto pages = mosaic::media::count_pdf_pages(std::span<const std::uint8_t>(data, size), limits);
  if (!pages) MOSAIC_FUZZ_CHECK(!pages.failure().message.empty(), "a refusal must say why");
  (void)mosaic::media::count_pdf_pages(std::span<const std::uint8_t>(data, size));
  return 0;
}
