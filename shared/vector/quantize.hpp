#pragma once
// Per-vector symmetric int8 quantization: value ≈ code * scale, scale = max|x| / 127, codes in
// [-127, 127]. -128 is never produced, so negating a code is always safe. A unit vector stored this
// way takes a quarter of the bytes of float32; the search benchmarks report what it costs in recall.
#include <cstdint>
#include <span>

#include "core/result.hpp"

namespace mosaic::vector {

inline constexpr float i8_max_code = 127.0f;

// Writes codes for `values` into `codes` (same length) and returns the scale. A zero vector gets
// scale 0 and all-zero codes. Non-finite input is an error and leaves `codes` unspecified.
result<float> quantize_i8(std::span<const float> values, std::span<std::int8_t> codes);

// values[i] = codes[i] * scale.
status dequantize_i8(std::span<const std::int8_t> codes, float scale, std::span<float> values);

}  // namespace mosaic::vector
