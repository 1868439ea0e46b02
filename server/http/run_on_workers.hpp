#pragma once
// Moves an API route's CPU work (decoding media, the local model, a scan) off the io thread.
#include <functional>

namespace mosaic::server {

struct server_context;

// Runs `job` on the context's workers (inline without them). When the queue is full, `busy` is
// called instead, on the calling thread.
void run_on_workers(const server_context& context, std::function<void()> job, const std::function<void()>& busy);

}  // namespace mosaic::server
