#include "http/run_on_workers.hpp"

#include "http/request_handler.hpp"

namespace mosaic::server {

void run_on_workers(const server_context& context, std::function<void()> job, const std::function<void()>& busy) {
  if (context.workers == nullptr) return job();
  if (!context.workers->post(std::move(job))) busy();
}

}  // namespace mosaic::server
