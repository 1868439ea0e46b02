// AVX2 + FMA kernels. This file alone is compiled with -mavx2 -mfma; the dispatcher calls it only
// after checking the CPU at run time, so the binary still runs on machines without AVX2.
//
// The scan kernels (scores_*) work on four rows at a time: the query chunk is loaded (and for int8,
// widened) once and used four times, and eight independent accumulators hide the FMA latency. Rows
// are streamed from memory, so a scan is bound by read bandwidth, which the benchmark checks.
//
// int8 is multiplied exactly: both sides are sign-extended to i16 and combined with vpmaddwd, whose
// pairwise i16*i16+i16*i16 sums fit i32. (The faster vpmaddubsw trick saturates for -128 and is
// therefore not used: every int8 result must equal the serial reference bit for bit.)
#include <immintrin.h>

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

void scores_f32(const float* query, const float* rows, std::size_t dimensions, std::size_t row_count,
                float* scores) {
  std::size_t row = 0;
  for (; row + 4 <= row_count; row += 4) {
    const float* row0 = rows + row * dimensions;
    const float* row1 = row0 + dimensions;
    const float* row2 = row1 + dimensions;
    const float* row3 = row2 + dimensions;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    __m256 b0 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps(), b2 = _mm256_setzero_ps(), b3 = _mm256_setzero_ps();
    std::size_t i = 0;
    for (; i + 16 <= dimensions; i += 16) {
      const __m256 query_low = _mm256_loadu_ps(query + i);
      const __m256 query_high = _mm256_loadu_ps(query + i + 8);
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(row0 + i), query_low, a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(row1 + i), query_low, a1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(row2 + i), query_low, a2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(row3 + i), query_low, a3);
      b0 = _mm256_fmadd_ps(_mm256_loadu_ps(row0 + i + 8), query_high, b0);
      b1 = _mm256_fmadd_ps(_mm256_loadu_ps(row1 + i + 8), query_high, b1);
      b2 = _mm256_fmadd_ps(_mm256_loadu_ps(row2 + i + 8), query_high, b2);
      b3 = _mm256_fmadd_ps(_mm256_loadu_ps(row3 + i + 8), query_high, b3);
    }
    for (; i + 8 <= dimensions; i += 8) {
      const __m256 query_chunk = _mm256_loadu_ps(query + i);
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(row0 + i), query_chunk, a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(row1 + i), query_chunk, a1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(row2 + i), query_chunk, a2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(row3 + i), query_chunk, a3);
    }
    float sum0 = horizontal_sum(_mm256_add_ps(a0, b0)), sum1 = horizontal_sum(_mm256_add_ps(a1, b1));
    float sum2 = horizontal_sum(_mm256_add_ps(a2, b2)), sum3 = horizontal_sum(_mm256_add_ps(a3, b3));
    for (; i < dimensions; ++i) {
      sum0 += row0[i] * query[i];
      sum1 += row1[i] * query[i];
      sum2 += row2[i] * query[i];
      sum3 += row3[i] * query[i];
    }
    scores[row] = sum0;
    scores[row + 1] = sum1;
    scores[row + 2] = sum2;
    scores[row + 3] = sum3;
  }
  for (; row < row_count; ++row) scores[row] = dot_f32(query, rows + row * dimensions, dimensions);
}

void scores_i8(const std::int8_t* query, const std::int8_t* rows, std::size_t dimensions, std::size_t row_count,
               std::int32_t* scores) {
  std::size_t row = 0;
  for (; row + 4 <= row_count; row += 4) {
    const std::int8_t* row0 = rows + row * dimensions;
    const std::int8_t* row1 = row0 + dimensions;
    const std::int8_t* row2 = row1 + dimensions;
    const std::int8_t* row3 = row2 + dimensions;
    __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256(), a2 = _mm256_setzero_si256(),
            a3 = _mm256_setzero_si256();
    __m256i b0 = _mm256_setzero_si256(), b1 = _mm256_setzero_si256(), b2 = _mm256_setzero_si256(),
            b3 = _mm256_setzero_si256();
    std::size_t i = 0;
    for (; i + 32 <= dimensions; i += 32) {
      const __m256i query_low = load_i8_as_i16(query + i);
      const __m256i query_high = load_i8_as_i16(query + i + 16);
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(load_i8_as_i16(row0 + i), query_low));
      a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(load_i8_as_i16(row1 + i), query_low));
      a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(load_i8_as_i16(row2 + i), query_low));
      a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(load_i8_as_i16(row3 + i), query_low));
      b0 = _mm256_add_epi32(b0, _mm256_madd_epi16(load_i8_as_i16(row0 + i + 16), query_high));
      b1 = _mm256_add_epi32(b1, _mm256_madd_epi16(load_i8_as_i16(row1 + i + 16), query_high));
      b2 = _mm256_add_epi32(b2, _mm256_madd_epi16(load_i8_as_i16(row2 + i + 16), query_high));
      b3 = _mm256_add_epi32(b3, _mm256_madd_epi16(load_i8_as_i16(row3 + i + 16), query_high));
    }
    for (; i + 16 <= dimensions; i += 16) {
      const __m256i query_chunk = load_i8_as_i16(query + i);
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(load_i8_as_i16(row0 + i), query_chunk));
      a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(load_i8_as_i16(row1 + i), query_chunk));
      a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(load_i8_as_i16(row2 + i), query_chunk));
      a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(load_i8_as_i16(row3 + i), query_chunk));
    }
    std::int32_t sum0 = horizontal_sum(_mm256_add_epi32(a0, b0)), sum1 = horizontal_sum(_mm256_add_epi32(a1, b1));
    std::int32_t sum2 = horizontal_sum(_mm256_add_epi32(a2, b2)), sum3 = horizontal_sum(_mm256_add_epi32(a3, b3));
    for (; i < dimensions; ++i) {
      const std::int32_t query_value = query[i];
      sum0 += row0[i] * query_value;
      sum1 += row1[i] * query_value;
      sum2 += row2[i] * query_value;
      sum3 += row3[i] * query_value;
    }
    scores[row] = sum0;
    scores[row + 1] = sum1;
    scores[row + 2] = sum2;
    scores[row + 3] = sum3;
  }
  for (; row < row_count; ++row) scores[row] = dot_i8(query, rows + row * dimensions, dimensions);
}

void scores_f32_i8(const float* query, const std::int8_t* rows, std::size_t dimensions, std::size_t row_count,
                   float* scores) {
  std::size_t row = 0;
  for (; row + 4 <= row_count; row += 4) {
    const std::int8_t* row0 = rows + row * dimensions;
    const std::int8_t* row1 = row0 + dimensions;
    const std::int8_t* row2 = row1 + dimensions;
    const std::int8_t* row3 = row2 + dimensions;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    std::size_t i = 0;
    for (; i + 8 <= dimensions; i += 8) {
      const __m256 query_chunk = _mm256_loadu_ps(query + i);
      a0 = _mm256_fmadd_ps(load_i8_as_f32(row0 + i), query_chunk, a0);
      a1 = _mm256_fmadd_ps(load_i8_as_f32(row1 + i), query_chunk, a1);
      a2 = _mm256_fmadd_ps(load_i8_as_f32(row2 + i), query_chunk, a2);
      a3 = _mm256_fmadd_ps(load_i8_as_f32(row3 + i), query_chunk, a3);
    }
    float sum0 = horizontal_sum(a0), sum1 = horizontal_sum(a1), sum2 = horizontal_sum(a2), sum3 = horizontal_sum(a3);
    for (; i < dimensions; ++i) {
      sum0 += static_cast<float>(row0[i]) * query[i];
      sum1 += static_cast<float>(row1[i]) * query[i];
      sum2 += static_cast<float>(row2[i]) * query[i];
      sum3 += static_cast<float>(row3[i]) * query[i];
    }
    scores[row] = sum0;
    scores[row + 1] = sum1;
    scores[row + 2] = sum2;
    scores[row + 3] = sum3;
  }
  for (; row < row_count; ++row) scores[row] = dot_f32_i8(query, rows + row * dimensions, dimensions);
}

}  // namespace mosaic::vector::avx2
