// L2 normalization, Matryoshka truncation and int8 quantization: every stored and query vector passes
// through these, so each error path must leave the input alone and each success must keep the
// vector's direction.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <span>
#include <vector>

#include "vector/normalize.hpp"
#include "vector/quantize.hpp"

namespace {

using mosaic::error_code;

std::vector<float> random_floats(std::mt19937& generator, std::size_t count, float low, float high) {
  std::uniform_real_distribution<float> distribution(low, high);
  std::vector<float> values(count);
  for (float& value : values) value = distribution(generator);
  return values;
}

// Gaussian components: the direction is uniform on the sphere, like a generic embedding.
std::vector<float> random_gaussian(std::mt19937& generator, std::size_t count) {
  std::normal_distribution<float> distribution(0.0f, 1.0f);
  std::vector<float> values(count);
  for (float& value : values) value = distribution(generator);
  return values;
}

double norm_in_double(std::span<const float> values) {
  double sum_of_squares = 0.0;
  for (const float value : values) sum_of_squares += static_cast<double>(value) * static_cast<double>(value);
  return std::sqrt(sum_of_squares);
}

double cosine_in_double(std::span<const float> left, std::span<const float> right) {
  double dot_product = 0.0;
  for (std::size_t i = 0; i < left.size(); ++i) dot_product += static_cast<double>(left[i]) * static_cast<double>(right[i]);
  return dot_product / (norm_in_double(left) * norm_in_double(right));
}

// Bitwise equality, so NaN and -0.0 count as "unchanged" too.
bool same_bits(const std::vector<float>& left, const std::vector<float>& right) {
  return left.size() == right.size() && std::memcmp(left.data(), right.data(), left.size() * sizeof(float)) == 0;
}

// Each component of a normalized vector is x_i / |x| rounded once to float; 2^-23 relative leaves room
// for the rounding of the inverse norm in double as well, and the smallest subnormal for components
// that underflow (1e-30 next to 1e30).
void require_normalized_copy_of(const std::vector<float>& original, const std::vector<float>& normalized) {
  REQUIRE(normalized.size() == original.size());
  const double norm = norm_in_double(original);
  const double relative = std::ldexp(1.0, -23);
  for (std::size_t i = 0; i < original.size(); ++i) {
    const double expected = static_cast<double>(original[i]) / norm;
    INFO("component " << i << ": " << normalized[i] << ", expected " << expected);
    const double allowed =
        relative * std::fabs(expected) + static_cast<double>(std::numeric_limits<float>::denorm_min());
    REQUIRE(std::fabs(static_cast<double>(normalized[i]) - expected) <= allowed);
    REQUIRE(std::signbit(normalized[i]) == std::signbit(original[i]));
  }
  REQUIRE(norm_in_double(normalized) == Approx(1.0).margin(1e-6));
}

}  // namespace

TEST_CASE("l2_normalize scales to unit norm and keeps the direction", "[normalize]") {
  std::mt19937 generator(11);

  SECTION("random vectors of embedding sizes and odd sizes") {
    for (const std::size_t size : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{17}, std::size_t{128},
                                   std::size_t{768}, std::size_t{1001}, std::size_t{3072}}) {
      INFO("size " << size);
      const std::vector<float> original = random_floats(generator, size, -3.0f, 3.0f);
      std::vector<float> values = original;
      REQUIRE(mosaic::vector::l2_normalize(values).ok());
      require_normalized_copy_of(original, values);
    }
  }

  SECTION("known values") {
    std::vector<float> values = {3.0f, -4.0f};
    REQUIRE(mosaic::vector::l2_normalize(values).ok());
    REQUIRE(values[0] == Approx(0.6f).epsilon(1e-7));
    REQUIRE(values[1] == Approx(-0.8f).epsilon(1e-7));

    std::vector<float> single = {-3.5f};
    REQUIRE(mosaic::vector::l2_normalize(single).ok());
    REQUIRE(single[0] == -1.0f);

    // A vector that is already a unit vector comes back as it was.
    std::vector<float> unit = {0.0f, 1.0f, 0.0f};
    REQUIRE(mosaic::vector::l2_normalize(unit).ok());
    REQUIRE(unit == std::vector<float>{0.0f, 1.0f, 0.0f});
  }

  SECTION("huge and tiny finite values normalize without overflow or underflow") {
    // The sum of squares is taken in double: 1e30^2 and FLT_MAX^2 overflow float but not double, and
    // the squares of subnormal floats are still ordinary doubles.
    const float largest = std::numeric_limits<float>::max();
    const float smallest = std::numeric_limits<float>::denorm_min();
    for (const std::vector<float>& original :
         {std::vector<float>{1e30f, -2e30f, 3e30f, 0.0f, 5e29f}, std::vector<float>(768, 1e30f),
          std::vector<float>{largest, largest, -largest}, std::vector<float>{1e-30f, -2e-30f, 3e-30f},
          std::vector<float>{smallest, 0.0f, -smallest}, std::vector<float>{1e30f, 1e-30f, smallest}}) {
      INFO("first component " << original[0]);
      std::vector<float> values = original;
      REQUIRE(mosaic::vector::l2_normalize(values).ok());
      for (const float value : values) REQUIRE(std::isfinite(value));
      require_normalized_copy_of(original, values);
    }
  }
}

TEST_CASE("l2_normalize refuses vectors without a direction and leaves them unchanged", "[normalize]") {
  SECTION("zero vector") {
    const std::vector<float> original = {0.0f, -0.0f, 0.0f, 0.0f};
    std::vector<float> values = original;
    const mosaic::status normalized = mosaic::vector::l2_normalize(values);
    REQUIRE_FALSE(normalized.ok());
    REQUIRE(normalized.failure().code == error_code::zero_vector);
    REQUIRE_FALSE(normalized.failure().message.empty());
    REQUIRE(same_bits(values, original));
  }

  SECTION("NaN and infinities anywhere in the vector") {
    const float not_a_number = std::numeric_limits<float>::quiet_NaN();
    const float infinity = std::numeric_limits<float>::infinity();
    for (const float bad_value : {not_a_number, infinity, -infinity}) {
      for (const std::size_t position : {std::size_t{0}, std::size_t{5}, std::size_t{767}}) {
        INFO("value " << bad_value << " at " << position);
        std::mt19937 generator(static_cast<std::uint32_t>(position) + 1u);
        std::vector<float> original = random_floats(generator, 768, -1.0f, 1.0f);
        original[position] = bad_value;
        std::vector<float> values = original;
        const mosaic::status normalized = mosaic::vector::l2_normalize(values);
        REQUIRE_FALSE(normalized.ok());
        REQUIRE(normalized.failure().code == error_code::non_finite_value);
        REQUIRE(same_bits(values, original));
      }
    }
  }

  SECTION("empty vector") {
    std::vector<float> values;
    const mosaic::status normalized = mosaic::vector::l2_normalize(values);
    REQUIRE_FALSE(normalized.ok());
    REQUIRE(normalized.failure().code == error_code::invalid_argument);
  }
}

TEST_CASE("truncate_and_normalize keeps a renormalized Matryoshka prefix", "[normalize][matryoshka]") {
  std::mt19937 generator(768);
  const std::vector<float> original = random_gaussian(generator, 768);
  const std::vector<float> untouched = original;

  SECTION("each Matryoshka size equals normalizing the prefix by hand") {
    for (const std::size_t dimensions : {std::size_t{1}, std::size_t{64}, std::size_t{128}, std::size_t{256},
                                         std::size_t{512}, std::size_t{768}}) {
      INFO("dimensions " << dimensions);
      const auto truncated = mosaic::vector::truncate_and_normalize(original, dimensions);
      REQUIRE(truncated.ok());
      std::vector<float> prefix(original.begin(), original.begin() + static_cast<std::ptrdiff_t>(dimensions));
      REQUIRE(mosaic::vector::l2_normalize(prefix).ok());
      // Same arithmetic on the same numbers: bit for bit the same result.
      REQUIRE(truncated.value() == prefix);
      REQUIRE(norm_in_double(truncated.value()) == Approx(1.0).margin(1e-6));
      const std::vector<float> unnormalized_prefix(original.begin(),
                                                   original.begin() + static_cast<std::ptrdiff_t>(dimensions));
      require_normalized_copy_of(unnormalized_prefix, truncated.value());
    }
    // The input is read, never written.
    REQUIRE(same_bits(original, untouched));
  }

  SECTION("a size of zero or beyond the vector is refused") {
    for (const std::size_t dimensions : {std::size_t{0}, std::size_t{769}, std::size_t{100000}}) {
      INFO("dimensions " << dimensions);
      const auto truncated = mosaic::vector::truncate_and_normalize(original, dimensions);
      REQUIRE_FALSE(truncated.ok());
      REQUIRE(truncated.failure().code == error_code::invalid_argument);
    }
    const std::vector<float> empty;
    const auto from_empty = mosaic::vector::truncate_and_normalize(empty, 1);
    REQUIRE_FALSE(from_empty.ok());
    REQUIRE(from_empty.failure().code == error_code::invalid_argument);
  }

  SECTION("a prefix that is all zero has no direction even if the rest has one") {
    std::vector<float> zero_prefix = original;
    std::fill(zero_prefix.begin(), zero_prefix.begin() + 64, 0.0f);
    zero_prefix[64] = 0.5f;
    const auto truncated = mosaic::vector::truncate_and_normalize(zero_prefix, 64);
    REQUIRE_FALSE(truncated.ok());
    REQUIRE(truncated.failure().code == error_code::zero_vector);
    // One more dimension reaches the non-zero component.
    const auto longer = mosaic::vector::truncate_and_normalize(zero_prefix, 65);
    REQUIRE(longer.ok());
    REQUIRE(longer.value()[64] == 1.0f);
  }

  SECTION("only the kept prefix has to be finite") {
    std::vector<float> bad_tail = original;
    bad_tail[700] = std::numeric_limits<float>::quiet_NaN();
    REQUIRE(mosaic::vector::truncate_and_normalize(bad_tail, 512).ok());
    const auto including_nan = mosaic::vector::truncate_and_normalize(bad_tail, 768);
    REQUIRE_FALSE(including_nan.ok());
    REQUIRE(including_nan.failure().code == error_code::non_finite_value);
  }
}

TEST_CASE("quantize_i8 maps the largest component to 127 and round-trips within half a step",
          "[quantize]") {
  std::mt19937 generator(127);

  SECTION("random vectors of many shapes") {
    for (int trial = 0; trial < 200; ++trial) {
      INFO("trial " << trial);
      // Vary size and scale, and flip every other vector so the largest component is negative as often
      // as positive.
      const std::size_t size = static_cast<std::size_t>(1 + (trial * 37) % 1024);
      const float magnitude = std::ldexp(1.0f, trial % 40 - 20);
      std::vector<float> values = random_gaussian(generator, size);
      for (float& value : values) value *= trial % 2 == 0 ? magnitude : -magnitude;

      std::vector<std::int8_t> codes(size, std::int8_t{99});
      const auto scale = mosaic::vector::quantize_i8(values, codes);
      REQUIRE(scale.ok());

      std::size_t largest_index = 0;
      for (std::size_t i = 1; i < size; ++i) {
        if (std::fabs(values[i]) > std::fabs(values[largest_index])) largest_index = i;
      }
      const float largest_magnitude = std::fabs(values[largest_index]);
      REQUIRE(scale.value() == largest_magnitude / mosaic::vector::i8_max_code);
      // The largest component is exactly +-127 with its sign, and nothing goes beyond.
      REQUIRE(static_cast<int>(codes[largest_index]) == (values[largest_index] > 0.0f ? 127 : -127));
      for (const std::int8_t code : codes) {
        REQUIRE(static_cast<int>(code) != -128);
        REQUIRE(std::abs(static_cast<int>(code)) <= 127);
      }

      std::vector<float> restored(size, -1.0f);
      REQUIRE(mosaic::vector::dequantize_i8(codes, scale.value(), restored).ok());
      // Half a quantization step, plus the float roundings of x / scale and code * scale (each at most
      // 127 * 2^-24 of a step).
      const double allowed = static_cast<double>(scale.value()) * (0.5 + 2.0 * 127.0 * std::ldexp(1.0, -24));
      for (std::size_t i = 0; i < size; ++i) {
        INFO("component " << i << ": " << values[i] << " -> " << static_cast<int>(codes[i]) << " -> " << restored[i]);
        REQUIRE(restored[i] == static_cast<float>(codes[i]) * scale.value());
        REQUIRE(std::fabs(static_cast<double>(restored[i]) - static_cast<double>(values[i])) <= allowed);
      }
    }
  }

  SECTION("known codes") {
    // A largest magnitude of 127 makes the scale exactly 1, so the codes are plain rounding.
    const std::vector<float> values = {127.0f, -64.0f, 3.4f, -0.6f, 0.0f, -127.0f, 0.49f};
    std::vector<std::int8_t> codes(values.size());
    const auto scale = mosaic::vector::quantize_i8(values, codes);
    REQUIRE(scale.ok());
    REQUIRE(scale.value() == 1.0f);
    REQUIRE(codes == std::vector<std::int8_t>{127, -64, 3, -1, 0, -127, 0});

    // A negative largest component gets -127, never -128.
    const std::vector<float> negative_largest = {-3.0f, 1.0f, 2.0f};
    std::vector<std::int8_t> negative_codes(negative_largest.size());
    const auto negative_scale = mosaic::vector::quantize_i8(negative_largest, negative_codes);
    REQUIRE(negative_scale.ok());
    REQUIRE(negative_scale.value() == 3.0f / 127.0f);
    REQUIRE(static_cast<int>(negative_codes[0]) == -127);
    REQUIRE(static_cast<int>(negative_codes[1]) == 42);
    REQUIRE(static_cast<int>(negative_codes[2]) == 85);
  }

  SECTION("several components share the largest magnitude") {
    const std::vector<float> values = {0.25f, -0.25f, 0.25f, 0.1f};
    std::vector<std::int8_t> codes(values.size());
    REQUIRE(mosaic::vector::quantize_i8(values, codes).ok());
    REQUIRE(static_cast<int>(codes[0]) == 127);
    REQUIRE(static_cast<int>(codes[1]) == -127);
    REQUIRE(static_cast<int>(codes[2]) == 127);
  }

  SECTION("a random unit 768-vector keeps its direction") {
    for (int trial = 0; trial < 10; ++trial) {
      std::vector<float> values = random_gaussian(generator, 768);
      REQUIRE(mosaic::vector::l2_normalize(values).ok());
      std::vector<std::int8_t> codes(768);
      const auto scale = mosaic::vector::quantize_i8(values, codes);
      REQUIRE(scale.ok());
      std::vector<float> restored(768);
      REQUIRE(mosaic::vector::dequantize_i8(codes, scale.value(), restored).ok());
      REQUIRE(cosine_in_double(values, restored) > 0.999);
    }
  }
}

TEST_CASE("quantize_i8 and dequantize_i8 edge cases and errors", "[quantize]") {
  SECTION("a zero vector gets scale 0 and all-zero codes") {
    const std::vector<float> values = {0.0f, -0.0f, 0.0f, 0.0f, 0.0f};
    std::vector<std::int8_t> codes(values.size(), std::int8_t{55});
    const auto scale = mosaic::vector::quantize_i8(values, codes);
    REQUIRE(scale.ok());
    REQUIRE(scale.value() == 0.0f);
    REQUIRE(codes == std::vector<std::int8_t>(values.size(), std::int8_t{0}));

    std::vector<float> restored(values.size(), -1.0f);
    REQUIRE(mosaic::vector::dequantize_i8(codes, scale.value(), restored).ok());
    REQUIRE(restored == std::vector<float>(values.size(), 0.0f));
  }

  SECTION("an empty vector is a zero vector of no components") {
    const std::vector<float> values;
    std::vector<std::int8_t> codes;
    const auto scale = mosaic::vector::quantize_i8(values, codes);
    REQUIRE(scale.ok());
    REQUIRE(scale.value() == 0.0f);
  }

  SECTION("non-finite components are refused") {
    for (const float bad_value : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                                  -std::numeric_limits<float>::infinity()}) {
      INFO("value " << bad_value);
      const std::vector<float> values = {0.5f, bad_value, -0.25f};
      std::vector<std::int8_t> codes(values.size());
      const auto scale = mosaic::vector::quantize_i8(values, codes);
      REQUIRE_FALSE(scale.ok());
      REQUIRE(scale.failure().code == error_code::non_finite_value);
      REQUIRE_FALSE(scale.failure().message.empty());
    }
  }

  SECTION("sizes must match") {
    const std::vector<float> values = {0.5f, 0.25f, -0.25f, 1.0f};
    std::vector<std::int8_t> short_codes(3);
    const auto scale = mosaic::vector::quantize_i8(values, short_codes);
    REQUIRE_FALSE(scale.ok());
    REQUIRE(scale.failure().code == error_code::dimension_mismatch);

    const std::vector<std::int8_t> codes = {1, 2, 3};
    std::vector<float> long_values(4);
    const mosaic::status restored = mosaic::vector::dequantize_i8(codes, 0.5f, long_values);
    REQUIRE_FALSE(restored.ok());
    REQUIRE(restored.failure().code == error_code::dimension_mismatch);
  }

  SECTION("dequantize_i8 multiplies each code by the scale") {
    const std::vector<std::int8_t> codes = {-127, 0, 1, 127, -128};
    std::vector<float> values(codes.size());
    REQUIRE(mosaic::vector::dequantize_i8(codes, 0.5f, values).ok());
    REQUIRE(values == std::vector<float>{-63.5f, 0.0f, 0.5f, 63.5f, -64.0f});
  }

  SECTION("dequantize_i8 refuses a scale that is not a finite non-negative number") {
    const std::vector<std::int8_t> codes = {1, -1};
    for (const float bad_scale : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                                  -1.0f}) {
      INFO("scale " << bad_scale);
      std::vector<float> values(codes.size(), 7.0f);
      const mosaic::status restored = mosaic::vector::dequantize_i8(codes, bad_scale, values);
      REQUIRE_FALSE(restored.ok());
      REQUIRE(restored.failure().code == error_code::non_finite_value);
    }
  }
}

// When max|x| / 127 is not a normal float (max|x| below about 1.5e-36) the scale is subnormal; codes
// are computed as 127 * x / max in double, so the largest component still maps to exactly +-127. Below
// about 1.8e-43 the scale underflows to 0 and the vector is stored as zero (no 0/0, no NaN to int8).
TEST_CASE("quantize_i8 on vectors too small for a normal scale", "[quantize]") {
  for (const float largest : {1e-36f, 1e-38f, 1e-40f, 1e-42f}) {
    INFO("largest magnitude " << largest);
    const std::vector<float> values = {largest, 0.0f, -0.5f * largest};
    std::vector<std::int8_t> codes(values.size(), std::int8_t{99});
    const auto scale = mosaic::vector::quantize_i8(values, codes);
    if (!scale.ok()) continue;  // refusing such a vector with an error would be acceptable too
    CHECK(scale.value() > 0.0f);
    CHECK(static_cast<int>(codes[0]) == 127);
    CHECK(static_cast<int>(codes[1]) == 0);
    CHECK(std::abs(static_cast<int>(codes[2]) + 64) <= 1);
  }
  const std::vector<float> underflowing = {1e-44f, 0.0f, -5e-45f};
  std::vector<std::int8_t> codes(underflowing.size(), std::int8_t{99});
  const auto scale = mosaic::vector::quantize_i8(underflowing, codes);
  REQUIRE(scale.ok());
  CHECK(scale.value() == 0.0f);
  CHECK(codes == std::vector<std::int8_t>{0, 0, 0});
}
