// The one dispatch chain: wasm128 (compile time) -> AVX2+FMA (run-time CPU check) -> serial.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>

#include "vector/kernels.hpp"
#include "vector/kernels_variants.hpp"

namespace mosaic::vector {
namespace {

#define MOSAIC_KERNEL_TABLE(variant, implementation_value)                                                 \
  kernel_table {                                                                                          \
    implementation_value, &variant::dot_f32, &variant::dot_i8, &variant::dot_f32_i8, &variant::scores_f32, \
        &variant::scores_i8, &variant::scores_f32_i8, &variant::hamming_distances,                        \
        &variant::matrix_multiply_packed_f32                                                               \
  }

constexpr kernel_table serial_table = MOSAIC_KERNEL_TABLE(serial, kernel_implementation::serial);
#if defined(MOSAIC_HAVE_AVX2)
constexpr kernel_table avx2_table = MOSAIC_KERNEL_TABLE(avx2, kernel_implementation::avx2);
#endif
#if defined(__wasm_simd128__)
constexpr kernel_table wasm128_table = MOSAIC_KERNEL_TABLE(wasm128, kernel_implementation::wasm128);
#endif
#undef MOSAIC_KERNEL_TABLE

const kernel_table& best_table() noexcept {
  if (const kernel_table* table = wasm128_kernels()) return *table;
  if (const kernel_table* table = avx2_kernels()) return *table;
  return serial_table;
}

std::atomic<const kernel_table*>& active_table() noexcept {
  static std::atomic<const kernel_table*> table{&best_table()};
  return table;
}

}  // namespace

std::string_view kernel_implementation_name(kernel_implementation implementation) noexcept {
  switch (implementation) {
    case kernel_implementation::serial: return "serial";
    case kernel_implementation::avx2: return "avx2";
    case kernel_implementation::wasm128: return "wasm128";
  }
  return "unknown";
}

const kernel_table& serial_kernels() noexcept { return serial_table; }

const kernel_table* avx2_kernels() noexcept {
#if defined(MOSAIC_HAVE_AVX2)
  static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return supported ? &avx2_table : nullptr;
#else
  return nullptr;
#endif
}

const kernel_table* wasm128_kernels() noexcept {
#if defined(__wasm_simd128__)
  return &wasm128_table;
#else
  return nullptr;
#endif
}

const kernel_table* kernels_for(kernel_implementation implementation) noexcept {
  switch (implementation) {
    case kernel_implementation::serial: return &serial_table;
    case kernel_implementation::avx2: return avx2_kernels();
    case kernel_implementation::wasm128: return wasm128_kernels();
  }
  return nullptr;
}

const kernel_table& active_kernels() noexcept { return *active_table().load(std::memory_order_relaxed); }

kernel_implementation best_available_implementation() noexcept { return best_table().implementation; }

status use_kernels(kernel_implementation implementation) {
  const kernel_table* table = kernels_for(implementation);
  if (table == nullptr) {
    return make_error(error_code::unsupported_kernel,
                      "kernel variant '" + std::string(kernel_implementation_name(implementation)) +
                          "' is not available on this target or CPU");
  }
  active_table().store(table, std::memory_order_relaxed);
  return success{};
}

namespace {

status check_lengths(std::size_t left, std::size_t right) {
  if (left != right) {
    return make_error(error_code::dimension_mismatch,
                      "vectors differ in length: " + std::to_string(left) + " and " + std::to_string(right));
  }
  if (left > max_kernel_dimensions) {
    return make_error(error_code::invalid_argument, "vector length " + std::to_string(left) + " exceeds " +
                                                        std::to_string(max_kernel_dimensions));
  }
  return success{};
}

// Cosine computed entirely in double, serially: the fallback when float sums overflow or underflow
// (components near 1e20 or 1e-30), so such vectors still get their true cosine.
template <typename Element>
result<float> cosine_in_double(std::span<const Element> left, std::span<const Element> right) {
  double dot_product = 0.0, left_norm_squared = 0.0, right_norm_squared = 0.0, largest = 0.0;
  for (std::size_t i = 0; i < left.size(); ++i) {
    const double left_value = static_cast<double>(left[i]), right_value = static_cast<double>(right[i]);
    if (!std::isfinite(left_value) || !std::isfinite(right_value)) {
      return make_error(error_code::non_finite_value, "cosine of a vector with a NaN or infinite component");
    }
    largest = std::max({largest, std::fabs(left_value), std::fabs(right_value)});
  }
  if (largest == 0.0) return make_error(error_code::zero_vector, "cosine of a zero vector is undefined");
  // Scaling by the largest magnitude keeps every square within double range.
  for (std::size_t i = 0; i < left.size(); ++i) {
    const double left_value = static_cast<double>(left[i]) / largest;
    const double right_value = static_cast<double>(right[i]) / largest;
    dot_product += left_value * right_value;
    left_norm_squared += left_value * left_value;
    right_norm_squared += right_value * right_value;
  }
  if (left_norm_squared == 0.0 || right_norm_squared == 0.0) {
    return make_error(error_code::zero_vector, "cosine of a zero vector is undefined");
  }
  return static_cast<float>(std::clamp(dot_product / std::sqrt(left_norm_squared * right_norm_squared), -1.0, 1.0));
}

result<float> cosine_from_dots(double dot_product, double left_norm_squared, double right_norm_squared) {
  if (!(left_norm_squared > 0.0) || !(right_norm_squared > 0.0)) {
    return make_error(error_code::zero_vector, "cosine of a zero vector is undefined");
  }
  const double cosine_value = dot_product / std::sqrt(left_norm_squared * right_norm_squared);
  if (!std::isfinite(cosine_value)) return make_error(error_code::non_finite_value, "cosine is not finite");
  return static_cast<float>(cosine_value);
}

}  // namespace

std::vector<float> pack_matrix_panels(const float* right, std::size_t inner, std::size_t columns) {
  const std::size_t panels = (columns + matrix_panel_columns - 1) / matrix_panel_columns;
  std::vector<float> packed(panels * inner * matrix_panel_columns, 0.0f);
  for (std::size_t panel = 0; panel < panels; ++panel) {
    const std::size_t first_column = panel * matrix_panel_columns;
    const std::size_t width = std::min(matrix_panel_columns, columns - first_column);
    float* target = packed.data() + panel * inner * matrix_panel_columns;
    for (std::size_t k = 0; k < inner; ++k) {
      std::copy_n(right + k * columns + first_column, width, target + k * matrix_panel_columns);
    }
  }
  return packed;
}

void matrix_multiply(const float* left, const float* right, std::size_t rows, std::size_t inner, std::size_t columns,
                     float* output) {
  const std::vector<float> packed = pack_matrix_panels(right, inner, columns);
  active_kernels().matrix_multiply_packed_f32(left, packed.data(), rows, inner, columns, output);
}

result<float> dot(std::span<const float> left, std::span<const float> right) {
  if (auto checked = check_lengths(left.size(), right.size()); !checked) return std::move(checked).failure();
  return active_kernels().dot_f32(left.data(), right.data(), left.size());
}

result<std::int32_t> dot(std::span<const std::int8_t> left, std::span<const std::int8_t> right) {
  if (auto checked = check_lengths(left.size(), right.size()); !checked) return std::move(checked).failure();
  return active_kernels().dot_i8(left.data(), right.data(), left.size());
}

result<float> dot(std::span<const float> query, std::span<const std::int8_t> data) {
  if (auto checked = check_lengths(query.size(), data.size()); !checked) return std::move(checked).failure();
  return active_kernels().dot_f32_i8(query.data(), data.data(), query.size());
}

result<float> cosine(std::span<const float> left, std::span<const float> right) {
  if (auto checked = check_lengths(left.size(), right.size()); !checked) return std::move(checked).failure();
  const kernel_table& kernels = active_kernels();
  const std::size_t length = left.size();
  auto fast = cosine_from_dots(static_cast<double>(kernels.dot_f32(left.data(), right.data(), length)),
                               static_cast<double>(kernels.dot_f32(left.data(), left.data(), length)),
                               static_cast<double>(kernels.dot_f32(right.data(), right.data(), length)));
  if (fast) return fast;
  return cosine_in_double(left, right);
}

result<float> cosine(std::span<const std::int8_t> left, std::span<const std::int8_t> right) {
  if (auto checked = check_lengths(left.size(), right.size()); !checked) return std::move(checked).failure();
  const kernel_table& kernels = active_kernels();
  const std::size_t length = left.size();
  return cosine_from_dots(kernels.dot_i8(left.data(), right.data(), length),
                          kernels.dot_i8(left.data(), left.data(), length),
                          kernels.dot_i8(right.data(), right.data(), length));
}

}  // namespace mosaic::vector
