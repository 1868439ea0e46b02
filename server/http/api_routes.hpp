#pragma once
// The API routes that embed or search (asynchronous, called by handle_request after routing): each
// takes the request by shared pointer, since it outlives the call while a provider works.
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "http/request_handler.hpp"
#include "http/run_on_workers.hpp"  // run_on_workers, which the embed and search routes share

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

}  // namespace mosaic::server
