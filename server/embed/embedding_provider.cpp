#include "embed/embedding_provider.hpp"

#include <future>
#include <memory>

namespace mosaic::server {

result<embedding_vectors> embed_and_wait(embedding_provider& provider, embedding_batch batch) {
  // The promise is shared with the callback: the provider may call it on another thread after
  // embed() returned, or inside embed() itself.
  auto answer = std::make_shared<std::promise<result<embedding_vectors>>>();
  auto future = answer->get_future();
  provider.embed(std::move(batch), [answer](result<embedding_vectors> outcome) { answer->set_value(std::move(outcome)); });
  return future.get();
}

}  // namespace mosaic::server
