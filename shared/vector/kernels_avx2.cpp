// AVX2 + FMA kernels. This file alone is compiled with -mavx2 -mfma; the dispatcher calls it only
// after checking the CPU at run time, so the binary still runs on machines without AVX2.
//
// The scan kernels (scores_*) work on four rows at a time: the query chunk is loaded (and for int8,
// widened) once and used four times, and eight independent accumulators hide the FMA latency. Rows
// are streamed from memory, so a scan is bound by read bandwidth, which the benchmark checks. Scalar
// tails use std::fma (one instruction here) so no compiler contraction choice can make two paths differ.
//
// int8 is multiplied exactly: both sides are sign-extended to i16 and combined with vpmaddwd, whose
// pairwise i16*i16+i16*i16 sums fit i32. (The faster vpmaddubsw trick saturates for -128 and is
// therefore not used: every int8 result must equal the serial reference bit for bit.)
#include <immintrin.h>

#include <cmath>

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

// The scan kernels score Rows rows per step with one template, instantiated for 4 (the main loop)
// and 1 (the remainder). Each row's arithmetic is identical in both, in the same order, so a vector's
// score never depends on where it falls in a block or where a filter splits a run: equal vectors
// score equally, which top_k's tie order relies on.
namespace {

template <std::size_t Rows>
inline void score_rows_f32(const float* query, const float* first_row, std::size_t dimensions, float* scores) {
  __m256 low[Rows], high[Rows];
  for (std::size_t r = 0; r < Rows; ++r) low[r] = high[r] = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 16 <= dimensions; i += 16) {
    const __m256 query_low = _mm256_loadu_ps(query + i);
    const __m256 query_high = _mm256_loadu_ps(query + i + 8);
    for (std::size_t r = 0; r < Rows; ++r) {
      const float* row = first_row + r * dimensions;
      low[r] = _mm256_fmadd_ps(_mm256_loadu_ps(row + i), query_low, low[r]);
      high[r] = _mm256_fmadd_ps(_mm256_loadu_ps(row + i + 8), query_high, high[r]);
    }
  }
  if (i + 8 <= dimensions) {
    const __m256 query_chunk = _mm256_loadu_ps(query + i);
    for (std::size_t r = 0; r < Rows; ++r) {
      low[r] = _mm256_fmadd_ps(_mm256_loadu_ps(first_row + r * dimensions + i), query_chunk, low[r]);
    }
    i += 8;
  }
  for (std::size_t r = 0; r < Rows; ++r) {
    const float* row = first_row + r * dimensions;
    float sum = horizontal_sum(_mm256_add_ps(low[r], high[r]));
    for (std::size_t tail = i; tail < dimensions; ++tail) sum = std::fma(row[tail], query[tail], sum);
    scores[r] = sum;
  }
}

template <std::size_t Rows>
inline void score_rows_i8(const std::int8_t* query, const std::int8_t* first_row, std::size_t dimensions,
                          std::int32_t* scores) {
  __m256i low[Rows], high[Rows];
  for (std::size_t r = 0; r < Rows; ++r) low[r] = high[r] = _mm256_setzero_si256();
  std::size_t i = 0;
  for (; i + 32 <= dimensions; i += 32) {
    const __m256i query_low = load_i8_as_i16(query + i);
    const __m256i query_high = load_i8_as_i16(query + i + 16);
    for (std::size_t r = 0; r < Rows; ++r) {
      const std::int8_t* row = first_row + r * dimensions;
      low[r] = _mm256_add_epi32(low[r], _mm256_madd_epi16(load_i8_as_i16(row + i), query_low));
      high[r] = _mm256_add_epi32(high[r], _mm256_madd_epi16(load_i8_as_i16(row + i + 16), query_high));
    }
  }
  if (i + 16 <= dimensions) {
    const __m256i query_chunk = load_i8_as_i16(query + i);
    for (std::size_t r = 0; r < Rows; ++r) {
      low[r] = _mm256_add_epi32(low[r], _mm256_madd_epi16(load_i8_as_i16(first_row + r * dimensions + i), query_chunk));
    }
    i += 16;
  }
  for (std::size_t r = 0; r < Rows; ++r) {
    const std::int8_t* row = first_row + r * dimensions;
    std::int32_t sum = horizontal_sum(_mm256_add_epi32(low[r], high[r]));
    for (std::size_t tail = i; tail < dimensions; ++tail) sum += static_cast<std::int32_t>(row[tail]) * query[tail];
    scores[r] = sum;
  }
}

template <std::size_t Rows>
inline void score_rows_f32_i8(const float* query, const std::int8_t* first_row, std::size_t dimensions,
                              float* scores) {
  __m256 sums[Rows];
  for (std::size_t r = 0; r < Rows; ++r) sums[r] = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 8 <= dimensions; i += 8) {
    const __m256 query_chunk = _mm256_loadu_ps(query + i);
    for (std::size_t r = 0; r < Rows; ++r) {
      sums[r] = _mm256_fmadd_ps(load_i8_as_f32(first_row + r * dimensions + i), query_chunk, sums[r]);
    }
  }
  for (std::size_t r = 0; r < Rows; ++r) {
    const std::int8_t* row = first_row + r * dimensions;
    float sum = horizontal_sum(sums[r]);
    for (std::size_t tail = i; tail < dimensions; ++tail) sum = std::fma(static_cast<float>(row[tail]), query[tail], sum);
    scores[r] = sum;
  }
}

}  // namespace

void scores_f32(const float* query, const float* rows, std::size_t dimensions, std::size_t row_count,
                float* scores) {
  std::size_t row = 0;
  for (; row + 4 <= row_count; row += 4) score_rows_f32<4>(query, rows + row * dimensions, dimensions, scores + row);
  for (; row < row_count; ++row) score_rows_f32<1>(query, rows + row * dimensions, dimensions, scores + row);
}

void scores_i8(const std::int8_t* query, const std::int8_t* rows, std::size_t dimensions, std::size_t row_count,
               std::int32_t* scores) {
  std::size_t row = 0;
  for (; row + 4 <= row_count; row += 4) score_rows_i8<4>(query, rows + row * dimensions, dimensions, scores + row);
  for (; row < row_count; ++row) score_rows_i8<1>(query, rows + row * dimensions, dimensions, scores + row);
}

void scores_f32_i8(const float* query, const std::int8_t* rows, std::size_t dimensions, std::size_t row_count,
                   float* scores) {
  std::size_t row = 0;
  for (; row + 4 <= row_count; row += 4) score_rows_f32_i8<4>(query, rows + row * dimensions, dimensions, scores + row);
  for (; row < row_count; ++row) score_rows_f32_i8<1>(query, rows + row * dimensions, dimensions, scores + row);
}

}  // namespace mosaic::vector::avx2
