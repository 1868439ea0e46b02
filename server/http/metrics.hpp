#pragma once
// The server's counters and latency histograms, rendered in Prometheus' text exposition format
// (version 0.0.4) for GET /metrics. Thread-safe and cheap on the hot path: a counter is an atomic
// add once its series exists. Label values are escaped; nothing secret is ever a label value (routes
// are the fixed route names, never raw request targets).
//
// Series are keyed by their labels sorted by name ({a,b} and {b,a} are one series). Using a name that
// was not declared, or declared with another type, does nothing: metrics never fail a request, and the
// tests of the caller see the missing series. The first declaration of a name stands. Histogram bounds
// are sorted and de-duplicated, +Inf is always added, NaN observations are ignored. A render reads
// each histogram's buckets once and derives _count from them, so +Inf always equals _count.
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mosaic::server {

using metric_labels = std::vector<std::pair<std::string, std::string>>;

class metrics_registry {
 public:
  metrics_registry();
  ~metrics_registry();
  metrics_registry(const metrics_registry&) = delete;
  metrics_registry& operator=(const metrics_registry&) = delete;

  // Declares a family once (name, help text; histograms also their bucket upper bounds in seconds).
  void declare_counter(std::string name, std::string help);
  void declare_gauge(std::string name, std::string help);
  void declare_histogram(std::string name, std::string help, std::vector<double> bucket_bounds);

  // Adds to / sets / observes the series of a declared family with these labels (created on first use).
  void increment(std::string_view name, const metric_labels& labels = {}, std::uint64_t amount = 1);
  void set_gauge(std::string_view name, const metric_labels& labels, double value);
  void observe(std::string_view name, const metric_labels& labels, double value);

  // All families in declaration order, series sorted by labels; "# HELP" and "# TYPE" lines included.
  [[nodiscard]] std::string render_prometheus() const;

 private:
  class implementation;
  std::unique_ptr<implementation> implementation_;
};

// Latency buckets from 0.5 ms to 30 s.
std::vector<double> default_latency_buckets();

}  // namespace mosaic::server
