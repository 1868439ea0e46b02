// manifest.json (shared/index/manifest): the one uncached file a client fetches first. An accepted
// manifest serializes, and what it serializes to parses back to the same manifest (compared through
// the deterministic serialization: sorted keys, fixed indent).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "index/manifest.hpp"

using namespace mosaic::index;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = parse_manifest(mosaic::fuzz::as_text(data, size));
  if (!parsed) {
    MOSAIC_FUZZ_CHECK(!parsed.failure().message.empty(), "a refusal must say why");
    return 0;
  }
  auto written = serialize_manifest(parsed.value());
  MOSAIC_FUZZ_CHECK(written.ok(), written.ok() ? "" : written.failure().message);
  auto reparsed = parse_manifest(written.value());
  MOSAIC_FUZZ_CHECK(reparsed.ok(), reparsed.ok() ? written.value() : reparsed.failure().message + "\n" + written.value());
  auto rewritten = serialize_manifest(reparsed.value());
  MOSAIC_FUZZ_CHECK(rewritten.ok() && rewritten.value() == written.value(), "the manifest does not round-trip");
  MOSAIC_FUZZ_CHECK(reparsed->item_count() == parsed->item_count(), "item counts differ after a round trip");
  return 0;
}
