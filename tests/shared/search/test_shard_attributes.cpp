// The per-row attributes the scan's filters read, and the collection-wide dictionaries behind them.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "search/shard_attributes.hpp"

using namespace mosaic;
using namespace mosaic::search;
using mosaic::index::item_metadata;
using mosaic::index::modality;

namespace {

std::vector<item_metadata> sample_items() {
  item_metadata photo;
  photo.id = 1;
  photo.kind = modality::image;
  photo.label = "alice";
  photo.tags = {"summer", "beach", "summer"};
  item_metadata chunk;
  chunk.id = 2;
  chunk.kind = modality::text;
  return {photo, chunk};
}

}  // namespace

TEST_CASE("attributes give the scan ids for labels and sorted, unique tags", "[attributes]") {
  string_dictionary labels, tags;
  const auto attributes = build_attributes(sample_items(), labels, tags);
  REQUIRE(attributes.modalities == std::vector<modality>{modality::image, modality::text});
  CHECK(attributes.labels[0] == labels.find("alice").value());
  CHECK(attributes.labels[1] == 0);
  CHECK(labels.name(attributes.labels[0]) == "alice");
  REQUIRE(attributes.tag_offsets == std::vector<std::uint32_t>{0, 2, 2});
  CHECK(attributes.tags[0] < attributes.tags[1]);
  CHECK(tags.find("summer").has_value());
  CHECK(tags.find("beach").has_value());
  CHECK_FALSE(tags.find("winter").has_value());
  // A second shard reuses the same dictionary ids.
  const auto again = build_attributes(sample_items(), labels, tags);
  CHECK(again.labels == attributes.labels);
  CHECK(again.tags == attributes.tags);
  CHECK(labels.size() == 2);
}

TEST_CASE("a dictionary reserves id 0 for no name and answers unknown ids with it", "[attributes]") {
  string_dictionary names;
  CHECK(names.find("").value() == 0);
  CHECK(names.intern("") == 0);
  const std::uint32_t bob = names.intern("bob");
  CHECK(bob == 1);
  CHECK(names.intern("bob") == bob);
  CHECK(names.name(bob) == "bob");
  CHECK(names.name(99).empty());
  CHECK_FALSE(names.find("carol").has_value());
}
