#include "vector/normalize.hpp"

#include <cmath>
#include <string>

namespace mosaic::vector {

status l2_normalize(std::span<float> values) {
  if (values.empty()) return make_error(error_code::invalid_argument, "cannot normalize an empty vector");
  double sum_of_squares = 0.0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double value = static_cast<double>(values[i]);
    if (!std::isfinite(value)) {
      return make_error(error_code::non_finite_value,
                        "vector component " + std::to_string(i) + " is not finite (NaN or infinity)");
    }
    sum_of_squares += value * value;
  }
  if (sum_of_squares == 0.0) {
    return make_error(error_code::zero_vector, "cannot normalize a zero vector: its direction is undefined");
  }
  const double inverse_norm = 1.0 / std::sqrt(sum_of_squares);
  for (float& value : values) value = static_cast<float>(static_cast<double>(value) * inverse_norm);
  return success{};
}

result<std::vector<float>> truncate_and_normalize(std::span<const float> values, std::size_t dimensions) {
  if (dimensions == 0 || dimensions > values.size()) {
    return make_error(error_code::invalid_argument, "cannot truncate a " + std::to_string(values.size()) +
                                                        "-dimensional vector to " + std::to_string(dimensions) +
                                                        " dimensions (need 1 <= d <= " +
                                                        std::to_string(values.size()) + ")");
  }
  std::vector<float> truncated(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(dimensions));
  if (auto normalized = l2_normalize(truncated); !normalized) return std::move(normalized).failure();
  return truncated;
}

}  // namespace mosaic::vector
