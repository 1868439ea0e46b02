#include "vector/quantize.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace mosaic::vector {

result<float> quantize_i8(std::span<const float> values, std::span<std::int8_t> codes) {
  if (values.size() != codes.size()) {
    return make_error(error_code::dimension_mismatch, "quantize_i8: " + std::to_string(values.size()) +
                                                          " values but room for " + std::to_string(codes.size()) +
                                                          " codes");
  }
  float largest_magnitude = 0.0f;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return make_error(error_code::non_finite_value, "quantize_i8: component " + std::to_string(i) + " is not finite");
    }
    largest_magnitude = std::max(largest_magnitude, std::fabs(values[i]));
  }
  if (largest_magnitude == 0.0f) {
    std::fill(codes.begin(), codes.end(), std::int8_t{0});
    return 0.0f;
  }
  const float scale = largest_magnitude / i8_max_code;
  if (scale == 0.0f) {
    // The vector is so small (max |x| below ~1.8e-43) that its scale underflows: at float precision it
    // is indistinguishable from zero, and is stored as one.
    std::fill(codes.begin(), codes.end(), std::int8_t{0});
    return 0.0f;
  }
  // Codes are computed in double as 127 * x / max: the largest component maps to exactly ±127 even
  // when the float scale is subnormal, and no division by a rounded scale can push a code past 127.
  const double code_per_unit = static_cast<double>(i8_max_code) / static_cast<double>(largest_magnitude);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double code = std::clamp(std::nearbyint(static_cast<double>(values[i]) * code_per_unit),
                                   -static_cast<double>(i8_max_code), static_cast<double>(i8_max_code));
    codes[i] = static_cast<std::int8_t>(code);
  }
  return scale;
}

status dequantize_i8(std::span<const std::int8_t> codes, float scale, std::span<float> values) {
  if (codes.size() != values.size()) {
    return make_error(error_code::dimension_mismatch, "dequantize_i8: " + std::to_string(codes.size()) +
                                                          " codes but room for " + std::to_string(values.size()) +
                                                          " values");
  }
  if (!std::isfinite(scale) || scale < 0.0f) {
    return make_error(error_code::non_finite_value, "dequantize_i8: scale must be finite and non-negative");
  }
  for (std::size_t i = 0; i < codes.size(); ++i) values[i] = static_cast<float>(codes[i]) * scale;
  return success{};
}

}  // namespace mosaic::vector
