// Uploaded media before anything else reads it (shared/media): content detection, the PNG/JPEG/BMP
// structure checks that stand in front of stb, image preparation (decode, downscale, JPEG encode) and
// the PNG description reader. A prepared image must be a JPEG of at most the asked side that the
// structure check and detection accept again.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_support.hpp"
#include "media/image_preparation.hpp"
#include "media/image_structure.hpp"
#include "media/media_kind.hpp"
#include "media/png_text.hpp"

using namespace mosaic::media;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  const media_detection detected = detect_media_kind(bytes);
  MOSAIC_FUZZ_CHECK((detected.kind == media_kind::unknown) == detected.mime_type.empty(),
                    "a known kind needs a MIME type, an unknown one none");
  (void)check_png_structure(bytes);
  (void)check_jpeg_structure(bytes);
  (void)check_bmp_structure(bytes);
  (void)read_png_description(bytes);
  if (detected.kind != media_kind::image) return 0;
  // A small side keeps each run fast; the decode of the whole image still happens.
  constexpr std::uint32_t max_side = 48;
  auto prepared = prepare_image(bytes, max_side, 75);
  if (!prepared) {
    MOSAIC_FUZZ_CHECK(!prepared.failure().message.empty(), "a refusal must say why");
    return 0;
  }
  MOSAIC_FUZZ_CHECK(prepared->width >= 1 && prepared->height >= 1 && std::max(prepared->width, prepared->height) <= max_side,
                    "the prepared image has the wrong size");
  const auto check = check_jpeg_structure(prepared->jpeg_bytes);
  MOSAIC_FUZZ_CHECK(check.ok(), check.ok() ? "" : check.failure().message);
  MOSAIC_FUZZ_CHECK(detect_media_kind(prepared->jpeg_bytes).mime_type == "image/jpeg", "the prepared image is no JPEG");
  return 0;
}
