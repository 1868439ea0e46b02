#pragma once
// The local provider: the offline text model (shared/model/) behind the provider interface, on a
// pool of worker threads so embedding never runs on the server's io threads. Text only: an input
// with any inline part is refused with unsupported_media (callers that index media embed their
// captions instead). Several text parts of one input are fused into one vector, the normalized mean
// of their embeddings, as Gemini fuses an interleaved input.
#include <cstddef>
#include <string>

#include "embed/embedding_provider.hpp"
#include "embed/worker_pool.hpp"
#include "model/use_lite_model.hpp"

namespace mosaic::server {

struct local_provider_options {
  unsigned threads = 0;                 // 0: one per core
  std::size_t max_queued_batches = 4096;  // beyond it embed() answers upstream_unavailable (busy), at once
  std::size_t max_text_bytes = 32 * 1024;  // per text part
};

class local_provider final : public embedding_provider {
 public:
  // `model` must outlive the provider.
  local_provider(const model::use_lite_model& model, local_provider_options options);
  ~local_provider() override = default;  // finishes queued batches, then joins the workers
  local_provider(const local_provider&) = delete;
  local_provider& operator=(const local_provider&) = delete;

  [[nodiscard]] const std::string& model_id() const noexcept override { return model_id_; }
  [[nodiscard]] std::size_t dimensions() const noexcept override { return model_.dimensions(); }
  [[nodiscard]] bool accepts_mime_type(std::string_view mime_type) const noexcept override { return mime_type.empty(); }
  void embed(embedding_batch batch, embedding_callback done) override;

  // The work itself, on the calling thread (what each worker runs; also used by the CLI's indexer).
  [[nodiscard]] result<embedding_vectors> embed_now(const embedding_batch& batch) const;

 private:
  const model::use_lite_model& model_;
  local_provider_options options_;
  std::string model_id_;
  worker_pool workers_;  // last: destroyed (joined) first, while the members its jobs use still exist
};

}  // namespace mosaic::server
