#include "http/metrics.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

namespace mosaic::server {
namespace {

enum class family_type : std::uint8_t { counter, gauge, histogram };

std::string_view type_name(family_type type) {
  switch (type) {
    case family_type::counter: return "counter";
    case family_type::gauge: return "gauge";
    case family_type::histogram: return "histogram";
  }
  return "untyped";
}

// One labelled series. Only the fields of its family's type are used; all are atomics so the hot path
// takes no exclusive lock once the series exists.
struct series {
  explicit series(std::size_t buckets) : bucket_counts(buckets + 1) {}
  std::atomic<std::uint64_t> counter{0};
  std::atomic<double> gauge{0.0};
  std::vector<std::atomic<std::uint64_t>> bucket_counts;  // per bucket (not cumulative), then +Inf
  std::atomic<double> sum{0.0};
};

struct family {
  std::string name;
  std::string help;
  family_type type = family_type::counter;
  std::vector<double> bounds;  // histograms: sorted, finite upper bounds
  std::map<metric_labels, std::unique_ptr<series>> members;  // sorted by label names, then values
};

// Prometheus' float text: shortest round-trip digits, and its spelling of infinities and NaN.
void append_number(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    // Plain decimals for the usual range ("0.0005", not "5e-04"); exponents only where they are shorter
    // by far. Both are the shortest digits that read back as the same double.
    char buffer[64];
    const double magnitude = std::fabs(value);
    const auto converted = magnitude == 0.0 || (magnitude >= 1e-6 && magnitude < 1e15)
                               ? std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed)
                               : std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, converted.ptr);
  }
}

// Label values escape backslash, double quote and newline; HELP text escapes backslash and newline.
void append_escaped(std::string& out, std::string_view text, bool escape_quote) {
  for (const char character : text) {
    if (character == '\\') {
      out += "\\\\";
    } else if (character == '\n') {
      out += "\\n";
    } else if (character == '"' && escape_quote) {
      out += "\\\"";
    } else {
      out += character;
    }
  }
}

void append_labels(std::string& out, const metric_labels& labels, const std::string* bucket_bound) {
  if (labels.empty() && !bucket_bound) return;
  out += '{';
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += name;
    out += "=\"";
    append_escaped(out, value, true);
    out += '"';
  }
  if (bucket_bound) {
    if (!first) out += ',';
    out += "le=\"";
    out += *bucket_bound;
    out += '"';
  }
  out += '}';
}

}  // namespace

class metrics_registry::implementation {
 public:
  void declare(std::string name, std::string help, family_type type, std::vector<double> bounds) {
    std::unique_lock lock(mutex_);
    if (by_name_.contains(name)) return;  // the first declaration stands
    auto declared = std::make_unique<family>();
    declared->name = name;
    declared->help = std::move(help);
    declared->type = type;
    std::erase_if(bounds, [](double bound) { return !std::isfinite(bound); });  // +Inf is always added
    std::sort(bounds.begin(), bounds.end());
    bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
    declared->bounds = std::move(bounds);
    by_name_.emplace(std::move(name), declared.get());
    families_.push_back(std::move(declared));
  }

  // The series of a declared family of `type`; nullptr for an undeclared name or a type mismatch.
  series* find_or_create(std::string_view name, const metric_labels& labels, family_type type) {
    // Series are keyed by labels sorted by name, so {a,b} and {b,a} are one series. Callers usually
    // pass them sorted already, which then costs no copy.
    metric_labels sorted_copy;
    const metric_labels* key = &labels;
    if (!std::is_sorted(labels.begin(), labels.end())) {
      sorted_copy = labels;
      std::sort(sorted_copy.begin(), sorted_copy.end());
      key = &sorted_copy;
    }
    {
      std::shared_lock lock(mutex_);
      family* found = lookup(name, type);
      if (!found) return nullptr;
      if (auto member = found->members.find(*key); member != found->members.end()) return member->second.get();
    }
    std::unique_lock lock(mutex_);
    family* found = lookup(name, type);
    if (!found) return nullptr;
    auto [member, inserted] = found->members.try_emplace(*key);
    if (inserted) member->second = std::make_unique<series>(found->bounds.size());
    // Series are never removed, so the pointer stays valid after the lock is released.
    return member->second.get();
  }

  void observe(std::string_view name, const metric_labels& labels, double value) {
    // NaN belongs in no bucket and would poison _sum for good.
    if (std::isnan(value)) return;
    series* target = find_or_create(name, labels, family_type::histogram);
    if (!target) return;
    const std::vector<double>& bounds = bounds_of(name);
    // le is inclusive: a value equal to a bound counts in that bound's bucket.
    const auto bucket = static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
    target->bucket_counts[bucket].fetch_add(1, std::memory_order_relaxed);
    target->sum.fetch_add(value, std::memory_order_relaxed);
  }

  std::string render() const {
    std::string out;
    std::shared_lock lock(mutex_);
    for (const auto& each : families_) {
      out += "# HELP ";
      out += each->name;
      out += ' ';
      append_escaped(out, each->help, false);
      out += "\n# TYPE ";
      out += each->name;
      out += ' ';
      out += type_name(each->type);
      out += '\n';
      for (const auto& [labels, member] : each->members) {
        if (each->type == family_type::counter) {
          out += each->name;
          append_labels(out, labels, nullptr);
          out += ' ';
          out += std::to_string(member->counter.load(std::memory_order_relaxed));
          out += '\n';
        } else if (each->type == family_type::gauge) {
          out += each->name;
          append_labels(out, labels, nullptr);
          out += ' ';
          append_number(out, member->gauge.load(std::memory_order_relaxed));
          out += '\n';
        } else {
          // The count is the sum of the buckets read here, so +Inf always equals _count even while
          // observations land during the render.
          std::uint64_t cumulative = 0;
          for (std::size_t bucket = 0; bucket < member->bucket_counts.size(); ++bucket) {
            cumulative += member->bucket_counts[bucket].load(std::memory_order_relaxed);
            std::string bound;
            if (bucket < each->bounds.size()) {
              append_number(bound, each->bounds[bucket]);
            } else {
              bound = "+Inf";
            }
            out += each->name;
            out += "_bucket";
            append_labels(out, labels, &bound);
            out += ' ';
            out += std::to_string(cumulative);
            out += '\n';
          }
          out += each->name;
          out += "_sum";
          append_labels(out, labels, nullptr);
          out += ' ';
          append_number(out, member->sum.load(std::memory_order_relaxed));
          out += '\n';
          out += each->name;
          out += "_count";
          append_labels(out, labels, nullptr);
          out += ' ';
          out += std::to_string(cumulative);
          out += '\n';
        }
      }
    }
    return out;
  }

 private:
  family* lookup(std::string_view name, family_type type) const {
    const auto found = by_name_.find(std::string(name));
    if (found == by_name_.end() || found->second->type != type) return nullptr;
    return found->second;
  }
  const std::vector<double>& bounds_of(std::string_view name) const {
    std::shared_lock lock(mutex_);
    // Bounds never change after declaration, so the reference outlives the lock.
    return by_name_.find(std::string(name))->second->bounds;
  }

  mutable std::shared_mutex mutex_;
  std::vector<std::unique_ptr<family>> families_;  // declaration order
  std::unordered_map<std::string, family*> by_name_;
};

metrics_registry::metrics_registry() : implementation_(std::make_unique<implementation>()) {}
metrics_registry::~metrics_registry() = default;

void metrics_registry::declare_counter(std::string name, std::string help) {
  implementation_->declare(std::move(name), std::move(help), family_type::counter, {});
}
void metrics_registry::declare_gauge(std::string name, std::string help) {
  implementation_->declare(std::move(name), std::move(help), family_type::gauge, {});
}
void metrics_registry::declare_histogram(std::string name, std::string help, std::vector<double> bucket_bounds) {
  implementation_->declare(std::move(name), std::move(help), family_type::histogram, std::move(bucket_bounds));
}

void metrics_registry::increment(std::string_view name, const metric_labels& labels, std::uint64_t amount) {
  if (series* target = implementation_->find_or_create(name, labels, family_type::counter)) {
    target->counter.fetch_add(amount, std::memory_order_relaxed);
  }
}
void metrics_registry::set_gauge(std::string_view name, const metric_labels& labels, double value) {
  if (series* target = implementation_->find_or_create(name, labels, family_type::gauge)) {
    target->gauge.store(value, std::memory_order_relaxed);
  }
}
void metrics_registry::observe(std::string_view name, const metric_labels& labels, double value) {
  implementation_->observe(name, labels, value);
}

std::string metrics_registry::render_prometheus() const { return implementation_->render(); }

std::vector<double> default_latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0};
}

}  // namespace mosaic::server
