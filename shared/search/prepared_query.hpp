#pragma once
// A query vector as the scan reads it, made once per query: cut to the index's stored dimensions
// (Matryoshka truncation), L2-normalized, and quantized for the exact int8 kernel. Whatever produced
// the vector (the local model, Gemini through the proxy, a stored vector for "more like this", a
// caller's own numbers), it is prepared here exactly once and then scored against every shard.
#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"

namespace mosaic::search {

struct prepared_query {
  std::vector<float> unit;          // the truncated, unit-length query
  std::vector<std::int8_t> codes;   // `unit` quantized (vector/quantize.hpp), for int8 shards
  float scale = 0.0f;               // unit[i] ≈ codes[i] * scale

  [[nodiscard]] std::size_t dimensions() const noexcept { return unit.size(); }
};

// `vector` must have at least `dimensions` components (dimension_mismatch otherwise), be finite
// (non_finite_value) and not zero in its first `dimensions` (zero_vector). dimensions >= 1.
result<prepared_query> prepare_query(std::span<const float> vector, std::size_t dimensions);

}  // namespace mosaic::search
