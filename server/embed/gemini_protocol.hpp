#pragma once
// Gemini's embedding wire format (../shared/docs/gemini-api.md), both ways: the provider builds
// batchEmbedContents bodies and reads their answers; the server's /v1beta pass-through reads the
// bodies Google's SDKs send and answers in Google's shapes. Bodies are hostile: every field is
// checked, both camelCase and snake_case are read, and errors name the field.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/result.hpp"
#include "embed/embedding_request.hpp"

namespace mosaic::server {

// One EmbedContentRequest as read from a body: the input, its task and output size (0: default).
struct gemini_embed_request {
  embedding_input input;
  embedding_task task = embedding_task::unspecified;
  std::size_t dimensions = 0;
};

// {"content":{"parts":[...]}, "taskType", "title", "outputDimensionality"} (or snake_case). `model`
// is the URL's model: a request's own "model" field, when present, must name the same one
// ("models/X" or "X"). inlineData is base64-decoded here; fileData is refused (invalid_argument: the
// proxy cannot fetch Google's file store for the caller).
result<gemini_embed_request> parse_gemini_embed_request(const nlohmann::json& body, std::string_view model);
// {"requests":[...]} with at most 100 requests (Google's message otherwise).
result<std::vector<gemini_embed_request>> parse_gemini_batch_request(const nlohmann::json& body, std::string_view model);

// The batchEmbedContents body the provider sends for these inputs (camelCase, base64 inline data).
// `text_prefix` (may be empty) goes before the first text part, or becomes a text part of its own;
// `send_task_type` says whether taskType is sent (not for gemini-embedding-2, see gemini-api.md).
std::string build_gemini_batch_body(std::string_view model, const std::vector<const embedding_input*>& inputs,
                                    embedding_task task, std::size_t dimensions, std::string_view text_prefix,
                                    bool send_task_type);

// {"embeddings":[{"values":[...]}, ...]} with exactly `expected` vectors of `dimensions` finite values.
result<std::vector<std::vector<float>>> parse_gemini_batch_response(std::string_view body, std::size_t expected,
                                                                    std::size_t dimensions);

// Google's error body {"error":{"code","message","status"}} read from an upstream answer: the
// message when there is one, else a generic text for the status. Never echoes anything else.
std::string gemini_error_message(unsigned http_status, std::string_view body);
// The body's "status" ("INVALID_ARGUMENT", ...) when it has a well-formed one, else the canonical
// status for the HTTP code: errors say "HTTP 400 INVALID_ARGUMENT" whatever the body held.
std::string gemini_error_status(unsigned http_status, std::string_view body);

// Google's shapes for the pass-through's answers.
std::string gemini_embed_response(const std::vector<float>& vector);                        // embedContent
std::string gemini_batch_response(const std::vector<std::vector<float>>& vectors);          // batchEmbedContents
std::string gemini_error_body(unsigned http_status, std::string_view message);              // with "status"

}  // namespace mosaic::server
