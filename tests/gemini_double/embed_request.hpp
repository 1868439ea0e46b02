#pragma once
// The parsed form of Google's EmbedContentRequest: what request_parsing produces from a JSON body and
// what double_embedder turns into one vector. Limits are the ones ../shared/docs/gemini-api.md gives
// for gemini-embedding-2.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mosaic::gemini_double {

inline constexpr std::size_t minimum_output_dimensionality = 128;
inline constexpr std::size_t maximum_output_dimensionality = 3072;
inline constexpr std::size_t default_output_dimensionality = 3072;
inline constexpr std::size_t maximum_images_per_content = 6;
inline constexpr std::size_t maximum_requests_per_batch = 100;
inline constexpr std::size_t maximum_input_tokens = 8192;

enum class part_kind { text, inline_data, file_data };

struct content_part {
  part_kind kind = part_kind::text;
  std::string text;                // part_kind::text
  std::string mime_type;           // inline_data and file_data: lower case, parameters removed
  std::vector<std::uint8_t> data;  // inline_data, already decoded from base64 (never empty)
  std::string file_uri;            // file_data
};

// One Content: all its parts are fused into one vector ("interleaved input").
struct embed_content_request {
  std::vector<content_part> parts;
  std::size_t output_dimensionality = default_output_dimensionality;
  // Validated like Google does, but they do not change the vector: queries and documents must land in
  // the same space for "a text query finds the right image" tests to be meaningful.
  std::string task_type;
  std::string title;
};

}  // namespace mosaic::gemini_double
