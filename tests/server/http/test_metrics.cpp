// The metrics registry's Prometheus text (0.0.4), parsed back line by line: HELP and TYPE lines,
// cumulative buckets ending in +Inf that equals _count, label escaping, and totals under concurrency.
#include <catch2/catch.hpp>

#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http/metrics.hpp"

using mosaic::server::metric_labels;
using mosaic::server::metrics_registry;

namespace {

struct sample {
  std::string name;
  metric_labels labels;  // in the order written
  std::string value;
};

struct exposition {
  std::vector<std::pair<std::string, std::string>> help;  // name, unescaped text, in order
  std::vector<std::pair<std::string, std::string>> type;
  std::vector<sample> samples;
};

// A strict reader of the subset of the text format the registry writes; fails the test on anything else.
exposition parse(const std::string& text) {
  exposition parsed;
  REQUIRE((text.empty() || text.back() == '\n'));
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    CAPTURE(line);
    REQUIRE_FALSE(line.empty());
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      const std::string rest = line.substr(7);
      const auto space = rest.find(' ');
      REQUIRE(space != std::string::npos);
      std::string body;
      for (std::size_t i = space + 1; i < rest.size(); ++i) {
        if (rest[i] == '\\') {
          REQUIRE(i + 1 < rest.size());
          const char next = rest[++i];
          REQUIRE((next == '\\' || next == 'n'));
          body += next == 'n' ? '\n' : '\\';
        } else {
          body += rest[i];
        }
      }
      (line[2] == 'H' ? parsed.help : parsed.type).emplace_back(rest.substr(0, space), body);
      continue;
    }
    REQUIRE(line[0] != '#');
    sample current;
    std::size_t position = 0;
    while (position < line.size() && line[position] != '{' && line[position] != ' ') current.name += line[position++];
    REQUIRE(position < line.size());
    if (line[position] == '{') {
      ++position;
      while (line.at(position) != '}') {
        std::string label_name;
        while (line.at(position) != '=') label_name += line[position++];
        REQUIRE(line.at(++position) == '"');
        ++position;
        std::string value;
        while (line.at(position) != '"') {
          if (line[position] == '\\') {
            const char next = line.at(++position);
            REQUIRE((next == '\\' || next == 'n' || next == '"'));
            value += next == 'n' ? '\n' : next;
          } else {
            REQUIRE(line[position] != '\n');
            value += line[position];
          }
          ++position;
        }
        ++position;
        current.labels.emplace_back(label_name, value);
        if (line.at(position) == ',') ++position;
      }
      ++position;
    }
    REQUIRE(line.at(position) == ' ');
    current.value = line.substr(position + 1);
    REQUIRE_FALSE(current.value.empty());
    REQUIRE(current.value.find(' ') == std::string::npos);
    parsed.samples.push_back(current);
  }
  return parsed;
}

std::vector<sample> samples_named(const exposition& parsed, const std::string& name) {
  std::vector<sample> found;
  for (const sample& each : parsed.samples) {
    if (each.name == name) found.push_back(each);
  }
  return found;
}

}  // namespace

TEST_CASE("metrics: counters and gauges render with HELP, TYPE and labels", "[metrics]") {
  metrics_registry registry;
  registry.declare_counter("mosaic_requests_total", "Requests answered, by route and status.");
  registry.declare_gauge("mosaic_cache_entries", "Entries in the embedding cache.");
  registry.increment("mosaic_requests_total", {{"route", "embed"}, {"status", "200"}});
  registry.increment("mosaic_requests_total", {{"route", "embed"}, {"status", "200"}}, 4);
  registry.increment("mosaic_requests_total", {{"route", "search"}, {"status", "400"}});
  // Labels in another order are the same series.
  registry.increment("mosaic_requests_total", {{"status", "200"}, {"route", "embed"}});
  registry.set_gauge("mosaic_cache_entries", {}, 12.5);
  registry.set_gauge("mosaic_cache_entries", {}, 42);

  const exposition parsed = parse(registry.render_prometheus());
  REQUIRE(parsed.help.size() == 2);
  CHECK(parsed.help[0] == std::pair<std::string, std::string>{"mosaic_requests_total", "Requests answered, by route and status."});
  CHECK(parsed.type[0] == std::pair<std::string, std::string>{"mosaic_requests_total", "counter"});
  CHECK(parsed.type[1] == std::pair<std::string, std::string>{"mosaic_cache_entries", "gauge"});

  const auto requests = samples_named(parsed, "mosaic_requests_total");
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].labels == metric_labels{{"route", "embed"}, {"status", "200"}});
  CHECK(requests[0].value == "6");
  CHECK(requests[1].labels == metric_labels{{"route", "search"}, {"status", "400"}});
  CHECK(requests[1].value == "1");
  const auto entries = samples_named(parsed, "mosaic_cache_entries");
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].labels.empty());
  CHECK(entries[0].value == "42");
  CHECK(parsed.samples.size() == 3);
}

TEST_CASE("metrics: histograms have cumulative buckets, +Inf, _sum and _count", "[metrics]") {
  metrics_registry registry;
  registry.declare_histogram("mosaic_request_seconds", "Request latency.", {0.1, 0.01, 1.0});  // unsorted on purpose
  for (const double value : {0.005, 0.01, 0.05, 0.5, 0.7, 2.0, 100.0}) {
    registry.observe("mosaic_request_seconds", {{"route", "embed"}}, value);
  }
  const exposition parsed = parse(registry.render_prometheus());
  CHECK(parsed.type.at(0).second == "histogram");
  const auto buckets = samples_named(parsed, "mosaic_request_seconds_bucket");
  REQUIRE(buckets.size() == 4);
  const std::vector<std::string> bounds = {"0.01", "0.1", "1", "+Inf"};
  // le is inclusive (0.01 lands in the 0.01 bucket) and every count includes the buckets below it.
  const std::vector<std::string> cumulative = {"2", "3", "5", "7"};
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    CHECK(buckets[i].labels == metric_labels{{"route", "embed"}, {"le", bounds[i]}});
    CHECK(buckets[i].value == cumulative[i]);
  }
  const auto sum = samples_named(parsed, "mosaic_request_seconds_sum");
  REQUIRE(sum.size() == 1);
  CHECK(std::stod(sum[0].value) == Approx(103.265));
  const auto count = samples_named(parsed, "mosaic_request_seconds_count");
  REQUIRE(count.size() == 1);
  CHECK(count[0].value == "7");
  CHECK(count[0].labels == metric_labels{{"route", "embed"}});
}

TEST_CASE("metrics: label values and help text are escaped", "[metrics]") {
  metrics_registry registry;
  registry.declare_counter("mosaic_odd_total", "A help text with a backslash \\ and a\nnewline.");
  const std::string awkward = "quote \" backslash \\ newline \n end";
  registry.increment("mosaic_odd_total", {{"value", awkward}});
  const std::string text = registry.render_prometheus();
  CHECK(text.find("value=\"quote \\\" backslash \\\\ newline \\n end\"") != std::string::npos);
  const exposition parsed = parse(text);
  CHECK(parsed.help.at(0).second == "A help text with a backslash \\ and a\nnewline.");
  REQUIRE(parsed.samples.size() == 1);
  CHECK(parsed.samples[0].labels == metric_labels{{"value", awkward}});
}

TEST_CASE("metrics: undeclared names and type mismatches are ignored, the first declaration stands", "[metrics]") {
  metrics_registry registry;
  registry.declare_counter("mosaic_a_total", "first");
  registry.declare_gauge("mosaic_a_total", "second");
  registry.increment("mosaic_undeclared_total");
  registry.observe("mosaic_a_total", {}, 1.0);
  registry.set_gauge("mosaic_a_total", {}, 5.0);
  registry.increment("mosaic_a_total");
  const exposition parsed = parse(registry.render_prometheus());
  REQUIRE(parsed.help.size() == 1);
  CHECK(parsed.help[0].second == "first");
  REQUIRE(parsed.samples.size() == 1);
  CHECK(parsed.samples[0].value == "1");
}

TEST_CASE("metrics: concurrent increments and observations sum correctly", "[metrics]") {
  metrics_registry registry;
  registry.declare_counter("mosaic_hits_total", "Hits.");
  registry.declare_histogram("mosaic_latency_seconds", "Latency.", mosaic::server::default_latency_buckets());
  constexpr int threads = 8;
  constexpr int per_thread = 20'000;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&registry, t] {
      const std::string route = t % 2 ? "odd" : "even";
      for (int i = 0; i < per_thread; ++i) {
        registry.increment("mosaic_hits_total", {{"route", route}});
        registry.observe("mosaic_latency_seconds", {{"route", route}}, 0.001);
        if (i % 1000 == 0) static_cast<void>(registry.render_prometheus());  // renders while writers write
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  const exposition parsed = parse(registry.render_prometheus());
  const auto hits = samples_named(parsed, "mosaic_hits_total");
  REQUIRE(hits.size() == 2);
  for (const sample& each : hits) CHECK(each.value == std::to_string(threads / 2 * per_thread));
  for (const sample& each : samples_named(parsed, "mosaic_latency_seconds_count")) {
    CHECK(each.value == std::to_string(threads / 2 * per_thread));
  }
  // 0.001 falls in the le="0.001" bucket and every bucket above it.
  for (const sample& each : samples_named(parsed, "mosaic_latency_seconds_bucket")) {
    const std::string& bound = each.labels.back().second;
    CHECK(each.value == (bound == "0.0005" ? "0" : std::to_string(threads / 2 * per_thread)));
  }
}

TEST_CASE("metrics: default latency buckets run from 0.5 ms to 30 s, increasing", "[metrics]") {
  const auto buckets = mosaic::server::default_latency_buckets();
  REQUIRE(buckets.size() >= 10);
  CHECK(buckets.front() == 0.0005);
  CHECK(buckets.back() == 30.0);
  CHECK(std::is_sorted(buckets.begin(), buckets.end()));
  CHECK(std::adjacent_find(buckets.begin(), buckets.end()) == buckets.end());
}
