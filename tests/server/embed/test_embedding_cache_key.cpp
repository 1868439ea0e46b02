// The embedding cache key: every field that changes a vector changes the key, and no two different
// inputs collide by concatenating their fields differently.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "embed/embedding_cache.hpp"

using mosaic::server::embedding_cache_key;
using mosaic::server::embedding_input;
using mosaic::server::embedding_part;
using mosaic::server::embedding_task;
using mosaic::server::make_embedding_cache_key;

namespace {

embedding_part text_part(std::string text) { return embedding_part{std::move(text), {}, {}}; }
embedding_part bytes_part(std::string mime_type, std::string bytes) { return embedding_part{{}, std::move(mime_type), std::move(bytes)}; }

embedding_input reference_input() {
  embedding_input input;
  input.parts = {text_part("a cat on a mat"), bytes_part("image/png", std::string("\x89PNG\0\x01", 6))};
  input.title = "pets";
  return input;
}

embedding_cache_key key_of(const embedding_input& input, std::string_view model = "gemini-embedding-2",
                           std::size_t dimensions = 768, embedding_task task = embedding_task::retrieval_document) {
  return make_embedding_cache_key(model, dimensions, task, input);
}

}  // namespace

TEST_CASE("the cache key is deterministic and changes with every field", "[embedding_cache][key]") {
  const embedding_input reference = reference_input();
  const embedding_cache_key base = key_of(reference);
  REQUIRE(key_of(reference_input()) == base);

  std::vector<embedding_cache_key> variants;
  variants.push_back(key_of(reference, "gemini-embedding-3"));
  variants.push_back(key_of(reference, "gemini-embedding-2", 767));
  variants.push_back(key_of(reference, "gemini-embedding-2", 768, embedding_task::retrieval_query));
  {
    auto input = reference_input();
    input.title = "pet";
    variants.push_back(key_of(input));
  }
  {
    auto input = reference_input();
    input.title.clear();
    variants.push_back(key_of(input));
  }
  {
    auto input = reference_input();
    input.parts[0].text = "a cat on a hat";
    variants.push_back(key_of(input));
  }
  {
    auto input = reference_input();
    input.parts[1].mime_type = "image/jpeg";
    variants.push_back(key_of(input));
  }
  {
    auto input = reference_input();
    input.parts[1].bytes.back() = '\x02';
    variants.push_back(key_of(input));
  }
  {
    auto input = reference_input();
    std::swap(input.parts[0], input.parts[1]);  // part order is part of the input
    variants.push_back(key_of(input));
  }
  {
    auto input = reference_input();
    input.parts.push_back(text_part(""));  // one more (empty) part
    variants.push_back(key_of(input));
  }
  std::set<embedding_cache_key> distinct(variants.begin(), variants.end());
  distinct.insert(base);
  REQUIRE(distinct.size() == variants.size() + 1);
}

TEST_CASE("the cache key has no concatenation collisions", "[embedding_cache][key]") {
  std::set<embedding_cache_key> keys;
  std::size_t made = 0;
  auto add = [&](const embedding_cache_key& key) {
    keys.insert(key);
    ++made;
  };
  // Text split differently across parts.
  add(key_of(embedding_input{{text_part("ab"), text_part("c")}, {}}));
  add(key_of(embedding_input{{text_part("a"), text_part("bc")}, {}}));
  add(key_of(embedding_input{{text_part("abc")}, {}}));
  // Text moved between the last part and the title.
  add(key_of(embedding_input{{text_part("abc")}, "d"}));
  add(key_of(embedding_input{{text_part("abcd")}, {}}));
  // Bytes moved between the MIME type and the payload.
  add(key_of(embedding_input{{bytes_part("image/pn", "gX")}, {}}));
  add(key_of(embedding_input{{bytes_part("image/png", "X")}, {}}));
  // Same characters as text and as bytes of a type: the kind is in the key.
  add(key_of(embedding_input{{text_part("hello")}, {}}));
  add(key_of(embedding_input{{bytes_part("text/plain", "hello")}, {}}));
  // Characters moved between the model and the first part.
  add(key_of(embedding_input{{text_part("xy")}, {}}, "model"));
  add(key_of(embedding_input{{text_part("y")}, {}}, "modelx"));
  REQUIRE(keys.size() == made);
}
