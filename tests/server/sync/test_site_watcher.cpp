// mosaic serve's live site (sync/site_watcher.hpp, sync/served_site.hpp): a new generation written by
// the indexer is noticed, checked and swapped in whole; a site that fails a check is refused with a
// log line naming the error while the old one keeps being served; listeners hear of each swap.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "server_test_support.hpp"
#include "site/site_writer.hpp"
#include "sync/served_site.hpp"
#include "sync/site_watcher.hpp"

namespace fs = std::filesystem;
using mosaic::server::served_site;
using mosaic::server::site_check_outcome;
using mosaic::server::site_watcher;
using mosaic::server::testing::temporary_folder;

namespace {

constexpr std::uint32_t dimensions = 32;

std::vector<mosaic::server::indexed_item> items(std::size_t count) {
  std::mt19937 generator(static_cast<unsigned>(count));
  std::normal_distribution<float> component(0.0f, 1.0f);
  std::vector<mosaic::server::indexed_item> result;
  for (std::size_t position = 0; position < count; ++position) {
    mosaic::server::indexed_item item;
    item.metadata.id = 1000 + position;
    item.metadata.title = "item " + std::to_string(position);
    item.metadata.source = "notes/" + std::to_string(position) + ".txt";
    item.metadata.kind = mosaic::index::modality::text;
    item.metadata.mime_type = "text/plain";
    item.vector.resize(dimensions);
    float norm = 0.0f;
    for (float& value : item.vector) {
      value = component(generator);
      norm += value * value;
    }
    for (float& value : item.vector) value /= std::sqrt(norm);
    result.push_back(std::move(item));
  }
  return result;
}

mosaic::index::manifest write_generation(const fs::path& site, std::size_t count) {
  mosaic::server::site_layout layout;
  layout.model_id = "test-model";
  layout.dimensions = dimensions;
  layout.full_dimensions = dimensions;
  layout.items_per_shard = 2;
  const auto written = mosaic::server::write_site(site, layout, items(count));
  INFO((written.ok() ? std::string() : written.failure().message));
  REQUIRE(written.ok());
  return written.value();
}

std::shared_ptr<const mosaic::server::loaded_site> load(const fs::path& site) {
  auto loaded = mosaic::server::load_site(site);
  INFO((loaded.ok() ? std::string() : loaded.failure().message));
  REQUIRE(loaded.ok());
  return std::make_shared<const mosaic::server::loaded_site>(std::move(loaded).value());
}

struct live_site {
  temporary_folder folder{"site-watcher"};
  fs::path site = folder.path() / "site";
  std::shared_ptr<served_site> served;
  std::vector<std::string> log;
  std::vector<std::uint64_t> heard;  // generations the listener was told of
  served_site::subscription subscription;

  live_site() {
    write_generation(site, 3);
    served = std::make_shared<served_site>(load(site));
    subscription = served->listen([this](const std::shared_ptr<const mosaic::server::loaded_site>& next) {
      heard.push_back(next->manifest().generation);
    });
  }

  mosaic::server::site_watch_options options() {
    mosaic::server::site_watch_options watch;
    watch.log = [this](std::string_view line) { log.emplace_back(line); };
    return watch;
  }
};

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("a new generation on disk is checked and swapped in, and listeners hear of it", "[server][sync]") {
  live_site state;
  site_watcher watcher(state.site, *state.served, state.options());
  CHECK(watcher.check() == site_check_outcome::unchanged);
  const auto before = state.served->current();

  const auto written = write_generation(state.site, 5);
  CHECK(written.generation == 2);
  CHECK(watcher.check() == site_check_outcome::replaced);
  const auto after = state.served->current();
  CHECK(after->manifest().generation == 2);
  CHECK(after->manifest().item_count() == 5);
  CHECK(after->manifest_hash != before->manifest_hash);
  CHECK(state.heard == std::vector<std::uint64_t>{2});
  REQUIRE(state.log.size() == 1);
  CHECK(contains(state.log[0], "now serving generation 2 (5 items, 3 shards)"));
  // The old site stays whole for whoever still holds it (a search in flight).
  CHECK(before->manifest().generation == 1);
  CHECK(before->shards.size() == 2);
  CHECK(watcher.check() == site_check_outcome::unchanged);

  SECTION("the same manifest written again (a new file, the same bytes) is no new generation") {
    const std::string text = mosaic::server::testing::read_text_file(state.site / "manifest.json");
    REQUIRE(mosaic::server::write_file_atomically(state.site / "manifest.json",
                                                  std::vector<std::uint8_t>(text.begin(), text.end())).ok());
    CHECK(watcher.check() == site_check_outcome::unchanged);
    CHECK(state.heard.size() == 1);
  }
  SECTION("after the subscription ends the listener is not called") {
    state.subscription.reset();
    write_generation(state.site, 6);
    CHECK(watcher.check() == site_check_outcome::replaced);
    CHECK(state.heard.size() == 1);
  }
}

TEST_CASE("a new site that fails a check is refused, logged once, and the old one is still served", "[server][sync]") {
  live_site state;
  site_watcher watcher(state.site, *state.served, state.options());
  const auto serving = state.served->current();

  SECTION("a shard whose bytes do not match its content hash") {
    const auto written = write_generation(state.site, 4);
    // The new generation's last shard is its own (its items are new): damage it on disk.
    const fs::path shard = state.site / written.shards.back().vectors.path;
    std::fstream file(shard, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(100);
    file.put('\x7f');
    file.close();
    CHECK(watcher.check() == site_check_outcome::refused);
    CHECK(state.served->current() == serving);
    CHECK(state.heard.empty());
    REQUIRE(state.log.size() == 1);
    CHECK(contains(state.log[0], "refused the new index"));
    CHECK(contains(state.log[0], "still serving generation 1"));
    CHECK(contains(state.log[0], "checksum_mismatch"));
    CHECK(contains(state.log[0], written.shards.back().vectors.path));
    CHECK(watcher.check() == site_check_outcome::unchanged);  // the same refused manifest: not again
    CHECK(state.log.size() == 1);
    // Mended by the next run of the indexer: taken then.
    write_generation(state.site, 7);
    CHECK(watcher.check() == site_check_outcome::replaced);
    CHECK(state.served->current()->manifest().item_count() == 7);
  }
  SECTION("a manifest that is not JSON") {
    mosaic::server::testing::write_text_file(state.site / "manifest.json", "{\"format\": ");
    CHECK(watcher.check() == site_check_outcome::refused);
    CHECK(state.served->current() == serving);
    REQUIRE(state.log.size() == 1);
    CHECK(contains(state.log[0], "invalid_json"));
  }
  SECTION("a site the server's own check refuses (another model)") {
    auto options = state.options();
    options.accept = [](const mosaic::server::loaded_site& site) -> mosaic::status {
      return mosaic::make_error(mosaic::error_code::invalid_manifest, "needs model '" + site.manifest().model_id + "'");
    };
    site_watcher strict(state.site, *state.served, options);
    write_generation(state.site, 4);
    CHECK(strict.check() == site_check_outcome::refused);
    CHECK(state.served->current() == serving);
    REQUIRE(state.log.size() == 1);
    CHECK(contains(state.log[0], "invalid_manifest: needs model 'test-model'"));
  }
}

TEST_CASE("the watcher's own thread notices a rewrite within its interval", "[server][sync]") {
  live_site state;
  auto options = state.options();
  options.interval = std::chrono::milliseconds(20);
  options.log = {};  // stderr: the thread must not race the test's log vector
  std::vector<std::uint64_t> generations;
  {
    site_watcher watcher(state.site, *state.served, options);
    watcher.start();
    write_generation(state.site, 4);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (state.served->current()->manifest().generation == 1 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }  // stops and joins the thread
  CHECK(state.served->current()->manifest().generation == 2);
  CHECK(state.heard == std::vector<std::uint64_t>{2});
}
