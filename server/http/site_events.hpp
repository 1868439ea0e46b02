#pragma once
// The text of GET /api/events (Server-Sent Events, as browsers' EventSource reads them): which index
// generation the server answers from, so a page knows when to refresh.
#include <string>

#include "site/site_reader.hpp"

namespace mosaic::server {

// "event: generation" with data {"generation","manifest" (SHA-256 of manifest.json),"items","shards"}.
std::string generation_event(const loaded_site& site);

// A comment line: keeps proxies and load balancers from closing an idle stream; clients ignore it.
inline constexpr const char* heartbeat_event = ": heartbeat\n\n";

}  // namespace mosaic::server
