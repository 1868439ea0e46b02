#include "search/prepared_query.hpp"

#include <string>

#include "vector/normalize.hpp"
#include "vector/quantize.hpp"

namespace mosaic::search {

result<prepared_query> prepare_query(std::span<const float> vector, std::size_t dimensions) {
  if (dimensions == 0) return make_error(error_code::invalid_argument, "a query needs at least one dimension");
  if (vector.size() < dimensions) {
    return make_error(error_code::dimension_mismatch, "the query vector has " + std::to_string(vector.size()) +
                                                          " dimensions; this index needs at least " + std::to_string(dimensions));
  }
  auto unit = vector::truncate_and_normalize(vector, dimensions);
  if (!unit) return std::move(unit).failure();
  prepared_query prepared;
  prepared.unit = std::move(unit).value();
  prepared.codes.resize(dimensions);
  auto scale = vector::quantize_i8(prepared.unit, prepared.codes);
  if (!scale) return std::move(scale).failure();
  prepared.scale = scale.value();
  return prepared;
}

}  // namespace mosaic::search
