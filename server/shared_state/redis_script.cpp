#include "shared_state/redis_script.hpp"

#include <vector>

namespace mosaic::server {

result<redis_reply> redis_script::run(redis_connection& connection, std::span<const std::string_view> keys,
                                      std::span<const std::string_view> arguments) {
  if (hash_.empty()) {
    const std::string_view load[] = {"SCRIPT", "LOAD", source_};
    auto loaded = connection.command(load);
    if (loaded && loaded->type == redis_reply::kind::text) hash_ = loaded->text;
  }
  const std::string key_count = std::to_string(keys.size());
  const auto call = [&](std::string_view verb, std::string_view script) {
    std::vector<std::string_view> command{verb, script, key_count};
    command.insert(command.end(), keys.begin(), keys.end());
    command.insert(command.end(), arguments.begin(), arguments.end());
    return connection.command(command);
  };
  if (!hash_.empty()) {
    auto answer = call("EVALSHA", hash_);
    const bool unknown_script = !answer && answer.failure().code == error_code::upstream_rejected &&
                                answer.failure().message.starts_with("NOSCRIPT");
    if (!unknown_script) return answer;
  }
  return call("EVAL", source_);
}

}  // namespace mosaic::server
