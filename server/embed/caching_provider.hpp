#pragma once
// A provider decorator: answers from the embedding cache what it can, sends only the misses to the
// wrapped provider (as one smaller batch), stores what comes back, and joins identical inputs that
// are already on their way (a thousand browsers asking the same query make one upstream request).
//
// Keys are make_embedding_cache_key(model id + salt, dimensions, task, input), with dimensions 0
// resolved to the inner provider's full size first, so "0" and the explicit full size share entries.
// Every waiter of a flight gets the inner provider's vector or its error; errors are not cached, so
// the next caller asks again. A batch fails as a whole at the first error among its inputs. Callbacks
// never run under this object's lock (they may call embed again). The destructor waits until every
// inner call has answered, so it must not run inside one of this provider's callbacks.
#include <memory>

#include "embed/embedding_cache.hpp"
#include "embed/embedding_provider.hpp"

namespace mosaic::server {

class caching_provider final : public embedding_provider {
 public:
  // `salt` is mixed into every key with the model id: whatever else changes vectors for the same
  // input (the gemini task prefixes, say). Both must outlive this object.
  caching_provider(embedding_provider& inner, embedding_cache& cache, std::string salt = {});
  ~caching_provider() override;

  [[nodiscard]] const std::string& model_id() const noexcept override;
  [[nodiscard]] std::size_t dimensions() const noexcept override;
  [[nodiscard]] bool accepts_mime_type(std::string_view mime_type) const noexcept override;
  void embed(embedding_batch batch, embedding_callback done) override;

 private:
  class implementation;
  std::unique_ptr<implementation> implementation_;
};

}  // namespace mosaic::server
