#pragma once
// Similarity kernels. Each exists once as a serial reference (kernels_serial.cpp) and as SIMD variants
// (kernels_avx2.cpp natively, kernels_wasm128.cpp under emscripten) that tests compare against it.
// One dispatch chain picks the best variant the target supports and ends in serial
// (kernel_dispatch.cpp); tests and benchmarks can force any available variant.
//
// Numeric contracts, which every variant honours:
// - dot_i8 is exact: each i8*i8 product is at most 128*128 = 2^14 in magnitude, so an i32 sum cannot
//   overflow below 2^31 / 2^14 = 131,072 elements. Callers stay below max_kernel_dimensions (65,536).
// - float kernels may sum in any order; a variant differs from the serial reference by at most
//   2 * gamma(n) * sum(|a_i * b_i|), gamma(n) = n*u / (1 - n*u), u = 2^-24 (the classic bound for
//   recursive summation, applied to both).
// - scores_* compute one dot per row of a row-major block: scores[r] = dot(query, rows + r*dims).
// - hamming_distances is exact in every variant: distances[r] = number of bits that differ between
//   query_code and the code of row r (codes + r*code_bytes). code_bytes is a multiple of 8 and at most
//   max_hamming_code_bytes, so a distance fits u32 with room to spare.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mosaic::vector {

inline constexpr std::size_t max_kernel_dimensions = 65536;
// One sign bit per dimension, rounded up to whole u64 words: the longest binary code a kernel scans.
inline constexpr std::size_t max_hamming_code_bytes = max_kernel_dimensions / 8;

enum class kernel_implementation : std::uint8_t { serial, avx2, wasm128 };

std::string_view kernel_implementation_name(kernel_implementation implementation) noexcept;

struct kernel_table {
  kernel_implementation implementation;
  float (*dot_f32)(const float* left, const float* right, std::size_t length);
  std::int32_t (*dot_i8)(const std::int8_t* left, const std::int8_t* right, std::size_t length);
  // A float query against int8 data: sum(query[i] * data[i]); the caller applies the data's scale.
  float (*dot_f32_i8)(const float* query, const std::int8_t* data, std::size_t length);
  void (*scores_f32)(const float* query, const float* rows, std::size_t dimensions, std::size_t row_count,
                     float* scores);
  void (*scores_i8)(const std::int8_t* query, const std::int8_t* rows, std::size_t dimensions,
                    std::size_t row_count, std::int32_t* scores);
  void (*scores_f32_i8)(const float* query, const std::int8_t* rows, std::size_t dimensions,
                        std::size_t row_count, float* scores);
  // Binary codes (one bit per dimension, as partitions store them): the Hamming distance between one
  // query code and each of row_count row-major codes of code_bytes bytes (a multiple of 8).
  void (*hamming_distances)(const std::uint8_t* query_code, const std::uint8_t* codes, std::size_t code_bytes,
                            std::size_t row_count, std::uint32_t* distances);
  // Dense matrix product for the local model: output[rows x columns] = left[rows x inner] * right,
  // where right[inner x columns] is given packed by pack_matrix_panels (below). Overwrites output.
  void (*matrix_multiply_packed_f32)(const float* left, const float* packed_right, std::size_t rows,
                                     std::size_t inner, std::size_t columns, float* output);
};

// The packed layout every variant reads: `right` cut into panels of matrix_panel_columns columns,
// each panel stored k-major (inner rows of matrix_panel_columns floats, contiguous), the last panel
// zero-padded. A kernel then streams one panel linearly while all rows of `left` pass over it.
// Weights are packed once when a model loads; matrix_multiply packs a one-off right side per call.
inline constexpr std::size_t matrix_panel_columns = 16;
std::vector<float> pack_matrix_panels(const float* right, std::size_t inner, std::size_t columns);
// output = left * right with right row-major [inner x columns]: packs, then uses the active kernel.
void matrix_multiply(const float* left, const float* right, std::size_t rows, std::size_t inner, std::size_t columns,
                     float* output);

const kernel_table& serial_kernels() noexcept;
// nullptr when the variant is not compiled into this target or the CPU lacks the instructions.
const kernel_table* avx2_kernels() noexcept;
const kernel_table* wasm128_kernels() noexcept;
const kernel_table* kernels_for(kernel_implementation implementation) noexcept;

// The table every caller in the core uses. Chosen once: wasm128 if compiled in, else AVX2 if the CPU
// has AVX2 and FMA, else serial.
const kernel_table& active_kernels() noexcept;
kernel_implementation best_available_implementation() noexcept;
// Forces a variant (tests, benchmarks, MOSAIC_KERNELS=serial in the CLI). Not thread-safe against
// concurrent searches: call it before searching starts.
status use_kernels(kernel_implementation implementation);

// Checked conveniences over the active table: lengths must match and stay within max_kernel_dimensions.
result<float> dot(std::span<const float> left, std::span<const float> right);
result<std::int32_t> dot(std::span<const std::int8_t> left, std::span<const std::int8_t> right);
result<float> dot(std::span<const float> query, std::span<const std::int8_t> data);
// Cosine of two arbitrary (not necessarily normalized) vectors; a zero vector is an error, not NaN.
result<float> cosine(std::span<const float> left, std::span<const float> right);
result<float> cosine(std::span<const std::int8_t> left, std::span<const std::int8_t> right);

}  // namespace mosaic::vector
