#pragma once
// How many bytes an input adds to a batchEmbedContents body, counted without building it, and the
// cap a body must stay under. gemini-api.md ("Limits"): a request holds about 20 MB inline, in all.
// Google refuses a larger body whole, and a batch is one body: the coalescer packs calls by these
// sizes so one large upload cannot spoil a call shared with other callers' inputs, and
// prepare_input refuses an input that could not fit a call even alone.
//
// The count is exact for the body build_gemini_batch_body writes (base64 media, JSON-escaped text,
// MIME types, titles, the task prefix, model, taskType, outputDimensionality, commas and braces): a
// test builds real bodies for random inputs and compares.
#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "embed/base64.hpp"
#include "embed/embedding_request.hpp"

namespace mosaic::server {

// The cap on one request body: 20 MB, as gemini-api.md says to treat it.
inline constexpr std::size_t gemini_max_request_bytes = 20u * 1024 * 1024;

// What a batch body holds besides its requests: {"requests":[ and ]}.
inline constexpr std::size_t gemini_batch_envelope_bytes = 15;

// What the provider adds around an input that prepare_input cannot know (it runs before a provider
// is chosen): the model's name (at most 100 characters), the task prefix, taskType,
// outputDimensionality, the envelope and a separator. The provider checks again with its own settings.
inline constexpr std::size_t gemini_request_allowance_bytes = 4096;

// The settings build_gemini_batch_body is called with, apart from the inputs.
struct gemini_request_settings {
  std::string_view model;
  embedding_task task = embedding_task::unspecified;
  std::size_t dimensions = 0;    // 0: outputDimensionality is not sent
  std::string_view text_prefix;  // may be empty
  bool send_task_type = false;
};

// The exact size of this input's EmbedContentRequest object in the body, without the comma that
// separates it from the next one. A body of inputs i is envelope + sum(request bytes) + (count - 1).
std::size_t gemini_request_bytes(const embedding_input& input, const gemini_request_settings& settings);


// The refusal of an input that cannot fit one request, naming the sizes and the cap:
// "inputs[0]: 16.2 MB of media is 21.6 MB once base64-encoded; one Gemini request holds at most 20 MB".
// `request_bytes` is rounded up, so a size just over the cap never reads as equal to it.
error request_too_large_error(std::string_view where, std::size_t media_bytes, std::size_t request_bytes,
                              std::size_t max_request_bytes);

}  // namespace mosaic::server
