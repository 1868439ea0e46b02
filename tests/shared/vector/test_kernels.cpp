// Every SIMD kernel variant against the serial reference (kernels_serial.cpp), the way simdjson checks
// each implementation against its fallback. int8 results must be identical to the serial ones (and to
// the exact sum computed here in int64); float results must stay within the bound kernels.hpp
// documents. The same file runs natively (AVX2) and under Node (wasm128), so every check goes through
// the kernel tables rather than naming a variant's functions.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "vector/kernels.hpp"

namespace {

using mosaic::error_code;
using mosaic::vector::kernel_implementation;
using mosaic::vector::kernel_table;

const kernel_table& serial() { return mosaic::vector::serial_kernels(); }

// The non-serial tables this target and CPU can run. Empty only on targets without any SIMD variant;
// the "a SIMD variant exists" test makes sure that never happens silently on x86-64 or wasm.
std::vector<const kernel_table*> simd_variants() {
  std::vector<const kernel_table*> variants;
  for (const kernel_implementation implementation : {kernel_implementation::avx2, kernel_implementation::wasm128}) {
    if (const kernel_table* table = mosaic::vector::kernels_for(implementation)) variants.push_back(table);
  }
  return variants;
}

// Serial first, then every SIMD variant: for tests of the checked wrappers, which must behave the same
// whichever table is active.
std::vector<kernel_implementation> available_implementations() {
  std::vector<kernel_implementation> implementations{kernel_implementation::serial};
  for (const kernel_table* table : simd_variants()) implementations.push_back(table->implementation);
  return implementations;
}

std::string label(const kernel_table& variant, const char* function_name) {
  return std::string(mosaic::vector::kernel_implementation_name(variant.implementation)) + " " + function_name;
}

// Puts the automatically chosen table back when a test that forces one ends, even when it fails, so
// test order never matters.
class restore_best_kernels {
 public:
  restore_best_kernels() = default;
  restore_best_kernels(const restore_best_kernels&) = delete;
  restore_best_kernels& operator=(const restore_best_kernels&) = delete;
  ~restore_best_kernels() {
    static_cast<void>(mosaic::vector::use_kernels(mosaic::vector::best_available_implementation()));
  }
};

// ---- test data ---------------------------------------------------------------------------------------

std::vector<float> random_floats(std::mt19937& generator, std::size_t count, float low, float high) {
  std::uniform_real_distribution<float> distribution(low, high);
  std::vector<float> values(count);
  for (float& value : values) value = distribution(generator);
  return values;
}

// Magnitudes in [low, high) with random signs: for extreme-value tests, where a uniform draw over
// [-high, high) would almost never produce the tiny end of the range.
std::vector<float> random_signed_magnitudes(std::mt19937& generator, std::size_t count, float low, float high) {
  std::uniform_real_distribution<float> magnitude(low, high);
  std::bernoulli_distribution negative(0.5);
  std::vector<float> values(count);
  for (float& value : values) value = negative(generator) ? -magnitude(generator) : magnitude(generator);
  return values;
}

std::vector<std::int8_t> random_i8(std::mt19937& generator, std::size_t count) {
  // uniform_int_distribution is not defined for char types, so draw an int and narrow it.
  std::uniform_int_distribution<int> distribution(-128, 127);
  std::vector<std::int8_t> values(count);
  for (std::int8_t& value : values) value = static_cast<std::int8_t>(distribution(generator));
  return values;
}

// The int8 values at the edges of what the kernels must multiply exactly: -128 is the one whose
// product with itself (2^14) breaks saturating tricks such as vpmaddubsw.
constexpr std::array<std::int8_t, 4> extreme_i8_values = {-128, 127, -127, 0};

std::vector<std::int8_t> random_extreme_i8(std::mt19937& generator, std::size_t count) {
  std::uniform_int_distribution<std::size_t> pick(0, extreme_i8_values.size() - 1);
  std::vector<std::int8_t> values(count);
  for (std::int8_t& value : values) value = extreme_i8_values[pick(generator)];
  return values;
}

// ---- numeric references ------------------------------------------------------------------------------

template <typename Left, typename Right>
double sum_of_absolute_products(const Left* left, const Right* right, std::size_t length) {
  double sum = 0.0;
  for (std::size_t i = 0; i < length; ++i) sum += std::fabs(static_cast<double>(left[i]) * static_cast<double>(right[i]));
  return sum;
}

std::int64_t exact_dot_i8(const std::int8_t* left, const std::int8_t* right, std::size_t length) {
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < length; ++i) sum += static_cast<std::int64_t>(left[i]) * static_cast<std::int64_t>(right[i]);
  return sum;
}

// The bound of kernels.hpp: 2 * gamma(n) * sum|a_i * b_i|, gamma(n) = n*u / (1 - n*u), u = 2^-24.
// The relative model breaks down only where a product or the serial result's final rounding lands in
// the subnormal range; each such rounding is off by at most half the smallest subnormal, which the
// absolute term covers (and it is what lets an all-zero sum compare at all).
double float_tolerance(std::size_t length, double absolute_product_sum) {
  const double unit_roundoff = std::ldexp(1.0, -24);
  const double length_times_roundoff = static_cast<double>(length) * unit_roundoff;
  const double gamma = length_times_roundoff / (1.0 - length_times_roundoff);
  const double smallest_subnormal = static_cast<double>(std::numeric_limits<float>::denorm_min());
  return 2.0 * gamma * absolute_product_sum + static_cast<double>(length + 1) * smallest_subnormal;
}

// ---- comparing one variant result with the serial one ------------------------------------------------

void require_agreement(std::int32_t variant_result, std::int32_t serial_result, const std::int8_t* left,
                       const std::int8_t* right, std::size_t length) {
  REQUIRE(variant_result == serial_result);
  REQUIRE(static_cast<std::int64_t>(serial_result) == exact_dot_i8(left, right, length));
}

template <typename Data>
void require_agreement(float variant_result, float serial_result, const float* query, const Data* data,
                       std::size_t length) {
  const double allowed = float_tolerance(length, sum_of_absolute_products(query, data, length));
  INFO("variant " << variant_result << ", serial " << serial_result << ", allowed difference " << allowed);
  REQUIRE(std::isfinite(variant_result));
  REQUIRE(std::isfinite(serial_result));
  REQUIRE(std::fabs(static_cast<double>(variant_result) - static_cast<double>(serial_result)) <= allowed);
}

template <typename Query, typename Data, typename Score>
using dot_function = Score (*)(const Query*, const Data*, std::size_t);

template <typename Query, typename Data, typename Score>
using scores_function = void (*)(const Query*, const Data*, std::size_t, std::size_t, Score*);

template <typename Query, typename Data, typename Score>
void check_dot(const std::string& name, dot_function<Query, Data, Score> variant_function,
               dot_function<Query, Data, Score> serial_function, const Query* query, const Data* data,
               std::size_t length) {
  INFO(name << ", length " << length);
  require_agreement(variant_function(query, data, length), serial_function(query, data, length), query, data,
                    length);
}

// Runs a scan over `row_count` rows of `dimensions` and checks each score against the serial scan, the
// serial scan against the serial dot of that row, and that nothing is written past the last score.
template <typename Query, typename Data, typename Score>
void check_scores(const std::string& name, scores_function<Query, Data, Score> variant_function,
                  scores_function<Query, Data, Score> serial_function, dot_function<Query, Data, Score> serial_dot,
                  const Query* query, const Data* rows, std::size_t dimensions, std::size_t row_count) {
  INFO(name << ", " << row_count << " rows of " << dimensions << " dimensions");
  const Score sentinel = static_cast<Score>(-7777);
  std::vector<Score> serial_scores(row_count + 1, sentinel);
  std::vector<Score> variant_scores(row_count + 1, sentinel);
  serial_function(query, rows, dimensions, row_count, serial_scores.data());
  variant_function(query, rows, dimensions, row_count, variant_scores.data());
  REQUIRE(serial_scores[row_count] == sentinel);
  REQUIRE(variant_scores[row_count] == sentinel);
  for (std::size_t row = 0; row < row_count; ++row) {
    INFO("row " << row);
    const Data* row_data = rows + row * dimensions;
    REQUIRE(serial_scores[row] == serial_dot(query, row_data, dimensions));
    require_agreement(variant_scores[row], serial_scores[row], query, row_data, dimensions);
  }
}

void check_all_dots(const kernel_table& variant, const float* left_f32, const float* right_f32,
                    const std::int8_t* left_i8, const std::int8_t* right_i8, std::size_t length) {
  check_dot(label(variant, "dot_f32"), variant.dot_f32, serial().dot_f32, left_f32, right_f32, length);
  check_dot(label(variant, "dot_i8"), variant.dot_i8, serial().dot_i8, left_i8, right_i8, length);
  check_dot(label(variant, "dot_f32_i8"), variant.dot_f32_i8, serial().dot_f32_i8, left_f32, right_i8, length);
}

void check_all_scores(const kernel_table& variant, const float* query_f32, const float* rows_f32,
                      const std::int8_t* query_i8, const std::int8_t* rows_i8, std::size_t dimensions,
                      std::size_t row_count) {
  check_scores(label(variant, "scores_f32"), variant.scores_f32, serial().scores_f32, serial().dot_f32, query_f32,
               rows_f32, dimensions, row_count);
  check_scores(label(variant, "scores_i8"), variant.scores_i8, serial().scores_i8, serial().dot_i8, query_i8,
               rows_i8, dimensions, row_count);
  check_scores(label(variant, "scores_f32_i8"), variant.scores_f32_i8, serial().scores_f32_i8,
               serial().dot_f32_i8, query_f32, rows_i8, dimensions, row_count);
}

// The Matryoshka sizes Gemini Embedding and similar models are truncated to.
constexpr std::array<std::size_t, 6> matryoshka_sizes = {128, 256, 512, 768, 1536, 3072};

// Row counts that cover the four-row blocks of the scan kernels (0..9: none, a partial block, one and
// two blocks with every remainder) plus a larger count with a remainder.
constexpr std::array<std::size_t, 11> scan_row_counts = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 37};

// Dimensions around every vector width and unroll step of the variants (4, 8, 16, 32 lanes), mostly odd.
constexpr std::array<std::size_t, 20> scan_dimensions = {1,  2,  3,  5,  7,  8,   9,   15,  16,  17,
                                                         31, 33, 47, 63, 65, 127, 129, 255, 767, 1537};

}  // namespace

TEST_CASE("a SIMD kernel variant exists wherever the target can run one", "[kernels]") {
#if defined(__EMSCRIPTEN__)
  // The wasm build is compiled with -msimd128, so its table must always be there.
  REQUIRE(mosaic::vector::wasm128_kernels() != nullptr);
  REQUIRE(mosaic::vector::best_available_implementation() == kernel_implementation::wasm128);
#elif defined(__x86_64__)
  // The AVX2 file is always compiled on x86-64; the dispatcher must offer it exactly when the CPU can
  // run it, or every comparison below would silently test nothing.
  const bool cpu_runs_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (cpu_runs_avx2) {
    REQUIRE(mosaic::vector::avx2_kernels() != nullptr);
    REQUIRE(mosaic::vector::best_available_implementation() == kernel_implementation::avx2);
  } else {
    REQUIRE(mosaic::vector::avx2_kernels() == nullptr);
    REQUIRE(mosaic::vector::best_available_implementation() == kernel_implementation::serial);
  }
#else
  WARN("no SIMD kernel variant is built for this target: only the serial kernels are tested");
#endif
}

TEST_CASE("kernel tables are found by implementation and name themselves", "[kernels]") {
  REQUIRE(mosaic::vector::kernels_for(kernel_implementation::serial) == &serial());
  REQUIRE(serial().implementation == kernel_implementation::serial);
  REQUIRE(mosaic::vector::kernels_for(kernel_implementation::avx2) == mosaic::vector::avx2_kernels());
  REQUIRE(mosaic::vector::kernels_for(kernel_implementation::wasm128) == mosaic::vector::wasm128_kernels());
  for (const kernel_table* variant : simd_variants()) {
    REQUIRE(variant != &serial());
    REQUIRE(variant->dot_f32 != nullptr);
    REQUIRE(variant->dot_i8 != nullptr);
    REQUIRE(variant->dot_f32_i8 != nullptr);
    REQUIRE(variant->scores_f32 != nullptr);
    REQUIRE(variant->scores_i8 != nullptr);
    REQUIRE(variant->scores_f32_i8 != nullptr);
    REQUIRE(variant->hamming_distances != nullptr);
  }
  if (const kernel_table* avx2 = mosaic::vector::avx2_kernels()) REQUIRE(avx2->implementation == kernel_implementation::avx2);
  if (const kernel_table* wasm128 = mosaic::vector::wasm128_kernels()) {
    REQUIRE(wasm128->implementation == kernel_implementation::wasm128);
  }
  REQUIRE(mosaic::vector::kernel_implementation_name(kernel_implementation::serial) == "serial");
  REQUIRE(mosaic::vector::kernel_implementation_name(kernel_implementation::avx2) == "avx2");
  REQUIRE(mosaic::vector::kernel_implementation_name(kernel_implementation::wasm128) == "wasm128");

  // The best implementation is the one with the widest SIMD the target has: wasm128, then AVX2.
  const kernel_implementation best = mosaic::vector::best_available_implementation();
  REQUIRE(mosaic::vector::kernels_for(best) != nullptr);
  if (mosaic::vector::wasm128_kernels() != nullptr) {
    REQUIRE(best == kernel_implementation::wasm128);
  } else if (mosaic::vector::avx2_kernels() != nullptr) {
    REQUIRE(best == kernel_implementation::avx2);
  } else {
    REQUIRE(best == kernel_implementation::serial);
  }
}

TEST_CASE("use_kernels forces serial and back, and refuses a variant the target lacks", "[kernels]") {
  const restore_best_kernels restore;
  const kernel_implementation best = mosaic::vector::best_available_implementation();
  // Every test that forces a table restores it, so whatever ran before, the default is active here.
  REQUIRE(mosaic::vector::active_kernels().implementation == best);

  REQUIRE(mosaic::vector::use_kernels(kernel_implementation::serial).ok());
  REQUIRE(&mosaic::vector::active_kernels() == &serial());

  REQUIRE(mosaic::vector::use_kernels(best).ok());
  REQUIRE(&mosaic::vector::active_kernels() == mosaic::vector::kernels_for(best));

  for (const kernel_table* variant : simd_variants()) {
    REQUIRE(mosaic::vector::use_kernels(variant->implementation).ok());
    REQUIRE(&mosaic::vector::active_kernels() == variant);
  }

  // A native build has no wasm128 and a wasm build no AVX2, so at least one of these is refused.
  std::size_t refused = 0;
  for (const kernel_implementation implementation : {kernel_implementation::avx2, kernel_implementation::wasm128}) {
    if (mosaic::vector::kernels_for(implementation) != nullptr) continue;
    REQUIRE(mosaic::vector::use_kernels(kernel_implementation::serial).ok());
    const mosaic::status forced = mosaic::vector::use_kernels(implementation);
    REQUIRE_FALSE(forced.ok());
    REQUIRE(forced.failure().code == error_code::unsupported_kernel);
    // The message names the variant, so the cause is not lost on the way to a log.
    REQUIRE_THAT(forced.failure().message,
                 Catch::Contains(std::string(mosaic::vector::kernel_implementation_name(implementation))));
    // A refused request leaves the active table as it was.
    REQUIRE(&mosaic::vector::active_kernels() == &serial());
    ++refused;
  }
  REQUIRE(refused >= 1);
}

TEST_CASE("SIMD dot kernels match serial at every length from 0 to 4099", "[kernels][variants]") {
  std::mt19937 generator(20240601);
  for (const kernel_table* variant : simd_variants()) {
    // An empty dot is zero whatever the pointers hold.
    const float one_float = 1.0f;
    const std::int8_t one_i8 = 1;
    REQUIRE(variant->dot_f32(&one_float, &one_float, 0) == 0.0f);
    REQUIRE(variant->dot_i8(&one_i8, &one_i8, 0) == 0);
    REQUIRE(variant->dot_f32_i8(&one_float, &one_i8, 0) == 0.0f);

    for (std::size_t length = 1; length <= 4099; ++length) {
      // Offsets of up to 7 elements make the variants read from unaligned addresses, as they do on
      // rows inside a shard.
      const std::size_t left_offset = length % 8;
      const std::size_t right_offset = (length / 8) % 8;
      const std::vector<float> left_f32 = random_floats(generator, length + left_offset, -1.0f, 1.0f);
      const std::vector<float> right_f32 = random_floats(generator, length + right_offset, -1.0f, 1.0f);
      const std::vector<std::int8_t> left_i8 = random_i8(generator, length + left_offset);
      const std::vector<std::int8_t> right_i8 = random_i8(generator, length + right_offset);
      check_all_dots(*variant, left_f32.data() + left_offset, right_f32.data() + right_offset,
                     left_i8.data() + left_offset, right_i8.data() + right_offset, length);
    }
  }
}

TEST_CASE("float kernels are exact when every product and partial sum is a small integer",
          "[kernels][variants]") {
  // Integers below 2^24 are exact in float and so is every sum of them, in any order and with or
  // without FMA. With such inputs the loose worst-case bound is replaced by equality, which catches a
  // dropped or repeated element even at lengths where the bound is wide: |query| <= 16 and |data| <= 128
  // keep sum|a_i*b_i| <= 4099 * 2048 < 2^24.
  std::mt19937 generator(2024);
  std::uniform_int_distribution<int> small_integer(-16, 16);
  const auto random_integer_floats = [&](std::size_t count) {
    std::vector<float> values(count);
    for (float& value : values) value = static_cast<float>(small_integer(generator));
    return values;
  };
  for (const kernel_table* variant : simd_variants()) {
    INFO(mosaic::vector::kernel_implementation_name(variant->implementation));
    for (std::size_t length = 1; length <= 4099; ++length) {
      INFO("length " << length);
      const std::vector<float> left = random_integer_floats(length);
      const std::vector<float> right = random_integer_floats(length);
      const std::vector<std::int8_t> data = random_i8(generator, length);
      REQUIRE(variant->dot_f32(left.data(), right.data(), length) == serial().dot_f32(left.data(), right.data(), length));
      REQUIRE(variant->dot_f32_i8(left.data(), data.data(), length) ==
              serial().dot_f32_i8(left.data(), data.data(), length));
    }
    for (const std::size_t dimensions : scan_dimensions) {
      for (const std::size_t row_count : scan_row_counts) {
        INFO(row_count << " rows of " << dimensions << " dimensions");
        const std::vector<float> query = random_integer_floats(dimensions);
        const std::vector<float> rows_f32 = random_integer_floats(dimensions * row_count);
        const std::vector<std::int8_t> rows_i8 = random_i8(generator, dimensions * row_count);
        std::vector<float> serial_scores(row_count), variant_scores(row_count);
        serial().scores_f32(query.data(), rows_f32.data(), dimensions, row_count, serial_scores.data());
        variant->scores_f32(query.data(), rows_f32.data(), dimensions, row_count, variant_scores.data());
        REQUIRE(variant_scores == serial_scores);
        serial().scores_f32_i8(query.data(), rows_i8.data(), dimensions, row_count, serial_scores.data());
        variant->scores_f32_i8(query.data(), rows_i8.data(), dimensions, row_count, variant_scores.data());
        REQUIRE(variant_scores == serial_scores);
      }
    }
  }
}

TEST_CASE("SIMD kernels match serial at every Matryoshka size with several seeds", "[kernels][variants]") {
  for (const kernel_table* variant : simd_variants()) {
    for (const std::size_t dimensions : matryoshka_sizes) {
      for (std::uint32_t seed = 1; seed <= 6; ++seed) {
        std::mt19937 generator(seed * 7919u + static_cast<std::uint32_t>(dimensions));
        const std::size_t row_count = 9;
        // Even seeds use embedding-like values, odd seeds a wider range with more cancellation.
        const float range = seed % 2 == 0 ? 0.1f : 4.0f;
        const std::vector<float> query_f32 = random_floats(generator, dimensions, -range, range);
        const std::vector<float> rows_f32 = random_floats(generator, dimensions * row_count, -range, range);
        const std::vector<std::int8_t> query_i8 = random_i8(generator, dimensions);
        const std::vector<std::int8_t> rows_i8 = random_i8(generator, dimensions * row_count);
        check_all_dots(*variant, query_f32.data(), rows_f32.data(), query_i8.data(), rows_i8.data(), dimensions);
        check_all_scores(*variant, query_f32.data(), rows_f32.data(), query_i8.data(), rows_i8.data(), dimensions,
                         row_count);
      }
    }
  }
}

TEST_CASE("SIMD scan kernels match serial for every row-block remainder and odd dimensions",
          "[kernels][variants]") {
  std::mt19937 generator(77);
  for (const kernel_table* variant : simd_variants()) {
    for (const std::size_t dimensions : scan_dimensions) {
      for (const std::size_t row_count : scan_row_counts) {
        // One element of padding in front makes every row start unaligned.
        const std::vector<float> query_f32 = random_floats(generator, dimensions + 1, -1.0f, 1.0f);
        const std::vector<float> rows_f32 = random_floats(generator, dimensions * row_count + 1, -1.0f, 1.0f);
        const std::vector<std::int8_t> query_i8 = random_i8(generator, dimensions + 1);
        const std::vector<std::int8_t> rows_i8 = random_i8(generator, dimensions * row_count + 1);
        check_all_scores(*variant, query_f32.data() + 1, rows_f32.data() + 1, query_i8.data() + 1,
                         rows_i8.data() + 1, dimensions, row_count);
      }
    }
  }
}

TEST_CASE("every kernel returns exactly zero for zero vectors", "[kernels][variants]") {
  std::mt19937 generator(5);
  std::vector<const kernel_table*> tables = simd_variants();
  tables.push_back(&serial());
  for (const kernel_table* table : tables) {
    INFO(mosaic::vector::kernel_implementation_name(table->implementation));
    for (const std::size_t length : {std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{16}, std::size_t{31},
                                     std::size_t{32}, std::size_t{33}, std::size_t{768}, std::size_t{4099}}) {
      INFO("length " << length);
      const std::vector<float> zero_f32(length, 0.0f);
      const std::vector<std::int8_t> zero_i8(length, std::int8_t{0});
      const std::vector<float> values_f32 = random_floats(generator, length, -1000.0f, 1000.0f);
      const std::vector<std::int8_t> values_i8 = random_i8(generator, length);

      REQUIRE(table->dot_f32(zero_f32.data(), zero_f32.data(), length) == 0.0f);
      REQUIRE(table->dot_f32(zero_f32.data(), values_f32.data(), length) == 0.0f);
      REQUIRE(table->dot_f32(values_f32.data(), zero_f32.data(), length) == 0.0f);
      REQUIRE(table->dot_i8(zero_i8.data(), zero_i8.data(), length) == 0);
      REQUIRE(table->dot_i8(zero_i8.data(), values_i8.data(), length) == 0);
      REQUIRE(table->dot_i8(values_i8.data(), zero_i8.data(), length) == 0);
      REQUIRE(table->dot_f32_i8(zero_f32.data(), values_i8.data(), length) == 0.0f);
      REQUIRE(table->dot_f32_i8(values_f32.data(), zero_i8.data(), length) == 0.0f);

      // Five rows: one block of four and a remainder, all zero.
      const std::size_t row_count = 5;
      const std::vector<float> zero_rows_f32(length * row_count, 0.0f);
      const std::vector<std::int8_t> zero_rows_i8(length * row_count, std::int8_t{0});
      std::vector<float> scores_f32(row_count, -1.0f);
      std::vector<std::int32_t> scores_i8(row_count, -1);
      table->scores_f32(values_f32.data(), zero_rows_f32.data(), length, row_count, scores_f32.data());
      for (const float score : scores_f32) REQUIRE(score == 0.0f);
      table->scores_i8(values_i8.data(), zero_rows_i8.data(), length, row_count, scores_i8.data());
      for (const std::int32_t score : scores_i8) REQUIRE(score == 0);
      std::fill(scores_f32.begin(), scores_f32.end(), -1.0f);
      table->scores_f32_i8(values_f32.data(), zero_rows_i8.data(), length, row_count, scores_f32.data());
      for (const float score : scores_f32) REQUIRE(score == 0.0f);
    }
  }
}

TEST_CASE("int8 kernels are exact at the extremes of the int8 range", "[kernels][variants]") {
  std::mt19937 generator(128);
  const std::vector<std::size_t> lengths = {1, 2, 15, 16, 17, 31, 32, 33, 63, 64, 65, 767, 768, 4099};

  SECTION("whole vectors of every pair of -128, 127, -127 and 0") {
    for (const kernel_table* variant : simd_variants()) {
      for (const std::int8_t left_value : extreme_i8_values) {
        for (const std::int8_t right_value : extreme_i8_values) {
          for (const std::size_t length : lengths) {
            const std::vector<std::int8_t> left(length, left_value);
            const std::vector<std::int8_t> right(length, right_value);
            INFO(static_cast<int>(left_value) << " times " << static_cast<int>(right_value));
            check_dot(label(*variant, "dot_i8"), variant->dot_i8, serial().dot_i8, left.data(), right.data(), length);
          }
        }
      }
    }
  }

  SECTION("vectors mixing -128, 127, -127 and 0 at random") {
    for (const kernel_table* variant : simd_variants()) {
      for (std::size_t length = 1; length <= 300; ++length) {
        const std::vector<std::int8_t> left = random_extreme_i8(generator, length);
        const std::vector<std::int8_t> right = random_extreme_i8(generator, length);
        check_dot(label(*variant, "dot_i8"), variant->dot_i8, serial().dot_i8, left.data(), right.data(), length);
      }
      for (const std::size_t dimensions : scan_dimensions) {
        for (const std::size_t row_count : scan_row_counts) {
          const std::vector<std::int8_t> query = random_extreme_i8(generator, dimensions);
          const std::vector<std::int8_t> rows = random_extreme_i8(generator, dimensions * row_count);
          check_scores(label(*variant, "scores_i8"), variant->scores_i8, serial().scores_i8, serial().dot_i8,
                       query.data(), rows.data(), dimensions, row_count);
        }
      }
    }
  }

  SECTION("-128 times -128 over 4099 elements, and at the documented maximum length") {
    // 4099 * 128 * 128 = 67,158,016 and 65,536 * 128 * 128 = 2^30: both fit i32, and both must come out
    // exact rather than saturated or wrapped.
    const std::vector<std::int8_t> minimum_4099(4099, std::int8_t{-128});
    const std::int64_t exact_4099 = exact_dot_i8(minimum_4099.data(), minimum_4099.data(), 4099);
    REQUIRE(exact_4099 == 67158016);
    REQUIRE(serial().dot_i8(minimum_4099.data(), minimum_4099.data(), 4099) == 67158016);

    const std::size_t longest = mosaic::vector::max_kernel_dimensions;
    const std::vector<std::int8_t> minimum_longest(longest, std::int8_t{-128});
    REQUIRE(exact_dot_i8(minimum_longest.data(), minimum_longest.data(), longest) == (std::int64_t{1} << 30));
    REQUIRE(serial().dot_i8(minimum_longest.data(), minimum_longest.data(), longest) == (std::int32_t{1} << 30));

    for (const kernel_table* variant : simd_variants()) {
      INFO(mosaic::vector::kernel_implementation_name(variant->implementation));
      REQUIRE(variant->dot_i8(minimum_4099.data(), minimum_4099.data(), 4099) == 67158016);
      REQUIRE(variant->dot_i8(minimum_longest.data(), minimum_longest.data(), longest) == (std::int32_t{1} << 30));
      // -128 against 127 is the most negative product: 4099 * -16256.
      const std::vector<std::int8_t> maximum_4099(4099, std::int8_t{127});
      REQUIRE(variant->dot_i8(minimum_4099.data(), maximum_4099.data(), 4099) == -66633344);
      // The scans over nine rows of -128 (two blocks of four and a remainder).
      const std::size_t row_count = 9;
      const std::vector<std::int8_t> minimum_rows(4099 * row_count, std::int8_t{-128});
      std::vector<std::int32_t> scores(row_count, 0);
      variant->scores_i8(minimum_4099.data(), minimum_rows.data(), 4099, row_count, scores.data());
      for (const std::int32_t score : scores) REQUIRE(score == 67158016);
      // Two rows at the documented maximum length: scan kernels that keep partial sums in narrower or
      // scaled accumulators (the wasm one empties its even-lane sums every 2,048 dimensions) must
      // still come out exact, at 2^30 and at 65,536 * -16,256.
      const std::vector<std::int8_t> longest_rows = [&] {
        std::vector<std::int8_t> rows(2 * longest, std::int8_t{-128});
        std::fill(rows.begin() + static_cast<std::ptrdiff_t>(longest), rows.end(), std::int8_t{127});
        return rows;
      }();
      std::vector<std::int32_t> longest_scores(2, 0);
      variant->scores_i8(minimum_longest.data(), longest_rows.data(), longest, 2, longest_scores.data());
      REQUIRE(longest_scores[0] == (std::int32_t{1} << 30));
      REQUIRE(longest_scores[1] == -65536 * 16256);
    }
  }

  SECTION("float queries against extreme int8 data") {
    for (const kernel_table* variant : simd_variants()) {
      for (const std::size_t length : lengths) {
        const std::vector<float> query = random_floats(generator, length, -1.0f, 1.0f);
        const std::vector<std::int8_t> data = random_extreme_i8(generator, length);
        check_dot(label(*variant, "dot_f32_i8"), variant->dot_f32_i8, serial().dot_f32_i8, query.data(),
                  data.data(), length);
        const std::size_t row_count = 9;
        const std::vector<std::int8_t> rows = random_extreme_i8(generator, length * row_count);
        check_scores(label(*variant, "scores_f32_i8"), variant->scores_f32_i8, serial().scores_f32_i8,
                     serial().dot_f32_i8, query.data(), rows.data(), length, row_count);
      }
    }
  }
}

TEST_CASE("float kernels stay within the documented bound for extreme magnitudes", "[kernels][variants]") {
  std::mt19937 generator(1000000000u);
  const std::vector<std::size_t> lengths = {1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 255};
  const std::vector<std::size_t> long_lengths = {768, 1536, 3072, 4099};
  const float smallest_subnormal = std::numeric_limits<float>::denorm_min();

  // Each configuration keeps sum|a_i * b_i| well below FLT_MAX (about 3.4e38), so no partial sum of
  // any variant can overflow and the serial result stays finite.
  struct magnitudes {
    const char* description;
    float left_low, left_high, right_low, right_high;
    const std::vector<std::size_t>* lengths;
  };
  const std::vector<magnitudes> configurations = {
      // Products up to 1e36; at most 255 of them.
      {"both sides near 1e18", 1e17f, 1e18f, 1e17f, 1e18f, &lengths},
      // Products up to 1e33 over long vectors.
      {"1e18 against 1e15", 1e17f, 1e18f, 1e14f, 1e15f, &long_lengths},
      // Subnormal inputs against large partners: products are ordinary numbers, so a variant that
      // flushed subnormal inputs to zero (DAZ) would be far outside the bound.
      {"subnormals against 1e30", 1.0f * smallest_subnormal, 1000.0f * smallest_subnormal, 1e29f, 1e30f, &lengths},
      // Products between about 1e-40 and 1e-36: partly in the subnormal range, covered by the
      // absolute term of the tolerance.
      {"both sides near 1e-19", 1e-20f, 1e-18f, 1e-20f, 1e-18f, &lengths},
      // Huge against tiny: products of ordinary size built from both ends of the range.
      {"1e-30 against 1e30", 1e-31f, 1e-30f, 1e29f, 1e30f, &long_lengths},
  };

  for (const kernel_table* variant : simd_variants()) {
    for (const magnitudes& configuration : configurations) {
      INFO(configuration.description);
      for (const std::size_t length : *configuration.lengths) {
        const std::vector<float> left =
            random_signed_magnitudes(generator, length, configuration.left_low, configuration.left_high);
        const std::vector<float> right =
            random_signed_magnitudes(generator, length, configuration.right_low, configuration.right_high);
        REQUIRE(sum_of_absolute_products(left.data(), right.data(), length) < 1e38);
        check_dot(label(*variant, "dot_f32"), variant->dot_f32, serial().dot_f32, left.data(), right.data(), length);
      }
    }

    // The same through the scans: five rows of near-1e18 values against a near-1e18 query.
    for (const std::size_t dimensions : lengths) {
      const std::size_t row_count = 5;
      const std::vector<float> query = random_signed_magnitudes(generator, dimensions, 1e17f, 1e18f);
      const std::vector<float> rows = random_signed_magnitudes(generator, dimensions * row_count, 1e17f, 1e18f);
      check_scores(label(*variant, "scores_f32"), variant->scores_f32, serial().scores_f32, serial().dot_f32,
                   query.data(), rows.data(), dimensions, row_count);
    }

    // Float queries at both ends of the range against full-range int8 data: |products| up to 1.28e32.
    for (const float magnitude : {1e30f, 1e-30f, 1000.0f * smallest_subnormal}) {
      INFO("query magnitude " << magnitude);
      for (const std::size_t length : {std::size_t{1}, std::size_t{17}, std::size_t{768}, std::size_t{4099}}) {
        const std::vector<float> query = random_signed_magnitudes(generator, length, magnitude / 10.0f, magnitude);
        const std::vector<std::int8_t> data = random_i8(generator, length);
        check_dot(label(*variant, "dot_f32_i8"), variant->dot_f32_i8, serial().dot_f32_i8, query.data(),
                  data.data(), length);
        const std::size_t row_count = 6;
        const std::vector<std::int8_t> rows = random_i8(generator, length * row_count);
        check_scores(label(*variant, "scores_f32_i8"), variant->scores_f32_i8, serial().scores_f32_i8,
                     serial().dot_f32_i8, query.data(), rows.data(), length, row_count);
      }
    }

    // Cancellation: +1e18 and -1e18 in alternation with a small value in between; the exact sum is
    // tiny next to sum|a_i*b_i|, which is what the bound is relative to.
    for (const std::size_t length : lengths) {
      std::vector<float> left(length), right(length, 1.0f);
      for (std::size_t i = 0; i < length; ++i) left[i] = i % 3 == 0 ? 1e18f : (i % 3 == 1 ? -1e18f : 0.5f);
      check_dot(label(*variant, "dot_f32"), variant->dot_f32, serial().dot_f32, left.data(), right.data(), length);
    }
  }
}

TEST_CASE("checked dot wrappers refuse mismatched or oversized lengths", "[kernels][wrappers]") {
  const restore_best_kernels restore;
  for (const kernel_implementation implementation : available_implementations()) {
    INFO(mosaic::vector::kernel_implementation_name(implementation));
    REQUIRE(mosaic::vector::use_kernels(implementation).ok());

    const std::vector<float> three_f32 = {1.0f, 2.0f, 3.0f};
    const std::vector<float> four_f32 = {4.0f, 5.0f, 6.0f, 7.0f};
    const std::vector<std::int8_t> three_i8 = {1, 2, 3};
    const std::vector<std::int8_t> four_i8 = {4, 5, 6, 7};

    const auto float_mismatch = mosaic::vector::dot(std::span<const float>(three_f32), std::span<const float>(four_f32));
    REQUIRE_FALSE(float_mismatch.ok());
    REQUIRE(float_mismatch.failure().code == error_code::dimension_mismatch);
    const auto i8_mismatch = mosaic::vector::dot(std::span<const std::int8_t>(three_i8), std::span<const std::int8_t>(four_i8));
    REQUIRE_FALSE(i8_mismatch.ok());
    REQUIRE(i8_mismatch.failure().code == error_code::dimension_mismatch);
    const auto mixed_mismatch = mosaic::vector::dot(std::span<const float>(four_f32), std::span<const std::int8_t>(three_i8));
    REQUIRE_FALSE(mixed_mismatch.ok());
    REQUIRE(mixed_mismatch.failure().code == error_code::dimension_mismatch);
    const auto cosine_mismatch = mosaic::vector::cosine(std::span<const float>(three_f32), std::span<const float>(four_f32));
    REQUIRE_FALSE(cosine_mismatch.ok());
    REQUIRE(cosine_mismatch.failure().code == error_code::dimension_mismatch);
    const auto cosine_i8_mismatch =
        mosaic::vector::cosine(std::span<const std::int8_t>(three_i8), std::span<const std::int8_t>(four_i8));
    REQUIRE_FALSE(cosine_i8_mismatch.ok());
    REQUIRE(cosine_i8_mismatch.failure().code == error_code::dimension_mismatch);

    // The i32 sum is exact only up to max_kernel_dimensions; one more element is refused.
    const std::size_t longest = mosaic::vector::max_kernel_dimensions;
    const std::vector<std::int8_t> minimum_longest(longest, std::int8_t{-128});
    const auto at_limit = mosaic::vector::dot(std::span<const std::int8_t>(minimum_longest),
                                              std::span<const std::int8_t>(minimum_longest));
    REQUIRE(at_limit.ok());
    REQUIRE(at_limit.value() == (std::int32_t{1} << 30));
    const std::vector<std::int8_t> too_long_i8(longest + 1, std::int8_t{1});
    const auto over_limit = mosaic::vector::dot(std::span<const std::int8_t>(too_long_i8), std::span<const std::int8_t>(too_long_i8));
    REQUIRE_FALSE(over_limit.ok());
    REQUIRE(over_limit.failure().code == error_code::invalid_argument);
    const std::vector<float> too_long_f32(longest + 1, 1.0f);
    const auto over_limit_f32 = mosaic::vector::dot(std::span<const float>(too_long_f32), std::span<const float>(too_long_f32));
    REQUIRE_FALSE(over_limit_f32.ok());
    REQUIRE(over_limit_f32.failure().code == error_code::invalid_argument);

    // Known values, all exact in float.
    const auto float_dot = mosaic::vector::dot(std::span<const float>(three_f32), std::span<const float>(three_f32));
    REQUIRE(float_dot.ok());
    REQUIRE(float_dot.value() == 14.0f);
    const auto i8_dot = mosaic::vector::dot(std::span<const std::int8_t>(three_i8), std::span<const std::int8_t>(three_i8));
    REQUIRE(i8_dot.ok());
    REQUIRE(i8_dot.value() == 14);
    const std::vector<float> query = {0.5f, -1.5f};
    const std::vector<std::int8_t> data = {2, 4};
    const auto mixed_dot = mosaic::vector::dot(std::span<const float>(query), std::span<const std::int8_t>(data));
    REQUIRE(mixed_dot.ok());
    REQUIRE(mixed_dot.value() == -5.0f);
    const std::vector<float> empty;
    const auto empty_dot = mosaic::vector::dot(std::span<const float>(empty), std::span<const float>(empty));
    REQUIRE(empty_dot.ok());
    REQUIRE(empty_dot.value() == 0.0f);
  }
}

// Sections stay outside the loops over variants: Catch enters a given section once per run of the test
// case, so a section inside a loop would only ever see the first variant.
TEST_CASE("cosine of a zero vector is an error, never NaN", "[kernels][wrappers]") {
  const restore_best_kernels restore;
  std::mt19937 generator(314159);
  for (const kernel_implementation implementation : available_implementations()) {
    INFO(mosaic::vector::kernel_implementation_name(implementation));
    REQUIRE(mosaic::vector::use_kernels(implementation).ok());

    const std::vector<float> zero_f32(768, 0.0f);
    const std::vector<float> negative_zero_f32(768, -0.0f);
    const std::vector<float> values_f32 = random_floats(generator, 768, -1.0f, 1.0f);
    const std::vector<std::int8_t> zero_i8(768, std::int8_t{0});
    const std::vector<std::int8_t> values_i8 = random_i8(generator, 768);
    const std::vector<float> empty_f32;

    for (const auto& [left, right] :
         {std::pair{&zero_f32, &values_f32}, std::pair{&values_f32, &zero_f32}, std::pair{&zero_f32, &zero_f32},
          std::pair{&negative_zero_f32, &values_f32}, std::pair{&empty_f32, &empty_f32}}) {
      const auto result = mosaic::vector::cosine(std::span<const float>(*left), std::span<const float>(*right));
      REQUIRE_FALSE(result.ok());
      REQUIRE(result.failure().code == error_code::zero_vector);
      REQUIRE_FALSE(result.failure().message.empty());
    }
    for (const auto& [left, right] :
         {std::pair{&zero_i8, &values_i8}, std::pair{&values_i8, &zero_i8}, std::pair{&zero_i8, &zero_i8}}) {
      const auto result =
          mosaic::vector::cosine(std::span<const std::int8_t>(*left), std::span<const std::int8_t>(*right));
      REQUIRE_FALSE(result.ok());
      REQUIRE(result.failure().code == error_code::zero_vector);
    }
  }
}

TEST_CASE("cosine of known float vectors", "[kernels][wrappers]") {
  const restore_best_kernels restore;
  std::mt19937 generator(271828);
  for (const kernel_implementation implementation : available_implementations()) {
    INFO(mosaic::vector::kernel_implementation_name(implementation));
    REQUIRE(mosaic::vector::use_kernels(implementation).ok());

    const std::vector<float> first = {1.0f, 2.0f, 3.0f};
    const std::vector<float> second = {4.0f, 5.0f, 6.0f};
    const auto angled = mosaic::vector::cosine(std::span<const float>(first), std::span<const float>(second));
    REQUIRE(angled.ok());
    // 32 / sqrt(14 * 77)
    REQUIRE(angled.value() == Approx(0.9746318461970762).epsilon(1e-6));

    const std::vector<float> along_x = {2.0f, 0.0f, 0.0f, 0.0f};
    const std::vector<float> along_y = {0.0f, -3.0f, 0.0f, 0.0f};
    const auto orthogonal = mosaic::vector::cosine(std::span<const float>(along_x), std::span<const float>(along_y));
    REQUIRE(orthogonal.ok());
    REQUIRE(orthogonal.value() == 0.0f);

    // Scaling by 2 or -1 is exact in floating point, so the cosine of a vector with its double and with
    // its negation is exactly 1 and -1 whatever order a variant sums in.
    const std::vector<float> values = random_floats(generator, 768, -1.0f, 1.0f);
    std::vector<float> doubled(values.size()), negated(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      doubled[i] = 2.0f * values[i];
      negated[i] = -values[i];
    }
    const auto same_direction = mosaic::vector::cosine(std::span<const float>(values), std::span<const float>(doubled));
    REQUIRE(same_direction.ok());
    REQUIRE(same_direction.value() == 1.0f);
    const auto opposite = mosaic::vector::cosine(std::span<const float>(values), std::span<const float>(negated));
    REQUIRE(opposite.ok());
    REQUIRE(opposite.value() == -1.0f);

    // Random pairs against a cosine computed in double.
    for (int pair = 0; pair < 20; ++pair) {
      const std::vector<float> left = random_floats(generator, 257, -1.0f, 1.0f);
      const std::vector<float> right = random_floats(generator, 257, -1.0f, 1.0f);
      double dot_product = 0.0, left_squares = 0.0, right_squares = 0.0;
      for (std::size_t i = 0; i < left.size(); ++i) {
        dot_product += static_cast<double>(left[i]) * static_cast<double>(right[i]);
        left_squares += static_cast<double>(left[i]) * static_cast<double>(left[i]);
        right_squares += static_cast<double>(right[i]) * static_cast<double>(right[i]);
      }
      const double expected = dot_product / std::sqrt(left_squares * right_squares);
      const auto result = mosaic::vector::cosine(std::span<const float>(left), std::span<const float>(right));
      REQUIRE(result.ok());
      REQUIRE(std::fabs(static_cast<double>(result.value()) - expected) <= 1e-5);
    }
  }
}

TEST_CASE("cosine of known int8 vectors", "[kernels][wrappers]") {
  const restore_best_kernels restore;
  std::mt19937 generator(161803);
  for (const kernel_implementation implementation : available_implementations()) {
    INFO(mosaic::vector::kernel_implementation_name(implementation));
    REQUIRE(mosaic::vector::use_kernels(implementation).ok());

    const std::vector<std::int8_t> values = {1, 2, 3};
    const std::vector<std::int8_t> negated_double = {-2, -4, -6};
    const auto opposite =
        mosaic::vector::cosine(std::span<const std::int8_t>(values), std::span<const std::int8_t>(negated_double));
    REQUIRE(opposite.ok());
    REQUIRE(opposite.value() == -1.0f);

    // 2 * -128 * 127 / sqrt(2 * 128^2 * 2 * 127^2): every step is exact.
    const std::vector<std::int8_t> minimum = {-128, -128};
    const std::vector<std::int8_t> maximum = {127, 127};
    const auto extremes =
        mosaic::vector::cosine(std::span<const std::int8_t>(minimum), std::span<const std::int8_t>(maximum));
    REQUIRE(extremes.ok());
    REQUIRE(extremes.value() == -1.0f);

    const std::vector<std::int8_t> along_x = {127, 0};
    const std::vector<std::int8_t> along_y = {0, -128};
    const auto orthogonal =
        mosaic::vector::cosine(std::span<const std::int8_t>(along_x), std::span<const std::int8_t>(along_y));
    REQUIRE(orthogonal.ok());
    REQUIRE(orthogonal.value() == 0.0f);

    for (int pair = 0; pair < 20; ++pair) {
      const std::vector<std::int8_t> left = random_i8(generator, 768);
      const std::vector<std::int8_t> right = random_i8(generator, 768);
      const double expected = static_cast<double>(exact_dot_i8(left.data(), right.data(), 768)) /
                              std::sqrt(static_cast<double>(exact_dot_i8(left.data(), left.data(), 768)) *
                                        static_cast<double>(exact_dot_i8(right.data(), right.data(), 768)));
      const auto result =
          mosaic::vector::cosine(std::span<const std::int8_t>(left), std::span<const std::int8_t>(right));
      REQUIRE(result.ok());
      REQUIRE(std::fabs(static_cast<double>(result.value()) - expected) <= 1e-6);
    }
  }
}

TEST_CASE("cosine of extreme but finite vectors is their true cosine", "[kernels][wrappers]") {
  const restore_best_kernels restore;
  for (const kernel_implementation implementation : available_implementations()) {
    INFO(mosaic::vector::kernel_implementation_name(implementation));
    REQUIRE(mosaic::vector::use_kernels(implementation).ok());
    // Float dots overflow near 1e20 and underflow near 1e-23; the wrapper then recomputes in scaled
    // double, so the answer is the true cosine: (1, 1, 0) . (1, -1, 1) = 0 and (1, 1, 0) . (1, 0, 0) = 1/sqrt(2).
    for (const float magnitude : {1e18f, 1e20f, 1e30f, std::numeric_limits<float>::max(), 1e-18f, 1e-30f,
                                  std::numeric_limits<float>::denorm_min()}) {
      INFO("magnitude " << magnitude);
      const std::vector<float> left = {magnitude, magnitude, 0.0f};
      const std::vector<float> orthogonal = {magnitude, -magnitude, magnitude};
      const std::vector<float> diagonal = {magnitude, 0.0f, 0.0f};
      const auto zero = mosaic::vector::cosine(std::span<const float>(left), std::span<const float>(orthogonal));
      REQUIRE(zero.ok());
      CHECK(std::fabs(zero.value()) <= 1e-6f);
      const auto half_root_two = mosaic::vector::cosine(std::span<const float>(left), std::span<const float>(diagonal));
      REQUIRE(half_root_two.ok());
      CHECK(std::fabs(static_cast<double>(half_root_two.value()) - 1.0 / std::sqrt(2.0)) <= 1e-6);
    }
    const std::vector<float> with_nan = {1.0f, std::numeric_limits<float>::quiet_NaN(), 0.0f};
    const std::vector<float> ordinary = {1.0f, 1.0f, 1.0f};
    const auto refused = mosaic::vector::cosine(std::span<const float>(with_nan), std::span<const float>(ordinary));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.failure().code == error_code::non_finite_value);
  }
}

namespace {

// Checks one variant's matrix product against serial, element by element, within the summation bound
// for `inner` terms.
void check_matrix_product(const kernel_table& variant, std::size_t rows, std::size_t inner, std::size_t columns,
                          std::mt19937& generator) {
  std::uniform_real_distribution<float> value(-2.0f, 2.0f);
  std::vector<float> left(rows * inner), right(inner * columns);
  for (float& entry : left) entry = value(generator);
  for (float& entry : right) entry = value(generator);
  std::vector<float> expected(rows * columns, -1.0f), actual(rows * columns, -1.0f);
  const std::vector<float> packed = mosaic::vector::pack_matrix_panels(right.data(), inner, columns);
  serial().matrix_multiply_packed_f32(left.data(), packed.data(), rows, inner, columns, expected.data());
  variant.matrix_multiply_packed_f32(left.data(), packed.data(), rows, inner, columns, actual.data());
  for (std::size_t row = 0; row < rows; ++row) {
    for (std::size_t column = 0; column < columns; ++column) {
      double absolute_product_sum = 0.0;
      for (std::size_t k = 0; k < inner; ++k) {
        absolute_product_sum += std::fabs(static_cast<double>(left[row * inner + k]) *
                                          static_cast<double>(right[k * columns + column]));
      }
      const double difference = std::fabs(static_cast<double>(actual[row * columns + column]) -
                                           static_cast<double>(expected[row * columns + column]));
      if (difference > float_tolerance(inner, absolute_product_sum)) {
        FAIL_CHECK(label(variant, "matrix_multiply_packed_f32") << " " << rows << "x" << inner << "x" << columns
                                                         << " differs at (" << row << ", " << column << ") by "
                                                         << difference);
        return;
      }
    }
  }
}

}  // namespace

TEST_CASE("SIMD matrix products match serial for every tile remainder and the model's shapes", "[kernels][matrix]") {
  std::mt19937 generator(1234);
  for (const kernel_table* variant : simd_variants()) {
    // Every row remainder of the 6-row (AVX2) and 4-row (wasm) tiles, column counts around the 16- and
    // 8-column tiles, and odd inner sizes.
    for (std::size_t rows = 1; rows <= 13; ++rows) {
      for (std::size_t columns : {1u, 7u, 8u, 9u, 15u, 16u, 17u, 31u, 33u, 48u}) {
        for (std::size_t inner : {1u, 3u, 64u, 67u}) check_matrix_product(*variant, rows, inner, columns, generator);
      }
    }
    // The local model's matrices: tokens x (256 -> 768), (512 -> 1536), (1536 -> 512), and the pooled row.
    check_matrix_product(*variant, 92, 256, 768, generator);
    check_matrix_product(*variant, 37, 512, 1536, generator);
    check_matrix_product(*variant, 37, 1536, 512, generator);
    check_matrix_product(*variant, 1, 512, 512, generator);
  }
}

TEST_CASE("a row's matrix product does not depend on how many rows are multiplied with it", "[kernels][matrix]") {
  // The local model embeds one text at a time; its output must not change with a text's token count
  // through tiling, so every row of a product equals that row multiplied alone, bit for bit.
  std::mt19937 generator(99);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  const std::size_t rows = 11, inner = 45, columns = 37;
  std::vector<float> left(rows * inner), right(inner * columns);
  for (float& entry : left) entry = value(generator);
  for (float& entry : right) entry = value(generator);
  const mosaic::vector::kernel_table* tables[] = {&serial(), mosaic::vector::avx2_kernels(),
                                                  mosaic::vector::wasm128_kernels()};
  for (const kernel_table* table : tables) {
    if (table == nullptr) continue;
    const std::vector<float> packed = mosaic::vector::pack_matrix_panels(right.data(), inner, columns);
    std::vector<float> together(rows * columns);
    table->matrix_multiply_packed_f32(left.data(), packed.data(), rows, inner, columns, together.data());
    for (std::size_t row = 0; row < rows; ++row) {
      std::vector<float> alone(columns);
      table->matrix_multiply_packed_f32(left.data() + row * inner, packed.data(), 1, inner, columns, alone.data());
      INFO(label(*table, "matrix_multiply_packed_f32") << " row " << row);
      CHECK(std::equal(alone.begin(), alone.end(), together.begin() + static_cast<std::ptrdiff_t>(row * columns)));
    }
  }
}

TEST_CASE("packed panels hold the right matrix k-major with a zero-padded last panel", "[kernels][matrix]") {
  const std::size_t inner = 3, columns = 18;  // one full panel of 16 and a partial one of 2
  std::vector<float> right(inner * columns);
  for (std::size_t i = 0; i < right.size(); ++i) right[i] = static_cast<float>(i + 1);
  const std::vector<float> packed = mosaic::vector::pack_matrix_panels(right.data(), inner, columns);
  const std::size_t panel = mosaic::vector::matrix_panel_columns;
  REQUIRE(packed.size() == 2 * inner * panel);
  for (std::size_t k = 0; k < inner; ++k) {
    for (std::size_t column = 0; column < columns; ++column) {
      CHECK(packed[(column / panel) * inner * panel + k * panel + column % panel] == right[k * columns + column]);
    }
    for (std::size_t padding = 2; padding < panel; ++padding) CHECK(packed[inner * panel + k * panel + padding] == 0.0f);
  }
}

TEST_CASE("matrix_multiply equals the textbook triple loop", "[kernels][matrix]") {
  std::mt19937 generator(7);
  std::uniform_int_distribution<int> small(-4, 4);  // small integers: every sum is exact in float
  const std::size_t rows = 9, inner = 21, columns = 35;
  std::vector<float> left(rows * inner), right(inner * columns), output(rows * columns);
  for (float& entry : left) entry = static_cast<float>(small(generator));
  for (float& entry : right) entry = static_cast<float>(small(generator));
  const restore_best_kernels restore;
  for (const kernel_implementation implementation : available_implementations()) {
    REQUIRE(mosaic::vector::use_kernels(implementation).ok());
    mosaic::vector::matrix_multiply(left.data(), right.data(), rows, inner, columns, output.data());
    for (std::size_t row = 0; row < rows; ++row) {
      for (std::size_t column = 0; column < columns; ++column) {
        float expected = 0.0f;
        for (std::size_t k = 0; k < inner; ++k) expected += left[row * inner + k] * right[k * columns + column];
        INFO(mosaic::vector::kernel_implementation_name(implementation) << " (" << row << ", " << column << ")");
        REQUIRE(output[row * columns + column] == expected);
      }
    }
  }
}

// ---- Hamming distances over binary codes ----------------------------------------------------------------

namespace {

std::vector<std::uint8_t> random_code_bytes(std::mt19937& generator, std::size_t count) {
  std::uniform_int_distribution<int> distribution(0, 255);
  std::vector<std::uint8_t> values(count);
  for (std::uint8_t& value : values) value = static_cast<std::uint8_t>(distribution(generator));
  return values;
}

// Bit by bit, independently of the serial kernel's byte-wise popcount.
std::uint32_t differing_bits(const std::uint8_t* left, const std::uint8_t* right, std::size_t length) {
  std::uint32_t count = 0;
  for (std::size_t i = 0; i < length; ++i) {
    for (int bit = 0; bit < 8; ++bit) count += ((left[i] >> bit) & 1U) != ((right[i] >> bit) & 1U) ? 1U : 0U;
  }
  return count;
}

void check_hamming(const kernel_table& variant, const std::uint8_t* query, const std::uint8_t* codes,
                   std::size_t code_bytes, std::size_t row_count) {
  INFO(label(variant, "hamming_distances") << ", " << row_count << " codes of " << code_bytes << " bytes");
  const std::uint32_t sentinel = 0xDEADBEEF;
  std::vector<std::uint32_t> serial_distances(row_count + 1, sentinel);
  std::vector<std::uint32_t> variant_distances(row_count + 1, sentinel);
  serial().hamming_distances(query, codes, code_bytes, row_count, serial_distances.data());
  variant.hamming_distances(query, codes, code_bytes, row_count, variant_distances.data());
  REQUIRE(serial_distances[row_count] == sentinel);
  REQUIRE(variant_distances[row_count] == sentinel);
  for (std::size_t row = 0; row < row_count; ++row) {
    INFO("row " << row);
    REQUIRE(serial_distances[row] == differing_bits(query, codes + row * code_bytes, code_bytes));
    REQUIRE(variant_distances[row] == serial_distances[row]);
  }
}

}  // namespace

TEST_CASE("Hamming distance kernels match serial on random codes of every multiple of 8 bytes up to 520",
          "[kernels][variants][hamming]") {
  std::mt19937 generator(20261207);
  std::vector<const kernel_table*> variants = simd_variants();
  variants.push_back(&serial());  // the serial kernel against the bit-by-bit count
  for (const kernel_table* variant : variants) {
    for (std::size_t code_bytes = 8; code_bytes <= 520; code_bytes += 8) {
      // An odd offset makes every load unaligned, as codes inside a partition may be.
      const std::size_t row_count = 1 + code_bytes % 7;
      const std::vector<std::uint8_t> query = random_code_bytes(generator, code_bytes + 1);
      const std::vector<std::uint8_t> codes = random_code_bytes(generator, row_count * code_bytes + 3);
      check_hamming(*variant, query.data() + 1, codes.data() + 3, code_bytes, row_count);
    }
  }
}

TEST_CASE("Hamming distance kernels reach the extremes: equal codes, complements, the longest code",
          "[kernels][variants][hamming]") {
  std::mt19937 generator(7);
  std::vector<const kernel_table*> variants = simd_variants();
  variants.push_back(&serial());
  for (const std::size_t code_bytes : {std::size_t{8}, std::size_t{96}, std::size_t{384},
                                       mosaic::vector::max_hamming_code_bytes}) {
    const std::vector<std::uint8_t> query = random_code_bytes(generator, code_bytes);
    // Row 0 equals the query, row 1 is its complement, row 2 is all ones against row 3's all zeros.
    std::vector<std::uint8_t> codes(4 * code_bytes);
    for (std::size_t i = 0; i < code_bytes; ++i) {
      codes[i] = query[i];
      codes[code_bytes + i] = static_cast<std::uint8_t>(~query[i]);
      codes[2 * code_bytes + i] = 0xFF;
      codes[3 * code_bytes + i] = 0x00;
    }
    for (const kernel_table* variant : variants) {
      INFO(label(*variant, "hamming_distances") << ", " << code_bytes << " bytes");
      std::vector<std::uint32_t> distances(4);
      variant->hamming_distances(query.data(), codes.data(), code_bytes, 4, distances.data());
      REQUIRE(distances[0] == 0);
      REQUIRE(distances[1] == 8 * code_bytes);
      REQUIRE(distances[2] + distances[3] == 8 * code_bytes);
      // All ones against all zeros: every bit differs, with the longest code as well.
      variant->hamming_distances(codes.data() + 2 * code_bytes, codes.data() + 3 * code_bytes, code_bytes, 1,
                                 distances.data());
      REQUIRE(distances[0] == 8 * code_bytes);
      // No rows: nothing is written.
      distances[0] = 12345;
      variant->hamming_distances(query.data(), codes.data(), code_bytes, 0, distances.data());
      REQUIRE(distances[0] == 12345);
    }
  }
}
