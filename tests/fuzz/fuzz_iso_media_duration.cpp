// MP4/MOV duration (shared/media/iso_media_duration): the box walk to moov/mvhd of an uploaded video.
// Only the absence of crashes, overreads and UB is checked: any duration is a possible answer.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_support.hpp"
#include "media/iso_media_duration.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto duration = mosaic::media::iso_media_duration_milliseconds(std::span<const std::uint8_t>(data, size));
  if (!duration) MOSAIC_FUZZ_CHECK(!duration.failure().message.empty(), "a refusal must say why");
  return 0;
}
