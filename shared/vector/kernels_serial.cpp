// The serial reference kernels: the definition every SIMD variant is tested against, and the end of
// the dispatch chain on targets without SIMD. Float sums are accumulated in double so the reference
// is at least as accurate as any variant (the tolerance in kernels.hpp then holds with room to spare).
#include <bit>

#include "vector/kernels_variants.hpp"

namespace mosaic::vector::serial {

float dot_f32(const float* left, const float* right, std::size_t length) {
  double sum = 0.0;
  for (std::size_t i = 0; i < length; ++i) sum += static_cast<double>(left[i]) * static_cast<double>(right[i]);
  return static_cast<float>(sum);
}

std::int32_t dot_i8(const std::int8_t* left, const std::int8_t* right, std::size_t length) {
  std::int32_t sum = 0;
  for (std::size_t i = 0; i < length; ++i) sum += static_cast<std::int32_t>(left[i]) * static_cast<std::int32_t>(right[i]);
  return sum;
}

float dot_f32_i8(const float* query, const std::int8_t* data, std::size_t length) {
  double sum = 0.0;
  for (std::size_t i = 0; i < length; ++i) sum += static_cast<double>(query[i]) * static_cast<double>(data[i]);
  return static_cast<float>(sum);
}

void scores_f32(const float* query, const float* rows, std::size_t dimensions, std::size_t row_count,
                float* scores) {
  for (std::size_t row = 0; row < row_count; ++row) scores[row] = dot_f32(query, rows + row * dimensions, dimensions);
}

void scores_i8(const std::int8_t* query, const std::int8_t* rows, std::size_t dimensions, std::size_t row_count,
               std::int32_t* scores) {
  for (std::size_t row = 0; row < row_count; ++row) scores[row] = dot_i8(query, rows + row * dimensions, dimensions);
}

void scores_f32_i8(const float* query, const std::int8_t* rows, std::size_t dimensions, std::size_t row_count,
                   float* scores) {
  for (std::size_t row = 0; row < row_count; ++row) {
    scores[row] = dot_f32_i8(query, rows + row * dimensions, dimensions);
  }
}

// One byte at a time, the definition itself: bits that differ are the set bits of the exclusive or.
void hamming_distances(const std::uint8_t* query_code, const std::uint8_t* codes, std::size_t code_bytes,
                       std::size_t row_count, std::uint32_t* distances) {
  for (std::size_t row = 0; row < row_count; ++row) {
    const std::uint8_t* code = codes + row * code_bytes;
    std::uint32_t distance = 0;
    for (std::size_t i = 0; i < code_bytes; ++i) {
      distance += static_cast<std::uint32_t>(std::popcount(static_cast<std::uint8_t>(query_code[i] ^ code[i])));
    }
    distances[row] = distance;
  }
}

void matrix_multiply_packed_f32(const float* left, const float* packed_right, std::size_t rows, std::size_t inner,
                                std::size_t columns, float* output) {
  constexpr std::size_t panel_width = 16;  // matrix_panel_columns
  for (std::size_t row = 0; row < rows; ++row) {
    for (std::size_t column = 0; column < columns; ++column) {
      const float* panel = packed_right + (column / panel_width) * inner * panel_width + column % panel_width;
      double sum = 0.0;
      for (std::size_t k = 0; k < inner; ++k) {
        sum += static_cast<double>(left[row * inner + k]) * static_cast<double>(panel[k * panel_width]);
      }
      output[row * columns + column] = static_cast<float>(sum);
    }
  }
}

}  // namespace mosaic::vector::serial
