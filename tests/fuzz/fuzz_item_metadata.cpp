// items/<hash>.json (shared/index/item_metadata): one entry per shard row, fetched beside each shard.
// The expected row count is taken from the input's own "items" array when it has one (so the entries
// themselves get parsed), else from the first byte. Accepted metadata serializes, parses back with the
// same count and serializes to the same text; every item also becomes JSON the way results show it.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "index/item_metadata.hpp"

using namespace mosaic::index;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = mosaic::fuzz::as_text(data, size);
  std::size_t expected_items = size > 0 ? data[0] % 8 : 0;
  const nlohmann::json document = nlohmann::json::parse(text, nullptr, false);
  if (document.is_object() && document.contains("items") && document["items"].is_array()) {
    expected_items = document["items"].size();
  }
  auto parsed = parse_item_metadata(text, expected_items);
  if (!parsed) {
    MOSAIC_FUZZ_CHECK(!parsed.failure().message.empty(), "a refusal must say why");
    return 0;
  }
  for (const item_metadata& item : parsed.value()) (void)item_metadata_json(item).dump();
  (void)items_json_text(parsed.value());
  auto written = serialize_item_metadata(parsed.value());
  MOSAIC_FUZZ_CHECK(written.ok(), written.ok() ? "" : written.failure().message);
  auto reparsed = parse_item_metadata(written.value(), expected_items);
  MOSAIC_FUZZ_CHECK(reparsed.ok(), reparsed.ok() ? written.value() : reparsed.failure().message + "\n" + written.value());
  auto rewritten = serialize_item_metadata(reparsed.value());
  MOSAIC_FUZZ_CHECK(rewritten.ok() && rewritten.value() == written.value(), "item metadata does not round-trip");
  return 0;
}
