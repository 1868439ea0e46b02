#include <catch2/catch.hpp>

#include "shared_state/redis_address.hpp"

using namespace mosaic;
using namespace mosaic::server;

TEST_CASE("redis URLs: host, port, database and credentials", "[shared_state]") {
  auto plain = parse_redis_url("redis://127.0.0.1:6380/2");
  REQUIRE(plain);
  CHECK(plain->host == "127.0.0.1");
  CHECK(plain->port == 6380);
  CHECK(plain->database == 2);
  CHECK(plain->password.empty());

  auto defaults = parse_redis_url("redis://cache.internal");
  REQUIRE(defaults);
  CHECK(defaults->port == 6379);
  CHECK(defaults->database == 0);

  auto password = parse_redis_url("redis://:p%40ss:word@localhost:7000/1");
  REQUIRE(password);
  CHECK(password->user.empty());
  CHECK(password->password == "p@ss:word");
  CHECK(password->host == "localhost");

  auto user = parse_redis_url("redis://mosaic:secret@localhost");
  REQUIRE(user);
  CHECK(user->user == "mosaic");
  CHECK(user->password == "secret");

  auto lone = parse_redis_url("redis://secret@localhost");
  REQUIRE(lone);
  CHECK(lone->user.empty());
  CHECK(lone->password == "secret");
}

TEST_CASE("a redis URL's description never holds its password", "[shared_state]") {
  auto address = parse_redis_url("redis://admin:hunter2-secret@10.0.0.5:6379/4");
  REQUIRE(address);
  CHECK(address->description() == "redis://10.0.0.5:6379/4");
  CHECK(address->description().find("hunter2") == std::string::npos);
  CHECK(address->description().find("admin") == std::string::npos);
}

TEST_CASE("bad redis URLs are refused with the part at fault, never quoting the password", "[shared_state]") {
  for (const char* url : {"http://localhost", "redis://", "redis://host:0", "redis://host:70000", "redis://host:port",
                          "redis://host/db", "redis://:bad%zzescape@host", "redis://:cut%4@host"}) {
    INFO(url);
    auto parsed = parse_redis_url(url);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.failure().code == error_code::invalid_argument);
    CHECK(parsed.failure().message.find("escape@") == std::string::npos);
  }
}
