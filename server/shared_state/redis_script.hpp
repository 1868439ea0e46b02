#pragma once
// A Lua script run atomically in Redis: EVALSHA by its SHA-1 (Redis keeps loaded scripts; only the
// hash travels), falling back to EVAL, which loads it again, when Redis answers NOSCRIPT (a restarted
// or flushed Redis). The hash comes from SCRIPT LOAD the first time, so no SHA-1 code is needed here.
// Used on the redis_client's thread only.
#include <span>
#include <string>
#include <string_view>

#include "shared_state/redis_client.hpp"

namespace mosaic::server {

class redis_script {
 public:
  explicit redis_script(std::string source) : source_(std::move(source)) {}

  result<redis_reply> run(redis_connection& connection, std::span<const std::string_view> keys,
                          std::span<const std::string_view> arguments);

 private:
  std::string source_;
  std::string hash_;  // empty until SCRIPT LOAD answered
};

}  // namespace mosaic::server
