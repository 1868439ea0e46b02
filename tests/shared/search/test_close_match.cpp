#include <catch2/catch.hpp>

#include "index/known_models.hpp"
#include "search/close_match.hpp"

using mosaic::search::close_match_similarity;

TEST_CASE("the local model has a measured close-match similarity, a model without one has none") {
  const auto local = close_match_similarity(mosaic::index::local_text_model.id);
  REQUIRE(local.has_value());
  CHECK(*local > 0.0f);
  CHECK(*local < 1.0f);
  CHECK_FALSE(close_match_similarity("gemini-embedding-2").has_value());
  CHECK_FALSE(close_match_similarity("").has_value());
}

TEST_CASE("every calibrated model is a model Mosaic knows") {
  for (const auto& calibration : mosaic::search::close_match_calibrations) {
    CHECK(mosaic::index::known_output_dimensions(calibration.model_id).has_value());
  }
}
