#pragma once
// L2 normalization and Matryoshka truncation. Every stored and query vector passes through here, so a
// zero or non-finite vector is rejected with an error instead of turning into NaN scores later.
#include <span>
#include <vector>

#include "core/result.hpp"

namespace mosaic::vector {

// Scales `values` in place to unit L2 norm. The norm is computed in double, so float vectors of any
// finite magnitude normalize without overflow. On error `values` is left unchanged.
status l2_normalize(std::span<float> values);

// Matryoshka truncation: keeps the first `dimensions` components (1 <= dimensions <= values.size())
// and renormalizes them. Gemini Embedding and other Matryoshka-trained models keep meaning in prefixes.
result<std::vector<float>> truncate_and_normalize(std::span<const float> values, std::size_t dimensions);

}  // namespace mosaic::vector
