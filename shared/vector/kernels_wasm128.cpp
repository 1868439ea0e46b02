// WebAssembly SIMD128 kernels (-msimd128; relaxed SIMD is not used: this toolchain's opcodes are
// rejected by Node 20 and Chromium). Same shape as the AVX2 file: int8 products are exact via i16
// widening and i32x4.dot_i16x8.
// wasm SIMD has no fused multiply-add, so float kernels use mul + add.
#include <wasm_simd128.h>

#include <algorithm>
#include <vector>

#include "vector/kernels_variants.hpp"

namespace mosaic::vector::wasm128 {
namespace {

inline float horizontal_sum_f32(v128_t value) {
  return (wasm_f32x4_extract_lane(value, 0) + wasm_f32x4_extract_lane(value, 1)) +
         (wasm_f32x4_extract_lane(value, 2) + wasm_f32x4_extract_lane(value, 3));
}

inline std::int32_t horizontal_sum_i32(v128_t value) {
  return (wasm_i32x4_extract_lane(value, 0) + wasm_i32x4_extract_lane(value, 1)) +
         (wasm_i32x4_extract_lane(value, 2) + wasm_i32x4_extract_lane(value, 3));
}

inline v128_t load_f32(const float* source) { return wasm_v128_load(source); }
// Eight int8 values sign-extended to eight i16 lanes.
inline v128_t load_i8_as_i16(const std::int8_t* source) { return wasm_i16x8_load8x8(source); }

inline v128_t multiply_add_f32(v128_t left, v128_t right, v128_t sum) {
  return wasm_f32x4_add(sum, wasm_f32x4_mul(left, right));
}

inline v128_t dot_i16_add(v128_t left, v128_t right, v128_t sum) {
  return wasm_i32x4_add(sum, wasm_i32x4_dot_i16x8(left, right));
}

// Adds query[0..8) * data[0..8) (int8 data converted to float) into two float accumulators.
inline void multiply_add_f32_i8(const float* query, const std::int8_t* data, v128_t& sum_low, v128_t& sum_high) {
  const v128_t widened = load_i8_as_i16(data);
  const v128_t low = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_low_i16x8(widened));
  const v128_t high = wasm_f32x4_convert_i32x4(wasm_i32x4_extend_high_i16x8(widened));
  sum_low = multiply_add_f32(load_f32(query), low, sum_low);
  sum_high = multiply_add_f32(load_f32(query + 4), high, sum_high);
}

}  // namespace

float dot_f32(const float* left, const float* right, std::size_t length) {
  v128_t sum0 = wasm_f32x4_splat(0.0f), sum1 = sum0, sum2 = sum0, sum3 = sum0;
  std::size_t i = 0;
  for (; i + 16 <= length; i += 16) {
    sum0 = multiply_add_f32(load_f32(left + i), load_f32(right + i), sum0);
    sum1 = multiply_add_f32(load_f32(left + i + 4), load_f32(right + i + 4), sum1);
    sum2 = multiply_add_f32(load_f32(left + i + 8), load_f32(right + i + 8), sum2);
    sum3 = multiply_add_f32(load_f32(left + i + 12), load_f32(right + i + 12), sum3);
  }
  for (; i + 4 <= length; i += 4) sum0 = multiply_add_f32(load_f32(left + i), load_f32(right + i), sum0);
  float sum = horizontal_sum_f32(wasm_f32x4_add(wasm_f32x4_add(sum0, sum1), wasm_f32x4_add(sum2, sum3)));
  for (; i < length; ++i) sum += left[i] * right[i];
  return sum;
}

std::int32_t dot_i8(const std::int8_t* left, const std::int8_t* right, std::size_t length) {
  v128_t sum0 = wasm_i32x4_splat(0), sum1 = sum0;
  std::size_t i = 0;
  for (; i + 16 <= length; i += 16) {
    sum0 = dot_i16_add(load_i8_as_i16(left + i), load_i8_as_i16(right + i), sum0);
    sum1 = dot_i16_add(load_i8_as_i16(left + i + 8), load_i8_as_i16(right + i + 8), sum1);
  }
  for (; i + 8 <= length; i += 8) sum0 = dot_i16_add(load_i8_as_i16(left + i), load_i8_as_i16(right + i), sum0);
  std::int32_t sum = horizontal_sum_i32(wasm_i32x4_add(sum0, sum1));
  for (; i < length; ++i) sum += static_cast<std::int32_t>(left[i]) * static_cast<std::int32_t>(right[i]);
  return sum;
}

float dot_f32_i8(const float* query, const std::int8_t* data, std::size_t length) {
  v128_t sum_low = wasm_f32x4_splat(0.0f), sum_high = sum_low;
  std::size_t i = 0;
  for (; i + 8 <= length; i += 8) multiply_add_f32_i8(query + i, data + i, sum_low, sum_high);
  float sum = horizontal_sum_f32(wasm_f32x4_add(sum_low, sum_high));
  for (; i < length; ++i) sum += query[i] * static_cast<float>(data[i]);
  return sum;
}

// The scan kernels score one row at a time (a single linear stream; see kernels_avx2.cpp for the
// measurements), so every row runs the same code and equal vectors score equally wherever they sit.
namespace {

inline float scan_row_f32(const float* query, const float* row, std::size_t dimensions) {
  return dot_f32(query, row, dimensions);
}

// One int8 row against the query, 16 row bytes per load. The query is split once per scan into its
// even- and odd-indexed elements, widened to i16. A row load viewed as eight i16 lanes holds an even
// element in each lane's low byte and the next odd element in its high byte, so two shifts unpack it
// without the byte shuffles of load8x8 (which ran 20% slower here, in and out of cache):
//   lane >> 8 (arithmetic) is the odd element;
//   lane << 8 is the even element times 256, exact in i16 (-128 * 256 = -32768).
// The even products therefore carry a factor 256 that is shifted out per lane, exactly (each product
// is a multiple of 256). Bounds: one dot_i16x8 lane adds two products of at most 128 * 256 * 128 =
// 2^22, so an even accumulator stays below 2^31 for 2^31 / 2^23 = 256 steps; it is emptied every
// even_chunk_dimensions = 2048 dimensions (64 steps on each of two accumulators, sum below 2^30).
// Odd lanes add products of at most 2^14, as in dot_i8. Results are exact, equal to serial.
constexpr std::size_t even_chunk_dimensions = 2048;

inline std::int32_t scan_row_i8(const std::int16_t* even_query, const std::int16_t* odd_query, const std::int8_t* row,
                                std::size_t dimensions) {
  const v128_t zero = wasm_i32x4_splat(0);
  v128_t even_total = zero, odd0 = zero, odd1 = zero;
  const std::size_t whole_loads = dimensions & ~std::size_t{15};
  std::size_t i = 0;
  while (i < whole_loads) {
    const std::size_t chunk_end = std::min(whole_loads, i + even_chunk_dimensions);
    v128_t even0 = zero, even1 = zero;
    for (; i + 32 <= chunk_end; i += 32) {
      const v128_t first = wasm_v128_load(row + i);
      const v128_t second = wasm_v128_load(row + i + 16);
      even0 = dot_i16_add(wasm_i16x8_shl(first, 8), wasm_v128_load(even_query + i / 2), even0);
      odd0 = dot_i16_add(wasm_i16x8_shr(first, 8), wasm_v128_load(odd_query + i / 2), odd0);
      even1 = dot_i16_add(wasm_i16x8_shl(second, 8), wasm_v128_load(even_query + i / 2 + 8), even1);
      odd1 = dot_i16_add(wasm_i16x8_shr(second, 8), wasm_v128_load(odd_query + i / 2 + 8), odd1);
    }
    if (i < chunk_end) {  // chunk_end - i is a multiple of 16: at most one load is left
      const v128_t last = wasm_v128_load(row + i);
      even0 = dot_i16_add(wasm_i16x8_shl(last, 8), wasm_v128_load(even_query + i / 2), even0);
      odd0 = dot_i16_add(wasm_i16x8_shr(last, 8), wasm_v128_load(odd_query + i / 2), odd0);
      i += 16;
    }
    even_total = wasm_i32x4_add(even_total, wasm_i32x4_shr(wasm_i32x4_add(even0, even1), 8));
  }
  std::int32_t sum = horizontal_sum_i32(wasm_i32x4_add(even_total, wasm_i32x4_add(odd0, odd1)));
  for (; i < dimensions; ++i) {
    const std::int16_t query_value = (i % 2 == 0) ? even_query[i / 2] : odd_query[i / 2];
    sum += static_cast<std::int32_t>(row[i]) * query_value;
  }
  return sum;
}

// Query halves up to this many dimensions live on the stack; longer queries use the heap.
constexpr std::size_t stack_query_dimensions = 4096;

}  // namespace

void scores_f32(const float* query, const float* rows, std::size_t dimensions, std::size_t row_count,
                float* scores) {
  for (std::size_t row = 0; row < row_count; ++row) scores[row] = scan_row_f32(query, rows + row * dimensions, dimensions);
}

void scores_i8(const std::int8_t* query, const std::int8_t* rows, std::size_t dimensions, std::size_t row_count,
               std::int32_t* scores) {
  constexpr std::size_t stack_half = stack_query_dimensions / 2;
  alignas(16) std::int16_t stack_even[stack_half];
  alignas(16) std::int16_t stack_odd[stack_half];
  std::vector<std::int16_t> heap_halves;
  std::int16_t* even_query = stack_even;
  std::int16_t* odd_query = stack_odd;
  const std::size_t half = (dimensions + 1) / 2;
  if (half > stack_half) {
    heap_halves.resize(2 * half);
    even_query = heap_halves.data();
    odd_query = heap_halves.data() + half;
  }
  for (std::size_t j = 0; j < half; ++j) {
    even_query[j] = query[2 * j];
    odd_query[j] = (2 * j + 1 < dimensions) ? query[2 * j + 1] : std::int16_t{0};
  }
  for (std::size_t row = 0; row < row_count; ++row) {
    scores[row] = scan_row_i8(even_query, odd_query, rows + row * dimensions, dimensions);
  }
}

void scores_f32_i8(const float* query, const std::int8_t* rows, std::size_t dimensions, std::size_t row_count,
                   float* scores) {
  for (std::size_t row = 0; row < row_count; ++row) {
    scores[row] = dot_f32_i8(query, rows + row * dimensions, dimensions);
  }
}

// Hamming distances with i8x16.popcnt: byte counts (at most 8 each) are added in u8 lanes for up to
// 31 blocks of 16 bytes (31 * 8 = 248 < 256), then widened pairwise to u16 and u32 and added into the
// total. A code's last 8 bytes (code_bytes is a multiple of 8) are loaded into a zeroed register.
namespace {

constexpr std::size_t popcount_blocks_per_flush = 31;

inline std::uint32_t widen_and_sum_u8(v128_t byte_counts) {
  const v128_t u32_counts = wasm_u32x4_extadd_pairwise_u16x8(wasm_u16x8_extadd_pairwise_u8x16(byte_counts));
  return static_cast<std::uint32_t>(horizontal_sum_i32(u32_counts));
}

inline std::uint32_t hamming_distance(const std::uint8_t* query_code, const std::uint8_t* code,
                                      std::size_t code_bytes) {
  std::uint32_t distance = 0;
  std::size_t i = 0;
  while (i + 16 <= code_bytes) {
    v128_t byte_counts = wasm_i8x16_splat(0);
    for (std::size_t block = 0; block < popcount_blocks_per_flush && i + 16 <= code_bytes; ++block, i += 16) {
      const v128_t differing = wasm_v128_xor(wasm_v128_load(query_code + i), wasm_v128_load(code + i));
      byte_counts = wasm_i8x16_add(byte_counts, wasm_i8x16_popcnt(differing));
    }
    distance += widen_and_sum_u8(byte_counts);
  }
  if (i < code_bytes) {  // exactly 8 bytes are left
    const v128_t differing = wasm_v128_xor(wasm_v128_load64_zero(query_code + i), wasm_v128_load64_zero(code + i));
    distance += widen_and_sum_u8(wasm_i8x16_popcnt(differing));
  }
  return distance;
}

}  // namespace

void hamming_distances(const std::uint8_t* query_code, const std::uint8_t* codes, std::size_t code_bytes,
                       std::size_t row_count, std::uint32_t* distances) {
  for (std::size_t row = 0; row < row_count; ++row) {
    distances[row] = hamming_distance(query_code, codes + row * code_bytes, code_bytes);
  }
}

// Matrix product over the same packed 16-column panels as the AVX2 kernel: a register tile of up to
// four left rows by eight columns (half a panel; eight accumulators, which the 16 SIMD registers of
// the x86-64 engines running wasm can hold), mul + add per step of k. Each output is a sum over k in
// increasing order in every tile shape, so results do not depend on where a row or column falls.
namespace {

constexpr std::size_t panel_columns = 16;

template <std::size_t Rows>
inline void multiply_tile(const float* left, std::size_t inner, const float* panel_half, float* tile_output) {
  v128_t low[Rows], high[Rows];
#pragma GCC unroll 8
  for (std::size_t r = 0; r < Rows; ++r) low[r] = high[r] = wasm_f32x4_splat(0.0f);
  for (std::size_t k = 0; k < inner; ++k) {
    const v128_t right_low = load_f32(panel_half + k * panel_columns);
    const v128_t right_high = load_f32(panel_half + k * panel_columns + 4);
#pragma GCC unroll 8
    for (std::size_t r = 0; r < Rows; ++r) {
      const v128_t left_value = wasm_f32x4_splat(left[r * inner + k]);
      low[r] = multiply_add_f32(left_value, right_low, low[r]);
      high[r] = multiply_add_f32(left_value, right_high, high[r]);
    }
  }
#pragma GCC unroll 8
  for (std::size_t r = 0; r < Rows; ++r) {
    wasm_v128_store(tile_output + r * 8, low[r]);
    wasm_v128_store(tile_output + r * 8 + 4, high[r]);
  }
}

template <std::size_t Rows>
inline void multiply_rows(const float* left, std::size_t inner, const float* panel_half, float* output,
                          std::size_t columns, std::size_t width) {
  alignas(16) float tile_output[Rows * 8];
  multiply_tile<Rows>(left, inner, panel_half, tile_output);
  for (std::size_t r = 0; r < Rows; ++r) {
    for (std::size_t c = 0; c < width; ++c) output[r * columns + c] = tile_output[r * 8 + c];
  }
}

}  // namespace

void matrix_multiply_packed_f32(const float* left, const float* packed_right, std::size_t rows, std::size_t inner,
                                std::size_t columns, float* output) {
  for (std::size_t first_column = 0; first_column < columns; first_column += 8) {
    const float* panel_half = packed_right + (first_column / panel_columns) * inner * panel_columns + first_column % panel_columns;
    const std::size_t width = std::min<std::size_t>(8, columns - first_column);
    float* half_output = output + first_column;
    std::size_t row = 0;
    for (; row + 4 <= rows; row += 4) multiply_rows<4>(left + row * inner, inner, panel_half, half_output + row * columns, columns, width);
    const float* left_rest = left + row * inner;
    float* output_rest = half_output + row * columns;
    switch (rows - row) {
      case 3: multiply_rows<3>(left_rest, inner, panel_half, output_rest, columns, width); break;
      case 2: multiply_rows<2>(left_rest, inner, panel_half, output_rest, columns, width); break;
      case 1: multiply_rows<1>(left_rest, inner, panel_half, output_rest, columns, width); break;
      default: break;
    }
  }
}

}  // namespace mosaic::vector::wasm128
