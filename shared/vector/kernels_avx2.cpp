// AVX2 + FMA kernels. This file alone is compiled with -mavx2 -mfma; the dispatcher calls it only
// after checking the CPU at run time, so the binary still runs on machines without AVX2.
//
// int8 is multiplied exactly: both sides are sign-extended to i16 and combined with vpmaddwd, whose
// pairwise i16*i16+i16*i16 sums fit i32. (The faster vpmaddubsw trick saturates for -128 and is
// therefore not used: every int8 result must equal the serial reference bit for bit.)
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "vector/kernels_variants.hpp"

namespace mosaic::vector::avx2 {
namespace {

inline float horizontal_sum(__m256 value) {
  const __m128 folded = _mm_add_ps(_mm256_castps256_ps128(value), _mm256_extractf128_ps(value, 1));
  const __m128 pairs = _mm_add_ps(folded, _mm_movehl_ps(folded, folded));
  return _mm_cvtss_f32(_mm_add_ss(pairs, _mm_shuffle_ps(pairs, pairs, 0x55)));
}

inline std::int32_t horizontal_sum(__m256i value) {
  const __m128i folded = _mm_add_epi32(_mm256_castsi256_si128(value), _mm256_extracti128_si256(value, 1));
  const __m128i pairs = _mm_add_epi32(folded, _mm_shuffle_epi32(folded, 0x4E));
  return _mm_cvtsi128_si32(_mm_add_epi32(pairs, _mm_shuffle_epi32(pairs, 0xB1)));
}

inline __m256i load_i8_as_i16(const std::int8_t* source) {
  return _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(source)));
}

inline __m256 load_i8_as_f32(const std::int8_t* source) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(source))));
}

}  // namespace

float dot_f32(const float* left, const float* right, std::size_t length) {
  __m256 sum0 = _mm256_setzero_ps(), sum1 = _mm256_setzero_ps(), sum2 = _mm256_setzero_ps(),
         sum3 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 32 <= length; i += 32) {
    sum0 = _mm256_fmadd_ps(_mm256_loadu_ps(left + i), _mm256_loadu_ps(right + i), sum0);
    sum1 = _mm256_fmadd_ps(_mm256_loadu_ps(left + i + 8), _mm256_loadu_ps(right + i + 8), sum1);
    sum2 = _mm256_fmadd_ps(_mm256_loadu_ps(left + i + 16), _mm256_loadu_ps(right + i + 16), sum2);
    sum3 = _mm256_fmadd_ps(_mm256_loadu_ps(left + i + 24), _mm256_loadu_ps(right + i + 24), sum3);
  }
  for (; i + 8 <= length; i += 8) sum0 = _mm256_fmadd_ps(_mm256_loadu_ps(left + i), _mm256_loadu_ps(right + i), sum0);
  float sum = horizontal_sum(_mm256_add_ps(_mm256_add_ps(sum0, sum1), _mm256_add_ps(sum2, sum3)));
  for (; i < length; ++i) sum += left[i] * right[i];
  return sum;
}

std::int32_t dot_i8(const std::int8_t* left, const std::int8_t* right, std::size_t length) {
  __m256i sum0 = _mm256_setzero_si256(), sum1 = _mm256_setzero_si256();
  std::size_t i = 0;
  for (; i + 32 <= length; i += 32) {
    sum0 = _mm256_add_epi32(sum0, _mm256_madd_epi16(load_i8_as_i16(left + i), load_i8_as_i16(right + i)));
    sum1 = _mm256_add_epi32(sum1, _mm256_madd_epi16(load_i8_as_i16(left + i + 16), load_i8_as_i16(right + i + 16)));
  }
  for (; i + 16 <= length; i += 16) {
    sum0 = _mm256_add_epi32(sum0, _mm256_madd_epi16(load_i8_as_i16(left + i), load_i8_as_i16(right + i)));
  }
  std::int32_t sum = horizontal_sum(_mm256_add_epi32(sum0, sum1));
  for (; i < length; ++i) sum += static_cast<std::int32_t>(left[i]) * static_cast<std::int32_t>(right[i]);
  return sum;
}

float dot_f32_i8(const float* query, const std::int8_t* data, std::size_t length) {
  __m256 sum0 = _mm256_setzero_ps(), sum1 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 16 <= length; i += 16) {
    sum0 = _mm256_fmadd_ps(_mm256_loadu_ps(query + i), load_i8_as_f32(data + i), sum0);
    sum1 = _mm256_fmadd_ps(_mm256_loadu_ps(query + i + 8), load_i8_as_f32(data + i + 8), sum1);
  }
  for (; i + 8 <= length; i += 8) sum0 = _mm256_fmadd_ps(_mm256_loadu_ps(query + i), load_i8_as_f32(data + i), sum0);
  float sum = horizontal_sum(_mm256_add_ps(sum0, sum1));
  for (; i < length; ++i) sum += query[i] * static_cast<float>(data[i]);
  return sum;
}

// The scan kernels score one row at a time, streaming rows front to back: a single linear stream is
// what the hardware prefetcher follows best (interleaving four rows measured 0.40-0.67 of read
// bandwidth, one row at a time 0.8+), and a software prefetch a few KB ahead covers row boundaries.
// The query stays in L1. Because every row goes through the same code, a vector's score never depends
// on its position in a block: equal vectors score equally, which top_k's tie order relies on.
namespace {

constexpr std::size_t prefetch_distance_bytes = 4096;

inline void prefetch_ahead(const void* address) {
  _mm_prefetch(static_cast<const char*>(address) + prefetch_distance_bytes, _MM_HINT_T0);
}

inline float scan_row_f32(const float* query, const float* row, std::size_t dimensions) {
  __m256 sum0 = _mm256_setzero_ps(), sum1 = _mm256_setzero_ps(), sum2 = _mm256_setzero_ps(),
         sum3 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 32 <= dimensions; i += 32) {
    prefetch_ahead(row + i);
    prefetch_ahead(row + i + 16);
    sum0 = _mm256_fmadd_ps(_mm256_loadu_ps(row + i), _mm256_loadu_ps(query + i), sum0);
    sum1 = _mm256_fmadd_ps(_mm256_loadu_ps(row + i + 8), _mm256_loadu_ps(query + i + 8), sum1);
    sum2 = _mm256_fmadd_ps(_mm256_loadu_ps(row + i + 16), _mm256_loadu_ps(query + i + 16), sum2);
    sum3 = _mm256_fmadd_ps(_mm256_loadu_ps(row + i + 24), _mm256_loadu_ps(query + i + 24), sum3);
  }
  for (; i + 8 <= dimensions; i += 8) sum0 = _mm256_fmadd_ps(_mm256_loadu_ps(row + i), _mm256_loadu_ps(query + i), sum0);
  float sum = horizontal_sum(_mm256_add_ps(_mm256_add_ps(sum0, sum1), _mm256_add_ps(sum2, sum3)));
  for (; i < dimensions; ++i) sum = std::fma(row[i], query[i], sum);
  return sum;
}

// `widened_query` holds the query already sign-extended to i16, so each 16 row bytes cost one
// vpmovsxbw and one vpmaddwd.
inline std::int32_t scan_row_i8(const std::int16_t* widened_query, const std::int8_t* row, std::size_t dimensions) {
  __m256i sum0 = _mm256_setzero_si256(), sum1 = _mm256_setzero_si256();
  std::size_t i = 0;
  for (; i + 32 <= dimensions; i += 32) {
    prefetch_ahead(row + i);
    const __m256i query_low = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(widened_query + i));
    const __m256i query_high = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(widened_query + i + 16));
    sum0 = _mm256_add_epi32(sum0, _mm256_madd_epi16(load_i8_as_i16(row + i), query_low));
    sum1 = _mm256_add_epi32(sum1, _mm256_madd_epi16(load_i8_as_i16(row + i + 16), query_high));
  }
  for (; i + 16 <= dimensions; i += 16) {
    const __m256i query_chunk = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(widened_query + i));
    sum0 = _mm256_add_epi32(sum0, _mm256_madd_epi16(load_i8_as_i16(row + i), query_chunk));
  }
  std::int32_t sum = horizontal_sum(_mm256_add_epi32(sum0, sum1));
  for (; i < dimensions; ++i) sum += static_cast<std::int32_t>(row[i]) * widened_query[i];
  return sum;
}

inline float scan_row_f32_i8(const float* query, const std::int8_t* row, std::size_t dimensions) {
  __m256 sum0 = _mm256_setzero_ps(), sum1 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 16 <= dimensions; i += 16) {
    prefetch_ahead(row + i);
    sum0 = _mm256_fmadd_ps(_mm256_loadu_ps(query + i), load_i8_as_f32(row + i), sum0);
    sum1 = _mm256_fmadd_ps(_mm256_loadu_ps(query + i + 8), load_i8_as_f32(row + i + 8), sum1);
  }
  for (; i + 8 <= dimensions; i += 8) sum0 = _mm256_fmadd_ps(_mm256_loadu_ps(query + i), load_i8_as_f32(row + i), sum0);
  float sum = horizontal_sum(_mm256_add_ps(sum0, sum1));
  for (; i < dimensions; ++i) sum = std::fma(static_cast<float>(row[i]), query[i], sum);
  return sum;
}

// The widened query lives on the stack for common sizes (one widening per block of rows); larger
// vectors use a heap buffer. Both paths run the same per-row code, so results are identical.
constexpr std::size_t stack_widened_dimensions = 4096;

}  // namespace

void scores_f32(const float* query, const float* rows, std::size_t dimensions, std::size_t row_count,
                float* scores) {
  for (std::size_t row = 0; row < row_count; ++row) scores[row] = scan_row_f32(query, rows + row * dimensions, dimensions);
}

void scores_i8(const std::int8_t* query, const std::int8_t* rows, std::size_t dimensions, std::size_t row_count,
               std::int32_t* scores) {
  alignas(32) std::int16_t stack_buffer[stack_widened_dimensions];
  std::vector<std::int16_t> heap_buffer;
  std::int16_t* widened = stack_buffer;
  if (dimensions > stack_widened_dimensions) {
    heap_buffer.resize(dimensions);
    widened = heap_buffer.data();
  }
  for (std::size_t i = 0; i < dimensions; ++i) widened[i] = query[i];
  for (std::size_t row = 0; row < row_count; ++row) scores[row] = scan_row_i8(widened, rows + row * dimensions, dimensions);
}

void scores_f32_i8(const float* query, const std::int8_t* rows, std::size_t dimensions, std::size_t row_count,
                   float* scores) {
  for (std::size_t row = 0; row < row_count; ++row) {
    scores[row] = scan_row_f32_i8(query, rows + row * dimensions, dimensions);
  }
}

// Hamming distances by nibble lookup (Mula's method): vpshufb maps each 4-bit half of the exclusive
// or to its bit count, and vpsadbw sums the byte counts into four u64 lanes. A byte count is at most 8,
// so byte lanes could absorb 31 blocks before overflowing; they are folded into the u64 lanes after
// every block, which keeps the loop simple and costs one vpsadbw per 32 bytes. A code's last 8 or 16
// bytes (code_bytes is a multiple of 8, not of 32) go through the same lookup on 128-bit registers.
// The query code is reloaded for every row: it stays in L1.
namespace {

inline __m256i popcount_bytes(__m256i value) {
  const __m256i nibble_counts = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                                 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low_nibbles = _mm256_set1_epi8(0x0F);
  const __m256i low = _mm256_and_si256(value, low_nibbles);
  const __m256i high = _mm256_and_si256(_mm256_srli_epi16(value, 4), low_nibbles);
  return _mm256_add_epi8(_mm256_shuffle_epi8(nibble_counts, low), _mm256_shuffle_epi8(nibble_counts, high));
}

inline __m128i popcount_bytes(__m128i value) {
  const __m128i nibble_counts = _mm_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m128i low_nibbles = _mm_set1_epi8(0x0F);
  const __m128i low = _mm_and_si128(value, low_nibbles);
  const __m128i high = _mm_and_si128(_mm_srli_epi16(value, 4), low_nibbles);
  return _mm_add_epi8(_mm_shuffle_epi8(nibble_counts, low), _mm_shuffle_epi8(nibble_counts, high));
}

inline std::uint32_t hamming_distance(const std::uint8_t* query_code, const std::uint8_t* code,
                                      std::size_t code_bytes) {
  __m256i sums = _mm256_setzero_si256();
  std::size_t i = 0;
  for (; i + 32 <= code_bytes; i += 32) {
    const __m256i differing = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(query_code + i)),
                                               _mm256_loadu_si256(reinterpret_cast<const __m256i*>(code + i)));
    sums = _mm256_add_epi64(sums, _mm256_sad_epu8(popcount_bytes(differing), _mm256_setzero_si256()));
  }
  __m128i tail_sums = _mm_setzero_si128();
  for (; i + 16 <= code_bytes; i += 16) {
    const __m128i differing = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(query_code + i)),
                                            _mm_loadu_si128(reinterpret_cast<const __m128i*>(code + i)));
    tail_sums = _mm_add_epi64(tail_sums, _mm_sad_epu8(popcount_bytes(differing), _mm_setzero_si128()));
  }
  if (i < code_bytes) {  // exactly 8 bytes are left; the upper half of the load is zero
    const __m128i differing = _mm_xor_si128(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(query_code + i)),
                                            _mm_loadl_epi64(reinterpret_cast<const __m128i*>(code + i)));
    tail_sums = _mm_add_epi64(tail_sums, _mm_sad_epu8(popcount_bytes(differing), _mm_setzero_si128()));
  }
  const __m128i folded = _mm_add_epi64(_mm_add_epi64(_mm256_castsi256_si128(sums), _mm256_extracti128_si256(sums, 1)),
                                       tail_sums);
  return static_cast<std::uint32_t>(_mm_cvtsi128_si64(_mm_add_epi64(folded, _mm_unpackhi_epi64(folded, folded))));
}

}  // namespace

void hamming_distances(const std::uint8_t* query_code, const std::uint8_t* codes, std::size_t code_bytes,
                       std::size_t row_count, std::uint32_t* distances) {
  for (std::size_t row = 0; row < row_count; ++row) {
    distances[row] = hamming_distance(query_code, codes + row * code_bytes, code_bytes);
  }
}

// Matrix product with a register tile of up to six left rows by one 16-column panel (twelve
// accumulators, the classic 6x16 FMA micro-kernel): per step of the inner dimension it loads one
// 16-float row of the packed panel and broadcasts six left values, so it is bound by FMA throughput.
// Panels are outermost: one panel (inner x 16 floats, 32 KB for inner = 512) is streamed linearly and
// stays in L1/L2 while every row block passes over it. Each output element is a sum over k in
// increasing order with one FMA per step in every tile shape, so results do not depend on where a
// row or column falls. The row loops are unrolled by pragma: at -O2 GCC otherwise keeps the twelve
// accumulators in memory, which measured 4x slower.
namespace {

constexpr std::size_t panel_columns = 16;

template <std::size_t Rows>
inline void multiply_tile(const float* left, std::size_t inner, const float* panel, float* tile_output) {
  __m256 low[Rows], high[Rows];
#pragma GCC unroll 8
  for (std::size_t r = 0; r < Rows; ++r) low[r] = high[r] = _mm256_setzero_ps();
  for (std::size_t k = 0; k < inner; ++k) {
    const __m256 right_low = _mm256_loadu_ps(panel + k * panel_columns);
    const __m256 right_high = _mm256_loadu_ps(panel + k * panel_columns + 8);
#pragma GCC unroll 8
    for (std::size_t r = 0; r < Rows; ++r) {
      const __m256 left_value = _mm256_broadcast_ss(left + r * inner + k);
      low[r] = _mm256_fmadd_ps(left_value, right_low, low[r]);
      high[r] = _mm256_fmadd_ps(left_value, right_high, high[r]);
    }
  }
#pragma GCC unroll 8
  for (std::size_t r = 0; r < Rows; ++r) {
    _mm256_storeu_ps(tile_output + r * panel_columns, low[r]);
    _mm256_storeu_ps(tile_output + r * panel_columns + 8, high[r]);
  }
}

// Multiplies `Rows` left rows with one panel and writes the panel's `width` valid columns.
template <std::size_t Rows>
inline void multiply_rows(const float* left, std::size_t inner, const float* panel, float* output,
                          std::size_t columns, std::size_t width) {
  alignas(32) float tile_output[Rows * panel_columns];
  multiply_tile<Rows>(left, inner, panel, tile_output);
  for (std::size_t r = 0; r < Rows; ++r) {
    std::memcpy(output + r * columns, tile_output + r * panel_columns, width * sizeof(float));
  }
}

}  // namespace

void matrix_multiply_packed_f32(const float* left, const float* packed_right, std::size_t rows, std::size_t inner,
                                std::size_t columns, float* output) {
  for (std::size_t first_column = 0; first_column < columns; first_column += panel_columns) {
    const float* panel = packed_right + (first_column / panel_columns) * inner * panel_columns;
    const std::size_t width = std::min(panel_columns, columns - first_column);
    float* panel_output = output + first_column;
    std::size_t row = 0;
    for (; row + 6 <= rows; row += 6) multiply_rows<6>(left + row * inner, inner, panel, panel_output + row * columns, columns, width);
    const float* left_rest = left + row * inner;
    float* output_rest = panel_output + row * columns;
    switch (rows - row) {
      case 5: multiply_rows<5>(left_rest, inner, panel, output_rest, columns, width); break;
      case 4: multiply_rows<4>(left_rest, inner, panel, output_rest, columns, width); break;
      case 3: multiply_rows<3>(left_rest, inner, panel, output_rest, columns, width); break;
      case 2: multiply_rows<2>(left_rest, inner, panel, output_rest, columns, width); break;
      case 1: multiply_rows<1>(left_rest, inner, panel, output_rest, columns, width); break;
      default: break;
    }
  }
}

}  // namespace mosaic::vector::avx2
