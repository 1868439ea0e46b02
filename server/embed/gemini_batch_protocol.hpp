#pragma once
// Gemini's batch-job wire format (asyncBatchEmbedContent, ../shared/docs/gemini-api.md "Batch jobs"),
// both ways, as pure functions: the body that creates a job from prepared inputs, and the reading of
// the long-running operation a create or a poll answers. The nesting follows @google/genai 2.x (its
// createEmbeddings and batchJobFromMldev mappers), which the doc names as the reference:
//   create: {"batch":{"displayName":"…","inputConfig":{"requests":{"requests":[
//              {"request":EmbedContentRequest,"metadata":{"key":"<cache key, hex>"}}, …]}}}}
//   answer: {"name":"batches/ID","metadata":{"state":"BATCH_STATE_…",…,"output":…},"done":true,
//            "response":{…,"output":…},"error":{"code","message"}}
// Where the doc and the SDK differ the reader takes both: the output under `response` or under
// `metadata`, `inlinedResponses` as a list or wrapped in an object of that name (also the SDK's
// `inlinedEmbedContentResponses`), the state under `metadata` or `response`, `tokenCount` as a
// number or a string. Results are matched to requests by their metadata key when every result
// carries one, else by position (the doc: "in request order"). Answers are hostile: every field is
// checked, and a succeeded job whose results do not match its requests is an error, never half-filed.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "embed/embedding_request.hpp"
#include "embed/gemini_request_size.hpp"

namespace mosaic::server {

// What one item adds to a create body besides its EmbedContentRequest: {"request":…,"metadata":
// {"key":"<64 hex>"}} and the comma after it. The body's own envelope is gemini_batch_job_envelope_bytes
// plus the display name.
inline constexpr std::size_t gemini_batch_job_item_overhead_bytes = 96;
inline constexpr std::size_t gemini_batch_job_envelope_bytes = 128;

// The create body for `inputs` (keys[i] is inputs[i]'s metadata key), each request built exactly as
// the per-call path builds it (build_gemini_batch_body) so both paths ask Gemini the same question.
std::string build_gemini_batch_job_body(std::string_view display_name, const gemini_request_settings& settings,
                                        const std::vector<const embedding_input*>& inputs,
                                        const std::vector<std::string>& keys);

enum class gemini_batch_state { pending, running, succeeded, failed, cancelled, expired };

// "BATCH_STATE_RUNNING" -> running (also the SDK's JOB_STATE_ spelling); nullopt for anything else.
std::optional<gemini_batch_state> parse_gemini_batch_state(std::string_view name) noexcept;
// "pending", "running", "succeeded", "failed", "cancelled", "expired".
std::string_view gemini_batch_state_name(gemini_batch_state state) noexcept;
[[nodiscard]] inline bool is_finished(gemini_batch_state state) noexcept {
  return state != gemini_batch_state::pending && state != gemini_batch_state::running;
}

// One request's outcome in a succeeded job: the vector (as sent, `dimensions` values) or Google's
// per-request error message.
struct gemini_batch_result {
  std::optional<std::vector<float>> values;
  std::string error;
  std::optional<std::uint64_t> token_count;  // the answer's tokenCount, when it gave one
};

struct gemini_batch_operation {
  std::string name;  // "batches/ID"
  gemini_batch_state state = gemini_batch_state::pending;
  std::string error_message;                // the operation's error (failed, expired, cancelled), if any
  std::vector<gemini_batch_result> results;  // succeeded: one per expected key, in key order
};

// Reads a create or poll answer. `expected_keys` are the job's keys in request order and
// `dimensions` the outputDimensionality asked; both are only checked once the job has succeeded.
// invalid_json for an answer that is not an operation, or whose results cannot be matched.
result<gemini_batch_operation> parse_gemini_batch_operation(std::string_view body,
                                                            const std::vector<std::string>& expected_keys,
                                                            std::size_t dimensions);

}  // namespace mosaic::server
