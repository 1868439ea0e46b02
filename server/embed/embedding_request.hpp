#pragma once
// What an embedding provider is asked for: a batch of inputs, each a list of parts (text, or raw bytes
// with a MIME type) that becomes ONE vector (Gemini's interleaved input), with the task the vectors
// are for and the output size. Shared by the server (/api/embed, the /v1beta pass-through), the
// embedding cache and the indexer, so every path asks providers the same question.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mosaic::server {

// Gemini's taskType values, in the API's spelling order. /api/embed's "query" and "document" are
// retrieval_query and retrieval_document.
enum class embedding_task : std::uint8_t {
  unspecified,
  retrieval_query,
  retrieval_document,
  semantic_similarity,
  classification,
  clustering,
  question_answering,
  fact_verification,
  code_retrieval_query,
};

// "RETRIEVAL_QUERY", ... as Gemini spells them.
std::string_view embedding_task_api_name(embedding_task task) noexcept;
// Accepts Gemini's spelling ("RETRIEVAL_QUERY", also "TASK_TYPE_UNSPECIFIED") and Mosaic's short
// names ("query", "document"); invalid_argument otherwise.
result<embedding_task> parse_embedding_task(std::string_view name);

struct embedding_part {
  std::string text;       // the text, when mime_type is empty
  std::string mime_type;  // "image/jpeg", "audio/wav", "application/pdf", ... for inline bytes
  std::string bytes;      // the raw (decoded, not base64) bytes of an inline part

  [[nodiscard]] bool is_text() const noexcept { return mime_type.empty(); }
};

struct embedding_input {
  std::vector<embedding_part> parts;  // never empty; all parts are fused into one vector
  std::string title;                  // optional; Gemini uses it for documents only
};

struct embedding_batch {
  std::vector<embedding_input> inputs;
  embedding_task task = embedding_task::retrieval_query;
  std::size_t dimensions = 0;  // 0: the provider's full output size
};

// One L2-normalized vector per input, in input order, each of the batch's dimensions.
using embedding_vectors = std::vector<std::vector<float>>;
using embedding_callback = std::function<void(result<embedding_vectors>)>;

}  // namespace mosaic::server
