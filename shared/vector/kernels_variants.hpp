#pragma once
// Internal: the per-variant kernel functions, declared once so each variant's file and the dispatch
// file agree on their signatures. Users go through kernel_table (kernels.hpp).
#include <cstddef>
#include <cstdint>

#define MOSAIC_DECLARE_KERNEL_VARIANT(variant)                                                              \
  namespace mosaic::vector::variant {                                                                      \
  float dot_f32(const float* left, const float* right, std::size_t length);                               \
  std::int32_t dot_i8(const std::int8_t* left, const std::int8_t* right, std::size_t length);             \
  float dot_f32_i8(const float* query, const std::int8_t* data, std::size_t length);                      \
  void scores_f32(const float* query, const float* rows, std::size_t dimensions, std::size_t row_count,    \
                  float* scores);                                                                          \
  void scores_i8(const std::int8_t* query, const std::int8_t* rows, std::size_t dimensions,                \
                 std::size_t row_count, std::int32_t* scores);                                             \
  void scores_f32_i8(const float* query, const std::int8_t* rows, std::size_t dimensions,                  \
                     std::size_t row_count, float* scores);                                                \
  void hamming_distances(const std::uint8_t* query_code, const std::uint8_t* codes, std::size_t code_bytes, \
                         std::size_t row_count, std::uint32_t* distances);                                 \
  void matrix_multiply_packed_f32(const float* left, const float* packed_right, std::size_t rows,          \
                                  std::size_t inner, std::size_t columns, float* output);                  \
  }

MOSAIC_DECLARE_KERNEL_VARIANT(serial)
#if defined(MOSAIC_HAVE_AVX2)
MOSAIC_DECLARE_KERNEL_VARIANT(avx2)
#endif
#if defined(__wasm_simd128__)
MOSAIC_DECLARE_KERNEL_VARIANT(wasm128)
#endif

#undef MOSAIC_DECLARE_KERNEL_VARIANT
