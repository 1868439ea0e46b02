#include "partition/partitioned_search.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <numbers>
#include <tuple>

#include "vector/kernels.hpp"
#include "vector/quantize.hpp"

namespace mosaic::partition {
namespace {

std::string describe(std::uint64_t value) { return std::to_string(value); }

bool nearer(const candidate& left, const candidate& right) noexcept {
  if (left.estimate != right.estimate) return left.estimate > right.estimate;
  return std::tie(left.partition, left.row) < std::tie(right.partition, right.row);
}

float dot(std::span<const float> left, std::span<const float> right) noexcept {
  double sum = 0.0;
  for (std::size_t i = 0; i < left.size(); ++i) sum += static_cast<double>(left[i]) * static_cast<double>(right[i]);
  return static_cast<float>(sum);
}

bool ranks_before(const partitioned_hit& left, const partitioned_hit& right) noexcept {
  if (left.score != right.score) return left.score > right.score;
  return std::tie(left.partition, left.row) < std::tie(right.partition, right.row);
}

// The rerank_depth nearest candidates seen so far: a max-heap under `nearer`, so its top is the one
// to drop when a nearer row arrives.
class candidate_collector {
 public:
  explicit candidate_collector(std::size_t depth) : depth_(depth) {}

  status scan(const quantized_query& query, const partition_view& partition, const row_filter& filter,
              const residual_statistics* statistics = nullptr) {
    if (partition.dimensions != query.unit.size()) {
      return make_error(error_code::dimension_mismatch, "partition " + describe(partition.partition) + " has " +
                                                            describe(partition.dimensions) + " dimensions, the query " +
                                                            describe(query.unit.size()));
    }
    if (std::find(scanned_.begin(), scanned_.end(), partition.partition) != scanned_.end()) {
      return make_error(error_code::invalid_argument,
                        "partition " + describe(partition.partition) + " is probed twice");
    }
    scanned_.push_back(partition.partition);
    query_code_.assign(partition.code_bytes, 0);
    compute_sign_code(query.unit, partition.centre, query_code_);
    distances_.resize(partition.item_count);
    if (partition.item_count > 0) {
      vector::active_kernels().hamming_distances(query_code_.data(), partition.codes.data(), partition.code_bytes,
                                                 partition.item_count, distances_.data());
    }
    rows_scanned_ += partition.item_count;
    if (statistics != nullptr && (statistics->norms.size() != partition.item_count ||
                                  statistics->centre_dots.size() != partition.item_count)) {
      return make_error(error_code::invalid_argument,
                        "the residual statistics of partition " + describe(partition.partition) + " do not match its rows");
    }
    // The query's side of the estimate, once per partition: |c|^2 + <c, s> and |s|.
    float offset = 0.0f;
    float query_residual_norm = 0.0f;
    if (statistics != nullptr) {
      residual_.resize(query.unit.size());
      for (std::size_t i = 0; i < residual_.size(); ++i) residual_[i] = query.unit[i] - partition.centre[i];
      offset = statistics->centre_squared_norm + dot(partition.centre, residual_);
      query_residual_norm = std::sqrt(dot(residual_, residual_));
      prepare_cosines(query.unit.size());
    }
    for (std::size_t row = 0; row < partition.item_count; ++row) {
      if (filter && !filter(partition.partition, static_cast<std::uint32_t>(row))) continue;
      ++rows_passed_;
      const std::uint32_t distance = distances_[row];
      const float estimate =
          statistics == nullptr
              ? -static_cast<float>(distance)
              : offset + statistics->centre_dots[row] +
                    query_residual_norm * statistics->norms[row] * cosines_[std::min<std::size_t>(distance, cosines_.size() - 1)];
      const candidate found{partition.partition, static_cast<std::uint32_t>(row), distance, estimate};
      if (heap_.size() < depth_) {
        heap_.push_back(found);
        std::push_heap(heap_.begin(), heap_.end(), nearer);
      } else if (depth_ > 0 && nearer(found, heap_.front())) {
        std::pop_heap(heap_.begin(), heap_.end(), nearer);
        heap_.back() = found;
        std::push_heap(heap_.begin(), heap_.end(), nearer);
      }
    }
    return success{};
  }

  candidate_scan finish() {
    candidate_scan scan;
    std::sort_heap(heap_.begin(), heap_.end(), nearer);
    scan.candidates = std::move(heap_);
    scan.rows_scanned = rows_scanned_;
    scan.rows_passed = rows_passed_;
    return scan;
  }

  [[nodiscard]] std::size_t rows_passed() const noexcept { return rows_passed_; }

 private:
  std::size_t depth_;
  std::vector<candidate> heap_;
  std::vector<std::uint32_t> scanned_;
  std::vector<std::uint8_t> query_code_;
  std::vector<std::uint32_t> distances_;
  std::vector<float> residual_;
  std::vector<float> cosines_;  // cos(pi h / d) for h = 0..d

  void prepare_cosines(std::size_t dimensions) {
    if (cosines_.size() == dimensions + 1) return;
    cosines_.resize(dimensions + 1);
    for (std::size_t h = 0; h <= dimensions; ++h) {
      cosines_[h] = static_cast<float>(std::cos(std::numbers::pi * static_cast<double>(h) / static_cast<double>(dimensions)));
    }
  }
  std::size_t rows_scanned_ = 0;
  std::size_t rows_passed_ = 0;
};

const partition_view* find_partition(std::span<const partition_view> loaded, std::uint32_t partition) noexcept {
  for (const partition_view& view : loaded) {
    if (view.partition == partition) return &view;
  }
  return nullptr;
}

}  // namespace

result<quantized_query> quantize_query(std::span<const float> unit_query) {
  if (unit_query.empty() || unit_query.size() > vector::max_kernel_dimensions) {
    return make_error(error_code::dimension_mismatch,
                      "a query has 1 ... 65536 dimensions, got " + describe(unit_query.size()));
  }
  quantized_query query;
  query.unit.assign(unit_query.begin(), unit_query.end());
  query.codes.resize(unit_query.size());
  auto scale = vector::quantize_i8(unit_query, query.codes);
  if (!scale) return std::move(scale).failure();
  if (scale.value() == 0.0f) return make_error(error_code::zero_vector, "the query is a zero vector");
  query.scale = scale.value();
  return query;
}

result<std::vector<ranked_partition>> rank_partitions(const index::shard_view& centroids, const quantized_query& query) {
  if (centroids.kind != index::quantization::i8) {
    return make_error(error_code::unsupported_quantization, "a centroid table is an int8 shard");
  }
  if (centroids.dimensions != query.codes.size()) {
    return make_error(error_code::dimension_mismatch, "the centroid table has " + describe(centroids.dimensions) +
                                                          " dimensions, the query " + describe(query.codes.size()));
  }
  std::vector<std::int32_t> dots(centroids.item_count);
  if (centroids.item_count > 0) {
    vector::active_kernels().scores_i8(query.codes.data(), centroids.vectors_i8.data(), centroids.dimensions,
                                       centroids.item_count, dots.data());
  }
  std::vector<ranked_partition> ranked(centroids.item_count);
  for (std::size_t row = 0; row < centroids.item_count; ++row) {
    ranked[row] = {static_cast<std::uint32_t>(row), static_cast<float>(dots[row]) * query.scale * centroids.scales[row]};
  }
  std::sort(ranked.begin(), ranked.end(), [](const ranked_partition& left, const ranked_partition& right) {
    if (left.score != right.score) return left.score > right.score;
    return left.partition < right.partition;
  });
  return ranked;
}

result<residual_statistics> compute_residual_statistics(const partition_view& whole) {
  if (!whole.has_rows) {
    return make_error(error_code::invalid_argument, "residual statistics need a whole partition, not its head");
  }
  residual_statistics statistics;
  statistics.centre_squared_norm = dot(whole.centre, whole.centre);
  statistics.norms.resize(whole.item_count);
  statistics.centre_dots.resize(whole.item_count);
  for (std::size_t row = 0; row < whole.item_count; ++row) {
    const partition_row values = whole.row(row);
    double squared = 0.0;
    double centre_dot = 0.0;
    for (std::size_t i = 0; i < whole.dimensions; ++i) {
      const double residual = static_cast<double>(values.codes[i]) * static_cast<double>(values.scale) - static_cast<double>(whole.centre[i]);
      squared += residual * residual;
      centre_dot += residual * static_cast<double>(whole.centre[i]);
    }
    statistics.norms[row] = static_cast<float>(std::sqrt(squared));
    statistics.centre_dots[row] = static_cast<float>(centre_dot);
  }
  return statistics;
}

result<candidate_scan> candidate_rows(const quantized_query& query, std::span<const partition_view> probed,
                                      std::size_t rerank_depth, const row_filter& filter,
                                      std::span<const residual_statistics* const> statistics) {
  if (!statistics.empty() && statistics.size() != probed.size()) {
    return make_error(error_code::invalid_argument, "residual statistics must be given for every probed partition or none");
  }
  std::size_t rows_to_scan = 0;
  for (const partition_view& view : probed) rows_to_scan += view.item_count;
  candidate_collector collector(rerank_depth_for(rerank_depth, rows_to_scan, 1));
  for (std::size_t i = 0; i < probed.size(); ++i) {
    const residual_statistics* numbers = statistics.empty() ? nullptr : statistics[i];
    if (auto scanned = collector.scan(query, probed[i], filter, numbers); !scanned) return std::move(scanned).failure();
  }
  return collector.finish();
}

result<std::vector<rerank_row>> rows_of_candidates(std::span<const candidate> candidates,
                                                   std::span<const partition_view> loaded) {
  // Partition number -> view, sorted for binary search: a query may hold hundreds of partitions.
  std::vector<std::pair<std::uint32_t, const partition_view*>> by_number;
  by_number.reserve(loaded.size());
  for (const partition_view& view : loaded) by_number.emplace_back(view.partition, &view);
  std::sort(by_number.begin(), by_number.end());
  std::vector<rerank_row> rows;
  rows.reserve(candidates.size());
  for (const candidate& wanted : candidates) {
    const auto found = std::lower_bound(by_number.begin(), by_number.end(),
                                        std::pair<std::uint32_t, const partition_view*>{wanted.partition, nullptr});
    const partition_view* view = (found != by_number.end() && found->first == wanted.partition) ? found->second : nullptr;
    if (view == nullptr || !view->has_rows) {
      return make_error(error_code::invalid_argument,
                        "the rows of partition " + describe(wanted.partition) + " are not loaded");
    }
    if (wanted.row >= view->item_count) {
      return make_error(error_code::invalid_argument, "partition " + describe(wanted.partition) + " has no row " +
                                                          describe(wanted.row));
    }
    rows.push_back({wanted.partition, wanted.row, view->item_id(wanted.row), view->row(wanted.row)});
  }
  return rows;
}

result<std::vector<partitioned_hit>> rerank(const quantized_query& query, std::span<const rerank_row> rows,
                                            std::size_t k) {
  const vector::kernel_table& kernels = vector::active_kernels();
  std::vector<partitioned_hit> hits;
  hits.reserve(rows.size());
  for (const rerank_row& row : rows) {
    if (row.data.codes.size() != query.codes.size()) {
      return make_error(error_code::dimension_mismatch, "a row of partition " + describe(row.partition) + " has " +
                                                            describe(row.data.codes.size()) + " dimensions, the query " +
                                                            describe(query.codes.size()));
    }
    const std::int32_t dot = kernels.dot_i8(query.codes.data(), row.data.codes.data(), query.codes.size());
    hits.push_back({row.item_id, static_cast<float>(dot) * query.scale * row.data.scale, row.partition, row.row});
  }
  const std::size_t kept = std::min(k, hits.size());
  std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(kept), hits.end(), ranks_before);
  hits.resize(kept);
  return hits;
}

std::size_t rerank_depth_for(std::size_t requested, std::size_t rows_to_scan, std::size_t k) noexcept {
  std::size_t depth = requested;
  if (requested == automatic_rerank_depth) {
    depth = std::min(std::max(minimum_automatic_rerank_depth, rows_to_scan / rows_scanned_per_automatic_rerank),
                     max_rerank_depth);
  }
  return std::max(depth, k);
}

std::size_t initial_probe_count(std::size_t partition_count, const partitioned_search_options& options) noexcept {
  return std::min(std::max<std::size_t>(options.nprobe, 1), partition_count);
}

bool should_probe_further(std::size_t probed, std::size_t rows_passed, std::size_t partition_count,
                          const partitioned_search_options& options) noexcept {
  if (!options.filter || rows_passed >= options.k) return false;
  return probed < std::min(options.filtered_probe_budget, partition_count);
}

result<partitioned_search_outcome> search_partitions(const index::shard_view& centroids,
                                                     std::span<const float> unit_query,
                                                     std::span<const partition_view> loaded,
                                                     const partitioned_search_options& options,
                                                     std::span<const residual_statistics> statistics) {
  if (!statistics.empty() && statistics.size() != loaded.size()) {
    return make_error(error_code::invalid_argument, "residual statistics must be given for every loaded partition or none");
  }
  auto query = quantize_query(unit_query);
  if (!query) return std::move(query).failure();
  auto ranked = rank_partitions(centroids, query.value());
  if (!ranked) return std::move(ranked).failure();

  partitioned_search_outcome outcome;
  const std::size_t partition_count = ranked->size();
  const std::size_t first_probe = initial_probe_count(partition_count, options);
  auto loaded_view = [&](std::size_t rank) -> result<const partition_view*> {
    const std::uint32_t partition = (*ranked)[rank].partition;
    const partition_view* view = find_partition(loaded, partition);
    if (view == nullptr) {
      return make_error(error_code::invalid_argument, "partition " + describe(partition) + " is not loaded");
    }
    return view;
  };
  // The automatic depth follows the rows of the first probe (the filter's further probes keep it).
  std::size_t rows_to_scan = 0;
  for (std::size_t rank = 0; rank < first_probe; ++rank) {
    auto view = loaded_view(rank);
    if (!view) return std::move(view).failure();
    rows_to_scan += view.value()->item_count;
  }
  candidate_collector collector(rerank_depth_for(options.rerank_depth, rows_to_scan, options.k));
  auto probe = [&](std::size_t rank) -> status {
    auto view = loaded_view(rank);
    if (!view) return std::move(view).failure();
    outcome.probed_partitions.push_back((*ranked)[rank].partition);
    const residual_statistics* numbers =
        statistics.empty() ? nullptr : &statistics[static_cast<std::size_t>(view.value() - loaded.data())];
    return collector.scan(query.value(), *view.value(), options.filter, numbers);
  };
  std::size_t probed = 0;
  for (; probed < first_probe; ++probed) {
    if (auto scanned = probe(probed); !scanned) return std::move(scanned).failure();
  }
  while (probed < partition_count && should_probe_further(probed, collector.rows_passed(), partition_count, options)) {
    if (auto scanned = probe(probed); !scanned) return std::move(scanned).failure();
    ++probed;
  }
  candidate_scan scan = collector.finish();
  outcome.rows_scanned = scan.rows_scanned;
  outcome.rows_passed = scan.rows_passed;
  auto rows = rows_of_candidates(scan.candidates, loaded);
  if (!rows) return std::move(rows).failure();
  auto hits = rerank(query.value(), rows.value(), options.k);
  if (!hits) return std::move(hits).failure();
  outcome.hits = std::move(hits).value();
  return outcome;
}

}  // namespace mosaic::partition
