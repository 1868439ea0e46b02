#pragma once
// A fast path for reading Gemini's batchEmbedContents answer: {"embeddings":[{"values":[...]},...]}.
// A batch of 100 vectors of 768 numbers is 76,800 numbers, and a general JSON parser spends most of a
// cache miss's own time on them (strtod, a node per number). This scanner reads exactly that shape
// (any JSON whitespace between tokens) with std::from_chars straight into floats.
//
// It accepts only a strict subset of what the general parser accepts, and on that subset it gives the
// same floats (every number is checked against JSON's number grammar, read as a double, correctly
// rounded like strtod, then narrowed to float; "-0" reads as +0 like an integer does). Anything else,
// an unexpected key, another shape, a count or size other than expected, a number that is not a
// finite float, is not an error here: it answers nullopt and the caller falls back to the general
// parser, which gives the precise error message.
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace mosaic::server {

std::optional<std::vector<std::vector<float>>> scan_embedding_values(std::string_view body, std::size_t expected,
                                                                     std::size_t dimensions);

}  // namespace mosaic::server
