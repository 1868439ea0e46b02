// Exact top-k search checked against brute force. The search must return exactly the k best rows in
// the documented total order (score descending, then shard, then row), with filters applied during
// the scan, under every kernel variant this target has.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <limits>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "index/modality.hpp"
#include "index/shard_codec.hpp"
#include "search/filter.hpp"
#include "search/top_k.hpp"
#include "vector/kernels.hpp"
#include "vector/normalize.hpp"
#include "vector/quantize.hpp"
#include "outcome_name.hpp"

using mosaic::test::outcome_name;
using mosaic::error_code_name;
using mosaic::index::modality;
using mosaic::index::quantization;
using mosaic::search::i8_query_mode;
using mosaic::search::search_hit;
using mosaic::search::search_options;
using mosaic::search::searchable_shard;
using mosaic::search::shard_attributes;
using mosaic::vector::kernel_implementation;

namespace {

constexpr std::uint32_t test_dimensions = 67;  // 64 + 3: every SIMD kernel also runs its scalar tail
constexpr double score_tolerance = 1e-5;

std::vector<float> random_unit_vectors(std::size_t count, std::uint32_t dimensions, std::mt19937& generator) {
  std::normal_distribution<float> component(0.0f, 1.0f);
  std::vector<float> values(count * dimensions);
  for (std::size_t row = 0; row < count; ++row) {
    std::span<float> vector_of_row(values.data() + row * dimensions, dimensions);
    do {
      for (float& value : vector_of_row) value = component(generator);
    } while (!mosaic::vector::l2_normalize(vector_of_row).ok());
  }
  return values;
}

std::vector<float> random_query(std::uint32_t dimensions, std::mt19937& generator) {
  std::normal_distribution<float> component(0.0f, 1.0f);
  std::vector<float> query(dimensions);
  for (float& value : query) value = component(generator);
  return query;
}

// Shards with their bytes. A deque keeps every byte buffer at a fixed address while more are added,
// so the views decoded from them stay valid.
struct shard_collection {
  std::deque<std::vector<std::uint8_t>> bytes;
  std::deque<shard_attributes> attributes;
  std::vector<searchable_shard> shards;

  void add(std::uint32_t dimensions, quantization kind, std::span<const float> unit_vectors,
           std::span<const std::uint64_t> ids) {
    auto encoded = mosaic::index::encode_shard_from_f32(dimensions, kind, unit_vectors, ids);
    REQUIRE(outcome_name(encoded) == "ok");
    bytes.push_back(std::move(encoded).value());
    auto view = mosaic::index::decode_shard(bytes.back());
    REQUIRE(outcome_name(view) == "ok");
    shards.push_back(searchable_shard{view.value(), nullptr});
  }

  void attach(std::size_t shard, shard_attributes shard_attributes_value) {
    attributes.push_back(std::move(shard_attributes_value));
    shards[shard].attributes = &attributes.back();
  }
};

// Ids unique across shards and unrelated to the row order, so a hit with the right row but the wrong
// id (or the reverse) is caught.
std::uint64_t item_id_for(std::size_t shard, std::size_t row) {
  return 0x9E3779B97F4A7C15ULL * (1000003 * static_cast<std::uint64_t>(shard) + static_cast<std::uint64_t>(row) + 1);
}

// Shards of the given row counts with random unit vectors, all stored as `kind`.
shard_collection random_shards(quantization kind, const std::vector<std::size_t>& row_counts, std::uint32_t seed) {
  std::mt19937 generator(seed);
  shard_collection collection;
  for (std::size_t shard = 0; shard < row_counts.size(); ++shard) {
    const std::vector<float> vectors = random_unit_vectors(row_counts[shard], test_dimensions, generator);
    std::vector<std::uint64_t> ids(row_counts[shard]);
    for (std::size_t row = 0; row < ids.size(); ++row) ids[row] = item_id_for(shard, row);
    collection.add(test_dimensions, kind, vectors, ids);
  }
  return collection;
}

// Random modality, label (0..5, 0 = none) and tags (a subset of 0..7, sorted) for every row.
shard_attributes random_attributes(std::size_t rows, std::mt19937& generator) {
  std::uniform_int_distribution<int> modality_value(0, static_cast<int>(mosaic::index::modality_count) - 1);
  std::uniform_int_distribution<std::uint32_t> label(0, 5);
  std::bernoulli_distribution has_tag(0.4);
  shard_attributes attributes;
  attributes.tag_offsets.push_back(0);
  for (std::size_t row = 0; row < rows; ++row) {
    attributes.modalities.push_back(static_cast<modality>(modality_value(generator)));
    attributes.labels.push_back(label(generator));
    for (std::uint32_t tag = 0; tag < 8; ++tag) {
      if (has_tag(generator)) attributes.tags.push_back(tag);
    }
    attributes.tag_offsets.push_back(static_cast<std::uint32_t>(attributes.tags.size()));
  }
  return attributes;
}

// The filter's meaning, written out independently of filter.hpp.
bool reference_accepts(const mosaic::search::filter& conditions, const searchable_shard& shard, std::size_t row) {
  const std::uint64_t id = shard.vectors.item_id(row);
  if (std::find(conditions.excluded_item_ids.begin(), conditions.excluded_item_ids.end(), id) !=
      conditions.excluded_item_ids.end()) {
    return false;
  }
  if (shard.attributes == nullptr) return true;
  const shard_attributes& attributes = *shard.attributes;
  if ((conditions.modality_mask & (1u << static_cast<unsigned>(attributes.modalities[row]))) == 0) return false;
  if (!conditions.any_of_labels.empty() &&
      std::find(conditions.any_of_labels.begin(), conditions.any_of_labels.end(), attributes.labels[row]) ==
          conditions.any_of_labels.end()) {
    return false;
  }
  const auto first = attributes.tags.begin() + static_cast<std::ptrdiff_t>(attributes.tag_offsets[row]);
  const auto last = attributes.tags.begin() + static_cast<std::ptrdiff_t>(attributes.tag_offsets[row + 1]);
  for (std::uint32_t tag : conditions.all_of_tags) {
    if (std::find(first, last, tag) == last) return false;
  }
  return true;
}

struct reference_hit {
  std::uint32_t shard;
  std::uint32_t row;
  std::uint64_t item_id;
  double score;
};

bool reference_ranks_before(const reference_hit& left, const reference_hit& right) {
  if (left.score != right.score) return left.score > right.score;
  if (left.shard != right.shard) return left.shard < right.shard;
  return left.row < right.row;
}

// How the brute force scores a row.
enum class reference_arithmetic {
  double_dot_of_unit_vectors,  // f32 shards: the stored floats against the query normalized in double
  dequantized_double_dot,      // i8 float_query: codes * scale against the float unit query, in double
  same_integer_arithmetic,     // i8 quantized_query: the exact integer dot, scaled as the search does
};

// Every accepted row scored serially, in reference order. `scores[shard][row]` is NaN for rejected rows.
struct reference_result {
  std::vector<reference_hit> ranked;
  std::vector<std::vector<double>> scores;
};

reference_result brute_force(std::span<const float> query, const shard_collection& collection,
                             const mosaic::search::filter& conditions, reference_arithmetic arithmetic) {
  const std::size_t dimensions = query.size();
  double norm = 0.0;
  for (float value : query) norm += static_cast<double>(value) * static_cast<double>(value);
  norm = std::sqrt(norm);
  std::vector<double> unit_double(dimensions);
  for (std::size_t i = 0; i < dimensions; ++i) unit_double[i] = static_cast<double>(query[i]) / norm;
  // The search normalizes in float and quantizes that; the references that model it do the same.
  std::vector<float> unit_float(query.begin(), query.end());
  REQUIRE(mosaic::vector::l2_normalize(unit_float).ok());
  std::vector<std::int8_t> query_codes(dimensions);
  auto query_scale = mosaic::vector::quantize_i8(unit_float, query_codes);
  REQUIRE(query_scale.ok());

  reference_result reference;
  for (std::size_t shard = 0; shard < collection.shards.size(); ++shard) {
    const mosaic::index::shard_view& view = collection.shards[shard].vectors;
    reference.scores.emplace_back(view.item_count, std::numeric_limits<double>::quiet_NaN());
    for (std::size_t row = 0; row < view.item_count; ++row) {
      if (!reference_accepts(conditions, collection.shards[shard], row)) continue;
      double score = 0.0;
      if (arithmetic == reference_arithmetic::double_dot_of_unit_vectors) {
        for (std::size_t i = 0; i < dimensions; ++i) {
          score += unit_double[i] * static_cast<double>(view.vectors_f32[row * dimensions + i]);
        }
      } else if (arithmetic == reference_arithmetic::dequantized_double_dot) {
        for (std::size_t i = 0; i < dimensions; ++i) {
          score += static_cast<double>(unit_float[i]) * static_cast<double>(view.vectors_i8[row * dimensions + i]);
        }
        score *= static_cast<double>(view.scales[row]);
      } else {
        std::int32_t integer_dot = 0;
        for (std::size_t i = 0; i < dimensions; ++i) {
          integer_dot += static_cast<std::int32_t>(query_codes[i]) *
                         static_cast<std::int32_t>(view.vectors_i8[row * dimensions + i]);
        }
        // Same float operations in the same order as the search: the expected scores are exact.
        const float exact = static_cast<float>(integer_dot) * query_scale.value() * view.scales[row];
        score = static_cast<double>(exact);
      }
      reference.scores[shard][row] = score;
      reference.ranked.push_back(reference_hit{static_cast<std::uint32_t>(shard), static_cast<std::uint32_t>(row),
                                               view.item_id(row), score});
    }
  }
  std::sort(reference.ranked.begin(), reference.ranked.end(), reference_ranks_before);
  return reference;
}

std::string describe(const search_hit& hit) {
  std::ostringstream text;
  text.precision(9);
  text << "(shard " << hit.shard << ", row " << hit.row << ", id " << hit.item_id << ", score " << hit.score << ")";
  return text.str();
}

// Empty when `hits` is a correct top-k for the reference; otherwise the first discrepancy. With
// `tolerance` zero the hits must equal the reference exactly (ids, order and scores bit for bit);
// otherwise scores may differ by `tolerance` and rows whose reference scores lie within `tolerance`
// of each other may appear in either order.
std::string top_k_discrepancy(const std::vector<search_hit>& hits, const reference_result& reference,
                              std::size_t k, double tolerance) {
  const std::size_t expected_size = std::min(k, reference.ranked.size());
  if (hits.size() != expected_size) {
    return "returned " + std::to_string(hits.size()) + " hits, expected " + std::to_string(expected_size);
  }
  for (std::size_t position = 0; position < hits.size(); ++position) {
    const search_hit& hit = hits[position];
    const reference_hit& expected = reference.ranked[position];
    const std::string where = "at position " + std::to_string(position) + ": " + describe(hit) + " ";
    if (hit.shard >= reference.scores.size() || hit.row >= reference.scores[hit.shard].size()) {
      return where + "names a row that does not exist";
    }
    const double own_reference_score = reference.scores[hit.shard][hit.row];
    if (std::isnan(own_reference_score)) return where + "is a row the filter rejects";
    const std::uint64_t own_id = item_id_for(hit.shard, hit.row);
    if (hit.item_id != own_id) return where + "carries the wrong id, expected " + std::to_string(own_id);
    if (std::fabs(static_cast<double>(hit.score) - own_reference_score) > tolerance) {
      return where + "has a score far from its reference score " + std::to_string(own_reference_score);
    }
    const bool same_row = hit.shard == expected.shard && hit.row == expected.row;
    if (!same_row && std::fabs(own_reference_score - expected.score) > tolerance) {
      return where + "but the reference has (shard " + std::to_string(expected.shard) + ", row " +
             std::to_string(expected.row) + ", score " + std::to_string(expected.score) + ")";
    }
    if (position + 1 < hits.size() && !mosaic::search::ranks_before(hit, hits[position + 1])) {
      return where + "does not rank before the next hit " + describe(hits[position + 1]);
    }
  }
  return "";
}

// Runs a test body once per kernel variant compiled into this target, restoring the default after.
class kernel_choice {
 public:
  kernel_choice() = default;
  kernel_choice(const kernel_choice&) = delete;
  kernel_choice& operator=(const kernel_choice&) = delete;
  ~kernel_choice() { (void)mosaic::vector::use_kernels(mosaic::vector::best_available_implementation()); }

  static std::vector<kernel_implementation> available() {
    std::vector<kernel_implementation> implementations;
    for (kernel_implementation implementation :
         {kernel_implementation::serial, kernel_implementation::avx2, kernel_implementation::wasm128}) {
      if (mosaic::vector::kernels_for(implementation) != nullptr) implementations.push_back(implementation);
    }
    return implementations;
  }
  void use(kernel_implementation implementation) { REQUIRE(mosaic::vector::use_kernels(implementation).ok()); }
};

const std::size_t k_values[] = {1, 5, 10, 100, 1001, 5000};  // 1001 is every row of the shards below

}  // namespace

TEST_CASE("top_k of f32 shards equals a brute-force double-precision ranking", "[top_k]") {
  const shard_collection collection = random_shards(quantization::f32, {0, 1, 1000}, 101);
  std::mt19937 generator(102);
  kernel_choice kernels;
  for (kernel_implementation implementation : kernel_choice::available()) {
    kernels.use(implementation);
    for (int query_number = 0; query_number < 5; ++query_number) {
      const std::vector<float> query = random_query(test_dimensions, generator);
      const reference_result reference =
          brute_force(query, collection, {}, reference_arithmetic::double_dot_of_unit_vectors);
      REQUIRE(reference.ranked.size() == 1001);
      for (std::size_t k : k_values) {
        INFO("kernels " << mosaic::vector::kernel_implementation_name(implementation) << ", query " << query_number
                        << ", k " << k);
        search_options options;
        options.k = k;
        auto hits = mosaic::search::top_k(query, collection.shards, options);
        REQUIRE(outcome_name(hits) == "ok");
        CHECK(top_k_discrepancy(hits.value(), reference, k, score_tolerance) == "");
      }
    }
  }
}

TEST_CASE("top_k of i8 shards equals brute force with the same arithmetic", "[top_k]") {
  const shard_collection collection = random_shards(quantization::i8, {0, 1, 1000}, 111);
  std::mt19937 generator(112);
  kernel_choice kernels;
  for (kernel_implementation implementation : kernel_choice::available()) {
    kernels.use(implementation);
    for (int query_number = 0; query_number < 5; ++query_number) {
      const std::vector<float> query = random_query(test_dimensions, generator);
      // quantized_query is integer arithmetic followed by the same two float multiplications: exact.
      const reference_result exact = brute_force(query, collection, {}, reference_arithmetic::same_integer_arithmetic);
      const reference_result dequantized =
          brute_force(query, collection, {}, reference_arithmetic::dequantized_double_dot);
      for (std::size_t k : k_values) {
        INFO("kernels " << mosaic::vector::kernel_implementation_name(implementation) << ", query " << query_number
                        << ", k " << k);
        search_options options;
        options.k = k;
        options.i8_mode = i8_query_mode::quantized_query;
        auto quantized_hits = mosaic::search::top_k(query, collection.shards, options);
        REQUIRE(outcome_name(quantized_hits) == "ok");
        CHECK(top_k_discrepancy(quantized_hits.value(), exact, k, 0.0) == "");

        options.i8_mode = i8_query_mode::float_query;
        auto float_hits = mosaic::search::top_k(query, collection.shards, options);
        REQUIRE(outcome_name(float_hits) == "ok");
        CHECK(top_k_discrepancy(float_hits.value(), dequantized, k, score_tolerance) == "");
      }
    }
  }
}

TEST_CASE("shard order and empty shards do not change which rows win", "[top_k]") {
  // The 1-row shard first and the empty shard last: shard indexes in the hits follow the input order.
  const shard_collection collection = random_shards(quantization::f32, {1, 1000, 0}, 121);
  std::mt19937 generator(122);
  const std::vector<float> query = random_query(test_dimensions, generator);
  const reference_result reference = brute_force(query, collection, {}, reference_arithmetic::double_dot_of_unit_vectors);
  for (std::size_t k : k_values) {
    INFO("k " << k);
    search_options options;
    options.k = k;
    auto hits = mosaic::search::top_k(query, collection.shards, options);
    REQUIRE(outcome_name(hits) == "ok");
    CHECK(top_k_discrepancy(hits.value(), reference, k, score_tolerance) == "");
  }
  SECTION("no shards at all give no hits") {
    search_options options;
    auto hits = mosaic::search::top_k(query, {}, options);
    REQUIRE(outcome_name(hits) == "ok");
    CHECK(hits->empty());
  }
}

TEST_CASE("equal scores rank by shard, then row, under every kernel", "[top_k]") {
  // Identical vectors must score identically wherever they sit in a kernel's block (the four-row main
  // loop or the remainder rows) and however a filter splits the scan into runs; otherwise equal items
  // come back in an order that depends on the kernel and on unrelated rows.
  std::mt19937 generator(131);
  const std::vector<std::size_t> row_counts = {37, 10};
  // Excluding these rows splits the first shard into runs of 2, 6 and 26 rows.
  const std::vector<std::uint64_t> excluded = {item_id_for(0, 2), item_id_for(0, 9), item_id_for(0, 10)};
  // Several vectors, queries and lengths: a kernel whose block and remainder paths round differently
  // still agrees by chance for some of them.
  for (int trial = 0; trial < 6; ++trial) {
    const std::uint32_t dimensions = trial % 2 == 0 ? 40 : 67;  // the SIMD main loops, with a tail
    const std::vector<float> one_vector = random_unit_vectors(1, dimensions, generator);
    const std::vector<float> query = random_query(dimensions, generator);
    for (quantization kind : {quantization::f32, quantization::i8}) {
      shard_collection collection;
      std::vector<std::pair<std::uint32_t, std::uint32_t>> all_rows;
      for (std::size_t shard = 0; shard < row_counts.size(); ++shard) {
        std::vector<float> vectors;
        std::vector<std::uint64_t> ids;
        for (std::size_t row = 0; row < row_counts[shard]; ++row) {
          vectors.insert(vectors.end(), one_vector.begin(), one_vector.end());
          ids.push_back(item_id_for(shard, row));
          all_rows.emplace_back(static_cast<std::uint32_t>(shard), static_cast<std::uint32_t>(row));
        }
        collection.add(dimensions, kind, vectors, ids);
      }
      std::vector<std::pair<std::uint32_t, std::uint32_t>> rows_left = all_rows;
      std::erase_if(rows_left, [](const auto& position) {
        return position.first == 0 && (position.second == 2 || position.second == 9 || position.second == 10);
      });

      kernel_choice kernels;
      for (kernel_implementation implementation : kernel_choice::available()) {
        kernels.use(implementation);
        for (i8_query_mode mode : {i8_query_mode::quantized_query, i8_query_mode::float_query}) {
          if (kind == quantization::f32 && mode == i8_query_mode::float_query) continue;  // same path
          for (bool with_exclusions : {false, true}) {
            const auto& order = with_exclusions ? rows_left : all_rows;
            for (std::size_t k : {std::size_t{1}, std::size_t{3}, std::size_t{5}, std::size_t{40}, std::size_t{100}}) {
              INFO("trial " << trial << ", " << dimensions << " dimensions, " << mosaic::index::quantization_name(kind)
                            << " shards, kernels " << mosaic::vector::kernel_implementation_name(implementation)
                            << (kind == quantization::f32                  ? ""
                                : mode == i8_query_mode::quantized_query ? ", quantized query"
                                                                         : ", float query")
                            << (with_exclusions ? ", with exclusions" : "") << ", k " << k);
              search_options options;
              options.k = k;
              options.i8_mode = mode;
              if (with_exclusions) options.filter.excluded_item_ids = excluded;
              auto hits = mosaic::search::top_k(query, collection.shards, options);
              REQUIRE(outcome_name(hits) == "ok");
              REQUIRE(hits->size() == std::min(k, order.size()));
              std::string discrepancy;
              for (std::size_t position = 0; position < hits->size() && discrepancy.empty(); ++position) {
                const search_hit& hit = hits.value()[position];
                if (hit.shard != order[position].first || hit.row != order[position].second) {
                  discrepancy = "position " + std::to_string(position) + " holds " + describe(hit) +
                                ", expected shard " + std::to_string(order[position].first) + " row " +
                                std::to_string(order[position].second);
                } else if (std::memcmp(&hit.score, &hits.value()[0].score, sizeof(float)) != 0) {
                  discrepancy = "identical vectors scored differently: " + describe(hits.value()[0]) + " and " +
                                describe(hit);
                }
              }
              CHECK(discrepancy == "");
            }
          }
        }
      }
    }
  }
}

TEST_CASE("repeated searches return identical results", "[top_k]") {
  for (quantization kind : {quantization::f32, quantization::i8}) {
    const shard_collection collection = random_shards(kind, {0, 1, 1000}, 141);
    std::mt19937 generator(142);
    const std::vector<float> query = random_query(test_dimensions, generator);
    search_options options;
    options.k = 50;
    auto first = mosaic::search::top_k(query, collection.shards, options);
    REQUIRE(outcome_name(first) == "ok");
    for (int repeat = 0; repeat < 3; ++repeat) {
      auto again = mosaic::search::top_k(query, collection.shards, options);
      REQUIRE(outcome_name(again) == "ok");
      REQUIRE(again->size() == first->size());
      std::size_t differences = 0;
      for (std::size_t i = 0; i < first->size(); ++i) {
        const search_hit& left = first.value()[i];
        const search_hit& right = again.value()[i];
        if (left.item_id != right.item_id || left.shard != right.shard || left.row != right.row ||
            std::memcmp(&left.score, &right.score, sizeof(float)) != 0) {
          ++differences;
        }
      }
      CHECK(differences == 0);
    }
  }
}

TEST_CASE("filters are applied during the scan, not after a top-k", "[top_k]") {
  std::mt19937 generator(151);
  for (quantization kind : {quantization::f32, quantization::i8}) {
    shard_collection collection = random_shards(kind, {0, 1, 1000}, 152);
    for (std::size_t shard = 0; shard < collection.shards.size(); ++shard) {
      collection.attach(shard, random_attributes(collection.shards[shard].vectors.item_count, generator));
    }
    const reference_arithmetic arithmetic = kind == quantization::f32
                                                ? reference_arithmetic::double_dot_of_unit_vectors
                                                : reference_arithmetic::same_integer_arithmetic;
    const double tolerance = kind == quantization::f32 ? score_tolerance : 0.0;
    const std::vector<float> query = random_query(test_dimensions, generator);
    const reference_result unfiltered = brute_force(query, collection, {}, arithmetic);

    struct named_filter {
      const char* name;
      mosaic::search::filter conditions;
    };
    std::vector<named_filter> filters;
    {
      mosaic::search::filter conditions;
      conditions.modality_mask = mosaic::index::modality_bit(modality::image) | mosaic::index::modality_bit(modality::audio);
      filters.push_back({"image or audio", conditions});
    }
    {
      mosaic::search::filter conditions;
      conditions.modality_mask = mosaic::index::modality_bit(modality::pdf);
      filters.push_back({"pdf only", conditions});
    }
    {
      mosaic::search::filter conditions;
      conditions.any_of_labels = {2, 4};
      filters.push_back({"label 2 or 4", conditions});
    }
    {
      mosaic::search::filter conditions;
      conditions.all_of_tags = {1, 3};
      filters.push_back({"tags 1 and 3", conditions});
    }
    {
      // The best unfiltered rows are excluded: a post-filter would come back short.
      mosaic::search::filter conditions;
      for (std::size_t i = 0; i < 20; ++i) conditions.excluded_item_ids.push_back(unfiltered.ranked[i].item_id);
      conditions.excluded_item_ids.push_back(12345);  // not in any shard
      filters.push_back({"the 20 best rows excluded", conditions});
    }
    {
      mosaic::search::filter conditions;
      conditions.modality_mask = mosaic::index::modality_bit(modality::text) |
                                 mosaic::index::modality_bit(modality::image) | mosaic::index::modality_bit(modality::pdf);
      conditions.any_of_labels = {1, 2, 3};
      conditions.all_of_tags = {5};
      conditions.excluded_item_ids = {unfiltered.ranked[0].item_id, unfiltered.ranked[3].item_id};
      filters.push_back({"everything combined", conditions});
    }
    {
      // So selective that only a handful of the 1001 rows pass: k = 10 must still find all of them.
      mosaic::search::filter conditions;
      conditions.any_of_labels = {5};
      conditions.all_of_tags = {0, 1, 2};
      filters.push_back({"label 5 with tags 0, 1 and 2", conditions});
    }
    {
      mosaic::search::filter conditions;
      conditions.any_of_labels = {99};
      filters.push_back({"a label no row has", conditions});
    }
    {
      mosaic::search::filter conditions;
      conditions.modality_mask = 0;
      filters.push_back({"no modality", conditions});
    }

    for (const named_filter& entry : filters) {
      const reference_result reference = brute_force(query, collection, entry.conditions, arithmetic);
      for (std::size_t k : k_values) {
        INFO(mosaic::index::quantization_name(kind) << " shards, filter '" << entry.name << "' (" << reference.ranked.size()
                                                    << " matching rows), k " << k);
        search_options options;
        options.k = k;
        options.filter = entry.conditions;
        auto hits = mosaic::search::top_k(query, collection.shards, options);
        REQUIRE(outcome_name(hits) == "ok");
        CHECK(hits->size() == std::min(k, reference.ranked.size()));
        CHECK(top_k_discrepancy(hits.value(), reference, k, tolerance) == "");
      }
    }
  }
}

TEST_CASE("excluding items needs no attributes", "[top_k]") {
  const shard_collection collection = random_shards(quantization::f32, {0, 1, 1000}, 161);
  std::mt19937 generator(162);
  const std::vector<float> query = random_query(test_dimensions, generator);
  search_options options;
  options.k = 10;
  options.filter.excluded_item_ids = {item_id_for(1, 0), item_id_for(2, 500)};
  const reference_result reference =
      brute_force(query, collection, options.filter, reference_arithmetic::double_dot_of_unit_vectors);
  REQUIRE(reference.ranked.size() == 999);
  auto hits = mosaic::search::top_k(query, collection.shards, options);
  REQUIRE(outcome_name(hits) == "ok");
  CHECK(top_k_discrepancy(hits.value(), reference, 10, score_tolerance) == "");
}

TEST_CASE("the query need not be normalized", "[top_k]") {
  for (quantization kind : {quantization::f32, quantization::i8}) {
    const shard_collection collection = random_shards(kind, {0, 1, 1000}, 171);
    std::mt19937 generator(172);
    const std::vector<float> query = random_query(test_dimensions, generator);
    for (float factor : {7.5f, 8.0f, 0.001f}) {
      std::vector<float> scaled = query;
      for (float& value : scaled) value *= factor;
      for (i8_query_mode mode : {i8_query_mode::quantized_query, i8_query_mode::float_query}) {
        INFO(mosaic::index::quantization_name(kind) << " shards, query scaled by " << factor
                                                    << (mode == i8_query_mode::quantized_query ? ", quantized" : ", float"));
        search_options options;
        options.k = 100;
        options.i8_mode = mode;
        auto original = mosaic::search::top_k(query, collection.shards, options);
        auto rescaled = mosaic::search::top_k(scaled, collection.shards, options);
        REQUIRE(outcome_name(original) == "ok");
        REQUIRE(outcome_name(rescaled) == "ok");
        // Scaling by a power of two normalizes to the same floats bit for bit, so the results are
        // identical; other factors may move a normalized component by an ulp.
        if (factor == 8.0f) {
          std::size_t differences = 0;
          for (std::size_t i = 0; i < original->size(); ++i) {
            const search_hit& left = original.value()[i];
            const search_hit& right = rescaled.value()[i];
            if (left.item_id != right.item_id || std::memcmp(&left.score, &right.score, sizeof(float)) != 0) {
              ++differences;
            }
          }
          CHECK(original->size() == rescaled->size());
          CHECK(differences == 0);
        } else if (kind == quantization::f32 || mode == i8_query_mode::float_query) {
          const reference_result reference = brute_force(query, collection, {},
                                                         kind == quantization::f32
                                                             ? reference_arithmetic::double_dot_of_unit_vectors
                                                             : reference_arithmetic::dequantized_double_dot);
          CHECK(top_k_discrepancy(rescaled.value(), reference, 100, score_tolerance) == "");
        } else {
          // A quantized query may round one code differently after an ulp of change; the ranking must
          // still match the exact reference for the scaled query itself.
          const reference_result reference =
              brute_force(scaled, collection, {}, reference_arithmetic::same_integer_arithmetic);
          CHECK(top_k_discrepancy(rescaled.value(), reference, 100, 0.0) == "");
        }
      }
    }
  }
}

TEST_CASE("a valid shard with huge components still gives a total order", "[top_k]") {
  // Shards are hostile input and the checksum proves nothing about intent: in this view every
  // third row holds +-3.4e38 placed so that a SIMD kernel's lanes overflow to +inf and -inf and sum to
  // NaN (a serial double sum cancels them to 0). The result must still be min(k, rows) distinct hits
  // in a strict (score, shard, row) order, with the ordinary rows first.
  const std::uint32_t dimensions = 16;
  const std::size_t rows = 200;
  std::vector<float> vectors(rows * dimensions, 0.0f);
  std::vector<std::uint64_t> ids(rows);
  std::vector<std::uint32_t> ordinary_rows_best_first;
  for (std::size_t row = 0; row < rows; ++row) {
    ids[row] = item_id_for(0, row);
    float* values = vectors.data() + row * dimensions;
    if (row % 3 == 0) {
      for (std::size_t i = 0; i < dimensions; i += 4) {
        values[i] = 3.4e38f;
        values[i + 2] = -3.4e38f;
      }
    } else {
      values[0] = 0.001f * static_cast<float>(row);
      ordinary_rows_best_first.insert(ordinary_rows_best_first.begin(), static_cast<std::uint32_t>(row));
    }
  }
  // decode_shard now refuses such components (bad_payload_value), so the view is built by hand: top_k
  // must keep its total order for any view a caller can construct, not only for decoded ones.
  mosaic::index::shard_view view;
  view.dimensions = dimensions;
  view.item_count = rows;
  view.kind = quantization::f32;
  view.vectors_f32 = vectors;
  view.id_bytes = {reinterpret_cast<const std::uint8_t*>(ids.data()), ids.size() * sizeof(std::uint64_t)};
  const std::vector<searchable_shard> shards = {searchable_shard{view, nullptr}};
  std::vector<float> query(dimensions, 0.0f);
  for (std::size_t i = 0; i < dimensions; i += 2) query[i] = 1.0f;

  kernel_choice kernels;
  for (kernel_implementation implementation : kernel_choice::available()) {
    kernels.use(implementation);
    for (std::size_t k : {std::size_t{10}, std::size_t{100}, std::size_t{200}, std::size_t{500}}) {
      INFO("kernels " << mosaic::vector::kernel_implementation_name(implementation) << ", k " << k);
      search_options options;
      options.k = k;
      auto hits = mosaic::search::top_k(query, shards, options);
      REQUIRE(outcome_name(hits) == "ok");
      REQUIRE(hits->size() == std::min(k, rows));
      std::string discrepancy;
      for (std::size_t position = 0; position < hits->size() && discrepancy.empty(); ++position) {
        const search_hit& hit = hits.value()[position];
        if (std::isnan(hit.score)) discrepancy = "NaN score at position " + std::to_string(position);
        if (position + 1 < hits->size() && !mosaic::search::ranks_before(hit, hits.value()[position + 1])) {
          discrepancy = describe(hit) + " does not rank before " + describe(hits.value()[position + 1]);
        }
        if (position < ordinary_rows_best_first.size() && hit.row != ordinary_rows_best_first[position]) {
          discrepancy = "position " + std::to_string(position) + " holds " + describe(hit) + ", expected row " +
                        std::to_string(ordinary_rows_best_first[position]);
        }
      }
      CHECK(discrepancy == "");
    }
  }
}

TEST_CASE("a k far beyond the row count returns every row", "[top_k]") {
  // k comes from callers (the wasm API, a URL parameter); it must not size an allocation by itself.
  const shard_collection collection = random_shards(quantization::i8, {0, 1, 1000}, 185);
  std::mt19937 generator(186);
  const std::vector<float> query = random_query(test_dimensions, generator);
  const reference_result reference = brute_force(query, collection, {}, reference_arithmetic::same_integer_arithmetic);
  for (std::size_t k : {std::size_t{1} << 28, std::numeric_limits<std::size_t>::max() / 32,
                        std::numeric_limits<std::size_t>::max()}) {
    INFO("k " << k);
    search_options options;
    options.k = k;
    auto hits = mosaic::search::top_k(query, collection.shards, options);
    REQUIRE(outcome_name(hits) == "ok");
    CHECK(top_k_discrepancy(hits.value(), reference, k, 0.0) == "");
  }
}

TEST_CASE("k = 0 returns no hits", "[top_k]") {
  const shard_collection collection = random_shards(quantization::i8, {0, 1, 1000}, 181);
  std::mt19937 generator(182);
  const std::vector<float> query = random_query(test_dimensions, generator);
  search_options options;
  options.k = 0;
  auto hits = mosaic::search::top_k(query, collection.shards, options);
  REQUIRE(outcome_name(hits) == "ok");
  CHECK(hits->empty());
}

TEST_CASE("top_k rejects invalid queries and attributes with specific errors", "[top_k]") {
  shard_collection collection = random_shards(quantization::f32, {0, 1, 1000}, 191);
  std::mt19937 generator(192);
  const std::vector<float> query = random_query(test_dimensions, generator);
  search_options options;
  auto expect_error = [&](std::span<const float> bad_query, const search_options& bad_options,
                          const std::string& expected) {
    auto hits = mosaic::search::top_k(bad_query, collection.shards, bad_options);
    CHECK(outcome_name(hits) == expected);
    if (!hits.ok()) CHECK_FALSE(hits.failure().message.empty());
  };

  SECTION("query dimensions differ from the shards'") {
    expect_error(std::span<const float>(query).first(test_dimensions - 1), options, "dimension_mismatch");
    std::vector<float> longer = query;
    longer.push_back(0.5f);
    expect_error(longer, options, "dimension_mismatch");
  }
  SECTION("shards of different dimensions") {
    const std::vector<float> short_vectors = random_unit_vectors(2, 32, generator);
    const std::vector<std::uint64_t> ids = {1, 2};
    collection.add(32, quantization::f32, short_vectors, ids);
    expect_error(query, options, "dimension_mismatch");
  }
  SECTION("a zero query") {
    const std::vector<float> zero(test_dimensions, 0.0f);
    expect_error(zero, options, "zero_vector");
  }
  SECTION("a non-finite query") {
    for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                      -std::numeric_limits<float>::infinity()}) {
      INFO("component " << bad);
      std::vector<float> bad_query = query;
      bad_query[30] = bad;
      expect_error(bad_query, options, "non_finite_value");
      options.i8_mode = i8_query_mode::float_query;
      expect_error(bad_query, options, "non_finite_value");
    }
  }
  SECTION("a filter on attributes when a shard has none") {
    search_options by_modality;
    by_modality.filter.modality_mask = mosaic::index::modality_bit(modality::text);
    expect_error(query, by_modality, "invalid_argument");
    search_options by_label;
    by_label.filter.any_of_labels = {1};
    expect_error(query, by_label, "invalid_argument");
    search_options by_tag;
    by_tag.filter.all_of_tags = {1};
    expect_error(query, by_tag, "invalid_argument");
    // Attributes on every shard but the empty one: still an error, the filter cannot be evaluated.
    collection.attach(1, random_attributes(1, generator));
    collection.attach(2, random_attributes(1000, generator));
    expect_error(query, by_tag, "invalid_argument");
    collection.attach(0, random_attributes(0, generator));
    auto hits = mosaic::search::top_k(query, collection.shards, by_tag);
    CHECK(outcome_name(hits) == "ok");
  }
  SECTION("attributes whose sizes do not match the rows") {
    search_options by_label;
    by_label.filter.any_of_labels = {1};
    collection.attach(0, random_attributes(0, generator));
    collection.attach(1, random_attributes(1, generator));
    const shard_attributes valid = random_attributes(1000, generator);
    collection.attach(2, valid);
    REQUIRE(outcome_name(mosaic::search::top_k(query, collection.shards, by_label)) == "ok");

    shard_attributes broken = valid;
    broken.modalities.pop_back();
    collection.attach(2, broken);
    expect_error(query, by_label, "invalid_argument");

    broken = valid;
    broken.labels.push_back(1);
    collection.attach(2, broken);
    expect_error(query, by_label, "invalid_argument");

    broken = valid;
    broken.tag_offsets.pop_back();
    collection.attach(2, broken);
    expect_error(query, by_label, "invalid_argument");

    broken = valid;
    broken.tag_offsets.clear();
    collection.attach(2, broken);
    expect_error(query, by_label, "invalid_argument");

    broken = valid;
    broken.tags.push_back(7);  // the last offset no longer ends the tag list
    collection.attach(2, broken);
    expect_error(query, by_label, "invalid_argument");

    // Attributes for a different row count on the one-row shard.
    collection.attach(2, valid);
    collection.attach(1, random_attributes(2, generator));
    expect_error(query, by_label, "invalid_argument");
  }
}
