#include "http/site_events.hpp"

#include <nlohmann/json.hpp>

namespace mosaic::server {

std::string generation_event(const loaded_site& site) {
  const nlohmann::json data{{"generation", site.manifest().generation},
                            {"manifest", site.manifest_hash},
                            {"items", site.manifest().item_count()},
                            {"shards", site.manifest().shards.size()}};
  // "retry" tells EventSource how soon to reconnect after the stream ends (a server restart).
  return "retry: 2000\nevent: generation\ndata: " + data.dump() + "\n\n";
}

}  // namespace mosaic::server
