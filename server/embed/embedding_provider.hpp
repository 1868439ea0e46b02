#pragma once
// Providers behind one interface (ARCHITECTURE rule 7): `local` (the offline model in shared/model/,
// on a worker pool), `gemini` (HTTPS to Google: coalescing, retries) and decorators such as the
// embedding cache. The interface is asynchronous because the proxy must keep thousands of requests
// waiting on upstream calls without a thread each; embed_and_wait is the blocking form for the CLI.
#include <string>

#include "embed/embedding_request.hpp"

namespace mosaic::server {

class embedding_provider {
 public:
  virtual ~embedding_provider() = default;

  // The id written into index manifests and answered by /api/embed ("gemini-embedding-2", ...).
  [[nodiscard]] virtual const std::string& model_id() const noexcept = 0;
  // The full output size; a batch may ask for any size from 1 (or the model's minimum) up to it.
  [[nodiscard]] virtual std::size_t dimensions() const noexcept = 0;
  // Whether parts of this MIME type can be embedded ("" is text, which every provider takes).
  [[nodiscard]] virtual bool accepts_mime_type(std::string_view mime_type) const noexcept = 0;

  // Embeds every input of `batch`. `done` is called exactly once, possibly on another thread and
  // possibly before embed returns, with one L2-normalized vector per input or with the error that
  // stopped the batch. Inputs come checked by prepare_input (embed/input_preparation.hpp), the one
  // check of what is embedded; a provider refuses only what is its own (the gemini provider: a size
  // beyond its model's, an input over one call's byte budget) before any upstream call.
  virtual void embed(embedding_batch batch, embedding_callback done) = 0;
};

// Blocks the calling thread until the provider answers (for the CLI and tests; never on an io thread).
result<embedding_vectors> embed_and_wait(embedding_provider& provider, embedding_batch batch);

}  // namespace mosaic::server
