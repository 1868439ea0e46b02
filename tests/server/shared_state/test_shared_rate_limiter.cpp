// The per-client rate limit shared through Redis (mosaic serve --redis --rate-limit N), against a real
// redis-server started here: two limiters on two connections stand for two proxies. Slow refill rates
// keep the counts independent of how fast this machine runs the test (a token comes back only after
// seconds; the test takes milliseconds between its requests).
#include <catch2/catch.hpp>

#include <future>
#include <span>
#include <thread>

#include "hash/sha256.hpp"
#include "redis_server_process.hpp"
#include "shared_state/shared_rate_limiter.hpp"

using namespace mosaic;
using namespace mosaic::server;
using mosaic::server::testing::redis_server_process;

namespace {

redis_client_options options_for(unsigned short port) {
  redis_client_options options;
  options.address.host = "127.0.0.1";
  options.address.port = port;
  return options;
}

rate_limit_options limit(double per_second, double burst) {
  rate_limit_options options;
  options.per_second = per_second;
  options.burst = burst;
  return options;
}

rate_decision acquire(shared_rate_limiter& limiter, std::string_view client) {
  std::promise<rate_decision> decision;
  limiter.try_acquire(client, [&decision](rate_decision made) { decision.set_value(made); });
  return decision.get_future().get();
}

// One command on the client's thread, for looking at what the script left in Redis.
result<redis_reply> command(redis_client& client, std::vector<std::string> arguments) {
  std::promise<result<redis_reply>> answer;
  client.submit([&](redis_connection& connection) {
    std::vector<std::string_view> views(arguments.begin(), arguments.end());
    answer.set_value(connection.command(views));
  });
  return answer.get_future().get();
}

}  // namespace

TEST_CASE("two proxies share one bucket per client: the burst is spent once, across both", "[shared_state]") {
  if (!redis_server_process::available()) {
    WARN("redis-server is not installed (scripts/install-dependencies.sh installs it): skipped");
    return;
  }
  redis_server_process redis;
  redis_client connection_a(options_for(redis.port()));
  redis_client connection_b(options_for(redis.port()));
  // A token every 5 s, burst 5: alone, each proxy would let 5 through; together they let 5 through.
  rate_limiter local_a(limit(0.2, 5));
  rate_limiter local_b(limit(0.2, 5));
  shared_rate_limiter first(connection_a, limit(0.2, 5), local_a);
  shared_rate_limiter second(connection_b, limit(0.2, 5), local_b);

  int allowed = 0;
  std::vector<long long> retry_after;
  for (int request = 0; request < 10; ++request) {
    const rate_decision decision = acquire(request % 2 == 0 ? first : second, "203.0.113.7");
    if (decision.allowed) {
      ++allowed;
    } else {
      retry_after.push_back(decision.retry_after.count());
    }
  }
  CHECK(allowed == 5);
  REQUIRE(retry_after.size() == 5);
  for (long long wait : retry_after) {
    // A token is back 5 s after the first request, less the moments the test took since.
    CHECK(wait <= 5000);
    CHECK(wait > 3000);
  }
  CHECK(first.shared_decisions() + second.shared_decisions() == 10);
  CHECK(first.local_decisions() + second.local_decisions() == 0);
  // The local buckets were never asked: a proxy still has its whole burst there for when Redis is away.
  CHECK(local_a.tracked_clients() == 0);

  // Another client has a bucket of its own.
  CHECK(acquire(second, "198.51.100.1").allowed);

  // The key is the address's SHA-256 (the address is not kept in Redis in the clear) and expires when
  // the bucket would be full again: at most 5 tokens × 5 s from now.
  const std::string key = first.key_for("203.0.113.7");
  const std::string address = "203.0.113.7";
  CHECK(key == "mosaic:v1:client-rate:" +
                   hash::sha256_hex(std::span(reinterpret_cast<const std::uint8_t*>(address.data()), address.size())));
  CHECK(key.find("203.0.113.7") == std::string::npos);
  auto time_to_live = command(connection_a, {"PTTL", key});
  REQUIRE(time_to_live);
  REQUIRE(time_to_live->type == redis_reply::kind::integer);
  CHECK(time_to_live->integer > 20'000);
  CHECK(time_to_live->integer <= 25'000);
}

TEST_CASE("the shared bucket refills at the rate, and a flushed script is loaded again (EVAL after NOSCRIPT)", "[shared_state]") {
  if (!redis_server_process::available()) {
    WARN("redis-server is not installed (scripts/install-dependencies.sh installs it): skipped");
    return;
  }
  redis_server_process redis;
  redis_client connection(options_for(redis.port()));
  rate_limiter local(limit(20, 2));
  shared_rate_limiter limiter(connection, limit(20, 2), local);
  CHECK(acquire(limiter, "client").allowed);
  CHECK(acquire(limiter, "client").allowed);
  const rate_decision refused = acquire(limiter, "client");
  REQUIRE_FALSE(refused.allowed);
  CHECK(refused.retry_after.count() >= 1);
  CHECK(refused.retry_after.count() <= 50);  // one token every 50 ms
  // Redis forgets every script (as a restarted Redis would): the next decision loads it again.
  REQUIRE(command(connection, {"SCRIPT", "FLUSH"}));
  std::this_thread::sleep_for(refused.retry_after);
  CHECK(acquire(limiter, "client").allowed);
  CHECK_FALSE(acquire(limiter, "client").allowed);
  CHECK(limiter.shared_decisions() == 5);
  CHECK(limiter.local_decisions() == 0);
}

TEST_CASE("Redis unreachable: the local bucket decides, and the client says Redis is unavailable", "[shared_state]") {
  redis_client connection(options_for(mosaic::server::testing::closed_port()));
  rate_limiter local(limit(0.2, 2));
  shared_rate_limiter limiter(connection, limit(0.2, 2), local);
  CHECK(acquire(limiter, "client").allowed);
  CHECK(acquire(limiter, "client").allowed);
  const rate_decision refused = acquire(limiter, "client");
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after.count() > 3000);
  CHECK(limiter.local_decisions() == 3);
  CHECK(limiter.shared_decisions() == 0);
  CHECK(local.tracked_clients() == 1);
  const auto statistics = connection.statistics();
  CHECK_FALSE(statistics.available);
  CHECK(statistics.failures >= 1);
}

TEST_CASE("a limit of 0 asks Redis nothing", "[shared_state]") {
  redis_client connection(options_for(mosaic::server::testing::closed_port()));
  rate_limiter local(limit(0, 1));
  shared_rate_limiter limiter(connection, limit(0, 1), local);
  for (int request = 0; request < 3; ++request) CHECK(acquire(limiter, "client").allowed);
  CHECK(limiter.shared_decisions() + limiter.local_decisions() == 0);
  CHECK(connection.statistics().commands == 0);
}
