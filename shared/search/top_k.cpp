#include "search/top_k.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>

#include "vector/kernels.hpp"

namespace mosaic::search {
namespace {

// Rows are scored in blocks: large enough that the per-call cost of a kernel vanishes, small enough
// that the block's scores stay in L1.
constexpr std::size_t block_rows = 256;

// Keeps the k best hits seen so far; the worst of them sits at the front of the heap.
class bounded_heap {
 public:
  explicit bounded_heap(std::size_t capacity) : capacity_(capacity) { hits_.reserve(capacity); }

  // A score below this cannot enter (-infinity until the heap is full). The scan keeps a copy in a
  // register and calls offer() only when a score is not below it, so most rows cost one comparison.
  [[nodiscard]] float entry_threshold() const noexcept {
    return hits_.size() < capacity_ ? -std::numeric_limits<float>::infinity() : hits_.front().score;
  }

  void offer(const search_hit& candidate) {
    if (hits_.size() < capacity_) {
      hits_.push_back(candidate);
      std::push_heap(hits_.begin(), hits_.end(), ranks_before);
      return;
    }
    if (!ranks_before(candidate, hits_.front())) return;
    std::pop_heap(hits_.begin(), hits_.end(), ranks_before);
    hits_.back() = candidate;
    std::push_heap(hits_.begin(), hits_.end(), ranks_before);
  }

  std::vector<search_hit> take_sorted() && {
    std::sort(hits_.begin(), hits_.end(), ranks_before);
    return std::move(hits_);
  }

 private:
  std::size_t capacity_;
  std::vector<search_hit> hits_;
};

// Scores rows [first, first + count) of one shard into `scores` (float cosine estimates).
void score_run(const prepared_query& query, const index::shard_view& shard, i8_query_mode mode, std::size_t first,
               std::size_t count, std::span<float> scores, std::span<std::int32_t> integer_scores) {
  const vector::kernel_table& kernels = vector::active_kernels();
  const std::size_t dimensions = shard.dimensions;
  if (shard.kind == index::quantization::f32) {
    kernels.scores_f32(query.unit.data(), shard.vectors_f32.data() + first * dimensions, dimensions, count,
                       scores.data());
    return;
  }
  const std::int8_t* rows = shard.vectors_i8.data() + first * dimensions;
  if (mode == i8_query_mode::quantized_query) {
    kernels.scores_i8(query.codes.data(), rows, dimensions, count, integer_scores.data());
    for (std::size_t i = 0; i < count; ++i) {
      scores[i] = static_cast<float>(integer_scores[i]) * query.scale * shard.scales[first + i];
    }
  } else {
    kernels.scores_f32_i8(query.unit.data(), rows, dimensions, count, scores.data());
    for (std::size_t i = 0; i < count; ++i) scores[i] *= shard.scales[first + i];
  }
}

bool is_excluded(const filter& conditions, std::uint64_t item_id) noexcept {
  return std::find(conditions.excluded_item_ids.begin(), conditions.excluded_item_ids.end(), item_id) !=
         conditions.excluded_item_ids.end();
}

status validate(std::size_t query_dimensions, std::span<const searchable_shard> shards, const search_options& options) {
  const bool needs_attributes = options.filter.needs_attributes() || options.labelled_k > 0;
  for (std::size_t position = 0; position < shards.size(); ++position) {
    const searchable_shard& shard = shards[position];
    if (shard.vectors.dimensions != query_dimensions) {
      return make_error(error_code::dimension_mismatch, "query has " + std::to_string(query_dimensions) +
                                                            " dimensions but shard " + std::to_string(position) +
                                                            " stores " + std::to_string(shard.vectors.dimensions));
    }
    if (needs_attributes) {
      const shard_attributes* attributes = shard.attributes;
      if (attributes == nullptr) {
        return make_error(error_code::invalid_argument,
                          std::string(options.filter.needs_attributes() ? "the filter uses modality, label or tags"
                                                                        : "the label vote reads labels") +
                              " but shard " + std::to_string(position) + " has no item attributes");
      }
      const std::size_t rows = shard.vectors.item_count;
      if (attributes->modalities.size() != rows || attributes->labels.size() != rows ||
          attributes->tag_offsets.size() != rows + 1 || attributes->tag_offsets.back() != attributes->tags.size()) {
        return make_error(error_code::invalid_argument,
                          "item attributes of shard " + std::to_string(position) + " do not match its row count");
      }
    }
  }
  if (shards.size() > 0xFFFFFFFFULL) return make_error(error_code::invalid_argument, "too many shards");
  return success{};
}

}  // namespace

result<scan_outcome> scan(const prepared_query& query, std::span<const searchable_shard> shards,
                          const search_options& options) {
  if (auto valid = validate(query.dimensions(), shards, options); !valid) return std::move(valid).failure();
  scan_outcome outcome;
  // k is caller input: a heap never holds more than every row, so a huge k cannot size an
  // allocation (reserve(k) threw std::length_error natively and aborted in wasm).
  std::size_t total_rows = 0;
  for (const searchable_shard& shard : shards) total_rows += shard.vectors.item_count;
  const std::size_t best_capacity = std::min(options.k, total_rows);
  const std::size_t labelled_capacity = std::min(options.labelled_k, total_rows);
  if (best_capacity == 0 && labelled_capacity == 0) return outcome;
  bounded_heap best(best_capacity);
  bounded_heap labelled(labelled_capacity);
  const filter& conditions = options.filter;
  const bool unrestricted = conditions.is_unrestricted();
  std::array<float, block_rows> scores{};
  std::array<std::int32_t, block_rows> integer_scores{};

  // A row must beat this to enter either heap (an empty heap admits everything: -infinity).
  auto entry_threshold = [&] {
    if (labelled_capacity == 0) return best.entry_threshold();
    if (best_capacity == 0) return labelled.entry_threshold();
    return std::min(best.entry_threshold(), labelled.entry_threshold());
  };
  float threshold = entry_threshold();
  // Offers rows [run_start, run_start + run_length) whose scores are in `scores`.
  auto offer_run = [&](std::uint32_t shard_index, const searchable_shard& shard, std::size_t run_start,
                       std::size_t run_length) {
    for (std::size_t i = 0; i < run_length; ++i) {
      // `!(score < threshold)` is also true for NaN, so NaN takes this rare path and is ranked last.
      if (!(scores[i] < threshold)) [[unlikely]] {
        // A view built by hand (decode_shard bounds components) may hold values whose SIMD sums
        // overflow to inf - inf = NaN; NaN is unordered and would break the total order, so it ranks
        // as -infinity.
        const float score = std::isnan(scores[i]) ? -std::numeric_limits<float>::infinity() : scores[i];
        const auto row = static_cast<std::uint32_t>(run_start + i);
        const search_hit hit{shard.vectors.item_id(row), score, shard_index, row};
        if (best_capacity > 0) best.offer(hit);
        if (labelled_capacity > 0 && shard.attributes->labels[row] != 0) labelled.offer(hit);
        threshold = entry_threshold();
      }
    }
  };

  for (std::size_t shard_index = 0; shard_index < shards.size(); ++shard_index) {
    const searchable_shard& shard = shards[shard_index];
    const std::size_t row_count = shard.vectors.item_count;
    const auto shard_number = static_cast<std::uint32_t>(shard_index);
    auto accept = [&](std::size_t row) {
      if (conditions.needs_attributes() && !row_passes(conditions, *shard.attributes, row)) return false;
      return conditions.excluded_item_ids.empty() || !is_excluded(conditions, shard.vectors.item_id(row));
    };
    for (std::size_t block_start = 0; block_start < row_count; block_start += block_rows) {
      const std::size_t block_end = std::min(row_count, block_start + block_rows);
      if (unrestricted) {
        score_run(query, shard.vectors, options.i8_mode, block_start, block_end - block_start, scores,
                  integer_scores);
        offer_run(shard_number, shard, block_start, block_end - block_start);
        continue;
      }
      // Score each maximal run of accepted rows with one kernel call; rejected rows cost no arithmetic.
      std::size_t row = block_start;
      while (row < block_end) {
        while (row < block_end && !accept(row)) ++row;
        const std::size_t run_start = row;
        while (row < block_end && accept(row)) ++row;
        if (row == run_start) continue;
        score_run(query, shard.vectors, options.i8_mode, run_start, row - run_start, scores, integer_scores);
        offer_run(shard_number, shard, run_start, row - run_start);
      }
    }
  }
  outcome.best = std::move(best).take_sorted();
  outcome.best_labelled = std::move(labelled).take_sorted();
  return outcome;
}

result<std::vector<search_hit>> top_k(std::span<const float> query, std::span<const searchable_shard> shards,
                                      const search_options& options) {
  // Shapes first, so a query of the wrong size is a dimension_mismatch whatever its values.
  if (auto valid = validate(query.size(), shards, options); !valid) return std::move(valid).failure();
  auto prepared = prepare_query(query, query.size());
  if (!prepared) return std::move(prepared).failure();
  auto outcome = scan(prepared.value(), shards, options);
  if (!outcome) return std::move(outcome).failure();
  return std::move(outcome->best);
}

}  // namespace mosaic::search
