// Score fusion: worked examples of the convex combination and of reciprocal rank fusion.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "keywords/score_fusion.hpp"

using namespace mosaic::keywords;
using list = std::vector<scored_reference>;

namespace {

std::vector<item_reference> references_of(const list& fused) {
  std::vector<item_reference> out;
  for (const scored_reference& entry : fused) out.push_back(entry.reference);
  return out;
}

}  // namespace

TEST_CASE("keywords fusion: convex combination of min-max normalized lists", "[keywords][fusion]") {
  // Vector: 1 → 0.9, 2 → 0.5, 3 → 0.1, normalized over 0.1 ... 0.9 to 1, 0.5, 0.
  // Keyword (in no particular order): 4 → 4, 2 → 10, normalized over 4 ... 10 to 0 and 1.
  // w = 0.35: 1 = 0.35 · 1 = 0.35; 2 = 0.35 · 0.5 + 0.65 · 1 = 0.825; 3 = 0; 4 = 0.65 · 0 = 0.
  const list vector_hits = {{1, 0.9f}, {2, 0.5f}, {3, 0.1f}};
  const list keyword_hits = {{4, 4.0f}, {2, 10.0f}};
  fusion_options weighted;
  weighted.vector_weight = 0.35f;
  const list fused = fuse_scores(vector_hits, keyword_hits, weighted);
  REQUIRE(references_of(fused) == std::vector<item_reference>{2, 1, 3, 4});  // 3 and 4 tie at 0: by reference
  CHECK(fused[0].score == Approx(0.825));
  CHECK(fused[1].score == Approx(0.35));
  CHECK(fused[2].score == Approx(0.0).margin(1e-7));
  CHECK(fused[3].score == Approx(0.0).margin(1e-7));

  fusion_options keyword_heavy;
  keyword_heavy.vector_weight = 0.0f;
  CHECK(references_of(fuse_scores(vector_hits, keyword_hits, keyword_heavy)).front() == 2);
  fusion_options vector_only;
  vector_only.vector_weight = 1.0f;
  CHECK(references_of(fuse_scores(vector_hits, keyword_hits, vector_only)) == std::vector<item_reference>{1, 2, 3, 4});
}

TEST_CASE("keywords fusion: a single-element or all-equal list normalizes to 1; a list may be empty", "[keywords][fusion]") {
  // Keyword list of one: 7 → 1. Vector list all equal: 5, 6 → 1. With the default w = 0.2:
  // 5 = 6 = 0.2, 7 = 0.8.
  CHECK(fusion_options{}.vector_weight == 0.2f);
  const list fused = fuse_scores(list{{5, 0.3f}, {6, 0.3f}}, list{{7, 12.0f}}, {});
  REQUIRE(references_of(fused) == std::vector<item_reference>{7, 5, 6});
  CHECK(fused[0].score == Approx(0.8));
  CHECK(fused[1].score == Approx(0.2));
  CHECK(fused[2].score == Approx(0.2));
  const list only_keywords = fuse_scores({}, list{{9, 2.0f}, {8, 1.0f}}, {});
  REQUIRE(references_of(only_keywords) == std::vector<item_reference>{9, 8});
  CHECK(only_keywords[0].score == Approx(0.8));  // (1 − 0.2) · 1
  CHECK(only_keywords[1].score == Approx(0.0).margin(1e-7));
  CHECK(fuse_scores({}, {}, {}).empty());
  // A reference listed twice counts once, with its best score.
  const list duplicated = fuse_scores(list{{1, 0.2f}, {1, 0.8f}, {2, 0.5f}}, {}, {});
  REQUIRE(references_of(duplicated) == std::vector<item_reference>{1, 2});
  CHECK(duplicated[0].score == Approx(0.2));  // 0.2 · 1
}

TEST_CASE("keywords fusion: reciprocal rank fusion", "[keywords][fusion]") {
  // Ranks from 1. Vector: 1, 2, 3. Keyword: 2, 4 (by score).
  // 1 = 1/61 = 0.0163934; 2 = 1/62 + 1/61 = 0.0325223; 3 = 1/63 = 0.0158730; 4 = 1/62 = 0.0161290.
  fusion_options options;
  options.method = fusion_method::reciprocal_rank;
  const list fused = fuse_scores(list{{3, 0.1f}, {1, 0.9f}, {2, 0.5f}}, list{{4, 4.0f}, {2, 10.0f}}, options);
  REQUIRE(references_of(fused) == std::vector<item_reference>{2, 1, 4, 3});
  CHECK(fused[0].score == Approx(1.0 / 62 + 1.0 / 61));
  CHECK(fused[1].score == Approx(1.0 / 61));
  CHECK(fused[2].score == Approx(1.0 / 62));
  CHECK(fused[3].score == Approx(1.0 / 63));
  // Ties in a list are ranked by reference; rank_constant changes the spread.
  options.rank_constant = 0.0f;
  const list tied = fuse_scores(list{{20, 1.0f}, {10, 1.0f}}, {}, options);
  REQUIRE(references_of(tied) == std::vector<item_reference>{10, 20});
  CHECK(tied[0].score == Approx(1.0));
  CHECK(tied[1].score == Approx(0.5));
}

TEST_CASE("keywords fusion: NaN scores count as the lowest", "[keywords][fusion]") {
  const list fused = fuse_scores(list{{1, std::nanf("")}, {2, 0.5f}, {3, 0.1f}}, {}, {});
  REQUIRE(references_of(fused) == std::vector<item_reference>{2, 1, 3});
  for (const scored_reference& entry : fused) CHECK(std::isfinite(entry.score));
}

TEST_CASE("keywords fusion: a normalization window keeps the first scores when the lists grow", "[keywords][fusion]") {
  // Window 2: vector min and max over its best two (0.9, 0.5): 1 → 1, 2 → 0, 3 (0.1, below) → 0 (clamped).
  // Keyword over its best two (10, 4): 2 → 1, 4 → 0, 5 (1, below) → 0. w = 0.5: 1 = 0.5, 2 = 0.5, others 0.
  fusion_options windowed;
  windowed.vector_weight = 0.5f;
  windowed.normalization_window = 2;
  const list short_vector = {{1, 0.9f}, {2, 0.5f}}, short_keyword = {{2, 10.0f}, {4, 4.0f}};
  const list long_vector = {{1, 0.9f}, {2, 0.5f}, {3, 0.1f}}, long_keyword = {{2, 10.0f}, {4, 4.0f}, {5, 1.0f}};
  const list short_fused = fuse_scores(short_vector, short_keyword, windowed);
  const list long_fused = fuse_scores(long_vector, long_keyword, windowed);
  REQUIRE(references_of(short_fused) == std::vector<item_reference>{1, 2, 4});
  REQUIRE(references_of(long_fused) == std::vector<item_reference>{1, 2, 3, 4, 5});
  for (std::size_t position = 0; position < 2; ++position) CHECK(long_fused[position].score == short_fused[position].score);
  CHECK(long_fused[2].score == Approx(0.0).margin(1e-7));
  // Without a window the longer lists stretch: 2's vector share becomes 0.5, and 1 and 2 no longer tie.
  windowed.normalization_window = 0;
  const list stretched = fuse_scores(long_vector, long_keyword, windowed);
  CHECK(stretched[0].reference == 2);
  CHECK(stretched[0].score == Approx(0.75));
}
