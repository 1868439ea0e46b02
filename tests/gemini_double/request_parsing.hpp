#pragma once
// Reads the bodies of embedContent and batchEmbedContents the way Google's proto3 JSON front end does:
// each field under its lowerCamelCase or its snake_case name (not both), unknown names rejected,
// null meaning "not set", and every failure a 400 INVALID_ARGUMENT whose message names the field
// with Google's path syntax ('requests[3].content.parts[0].inline_data.data').
//
// Validation happens here, before any vector is computed: MIME types, images per Content, base64,
// image signatures, outputDimensionality, taskType, batch size and each item's model.
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "embed_request.hpp"

namespace mosaic::gemini_double {

// `model_resource` is the URL's model as a resource name: "models/gemini-embedding-2".
result<embed_content_request> parse_embed_content_body(std::string_view body, std::string_view model_resource);
result<std::vector<embed_content_request>> parse_batch_embed_contents_body(std::string_view body,
                                                                          std::string_view model_resource);

// asyncBatchEmbedContent's body (../shared/docs/gemini-api.md, "Batch jobs"; the nesting is @google/genai's):
//   {"batch":{"displayName":"...","inputConfig":{"requests":{"requests":[{"request":EmbedContentRequest,
//                                                                        "metadata":{...}}, ...]}}}}
// Each item's request is read like an embedContent body (its model, when given, must be the URL's);
// metadata is any JSON object, handed back with the item's result. An uploaded file as input
// ("fileName") is refused: the double has no Files API.
struct async_batch_item {
  embed_content_request request;
  std::string metadata_json;  // the item's metadata as sent (compact JSON), empty when absent
};
struct async_batch_body {
  std::string display_name;
  std::vector<async_batch_item> items;
};
result<async_batch_body> parse_async_batch_embed_body(std::string_view body, std::string_view model_resource);

// The MIME types gemini-embedding-2 takes (../shared/docs/gemini-api.md), lower case.
bool is_supported_mime_type(std::string_view mime_type) noexcept;

}  // namespace mosaic::gemini_double
