#pragma once
// The API routes that embed or search (asynchronous, called by handle_request after routing): each
// takes the request by shared pointer, since it outlives the call while a provider works.
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "http/request_handler.hpp"

namespace mosaic::server {

using shared_request = std::shared_ptr<const string_request>;

// POST /api/embed.
void handle_api_embed(const server_context& context, shared_request request, const std::string& client_address,
                      response_callback done);

// POST /v1beta/models/{model}:{method} (embedContent or batchEmbedContents) in Google's shapes.
void handle_gemini_pass_through(const server_context& context, shared_request request, std::string model,
                                std::string method, const std::string& client_address, response_callback done);

// POST /api/search.
void handle_api_search(const server_context& context, shared_request request, response_callback done);

// Runs `job` on the context's workers (inline without them). When the queue is full, `busy` is
// called instead, on the calling thread.
void run_on_workers(const server_context& context, std::function<void()> job, const std::function<void()>& busy);

}  // namespace mosaic::server
