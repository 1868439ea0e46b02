#include "search/near_duplicates.hpp"

#include <cmath>

namespace mosaic::search {

std::vector<std::size_t> near_duplicate_leaders(std::span<const float> rows, std::size_t dimensions, float threshold) {
  if (dimensions == 0) return {};
  const std::size_t count = rows.size() / dimensions;
  const auto row = [&](std::size_t position) { return rows.subspan(position * dimensions, dimensions); };
  // Norms once per hit; double sums so that identical rows give a cosine of exactly 1 at any length.
  std::vector<double> norms(count);
  for (std::size_t position = 0; position < count; ++position) {
    double sum = 0.0;
    for (const float value : row(position)) sum += static_cast<double>(value) * static_cast<double>(value);
    norms[position] = std::sqrt(sum);
  }
  std::vector<std::size_t> leaders(count);
  std::vector<std::size_t> leader_positions;
  for (std::size_t position = 0; position < count; ++position) {
    leaders[position] = position;
    if (norms[position] == 0.0) continue;
    const std::span<const float> vector = row(position);
    for (const std::size_t leader : leader_positions) {
      const std::span<const float> other = row(leader);
      double dot = 0.0;
      for (std::size_t index = 0; index < dimensions; ++index) {
        dot += static_cast<double>(vector[index]) * static_cast<double>(other[index]);
      }
      if (dot / (norms[position] * norms[leader]) >= static_cast<double>(threshold)) {
        leaders[position] = leader;
        break;
      }
    }
    if (leaders[position] == position) leader_positions.push_back(position);
  }
  // A zero vector leads its own group but is never compared with: it is left out of leader_positions.
  return leaders;
}

}  // namespace mosaic::search
