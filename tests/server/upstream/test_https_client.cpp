// The upstream client against a tiny HTTP(S) server run inside the test: certificates are really
// verified (a self-signed certificate made at test time is accepted only when it is the configured
// CA, and only for the names it carries), keep-alive connections are reused, a pooled connection the
// server closed is replaced without the caller noticing, calls wait their turn in order, and the
// provider scrubs its key from whatever the upstream says.
#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "embed/gemini_provider.hpp"
#include "server_test_support.hpp"
#include "upstream/https_client.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace mosaic::server;
using mosaic::error_code;
using std::chrono::milliseconds;

struct certificate_files {
  std::filesystem::path certificate;
  std::filesystem::path key;
};

// Certificates made once per test run with the openssl command; nullopt when it is not installed.
class test_certificates {
 public:
  static test_certificates& get() {
    static test_certificates instance;
    return instance;
  }
  [[nodiscard]] bool available() const noexcept { return available_; }
  // CN=localhost with subjectAltName DNS:localhost and IP:127.0.0.1.
  [[nodiscard]] certificate_files loopback() const { return {folder_.path() / "loopback.pem", folder_.path() / "loopback.key"}; }
  // Valid for other.example only.
  [[nodiscard]] certificate_files other_name() const { return {folder_.path() / "other.pem", folder_.path() / "other.key"}; }

 private:
  test_certificates() : folder_("tls") {
    if (std::system("command -v openssl >/dev/null 2>&1") != 0) return;
    available_ = make(loopback(), "localhost", "DNS:localhost,IP:127.0.0.1") &&
                 make(other_name(), "other.example", "DNS:other.example");
  }
  static bool make(const certificate_files& files, const std::string& name, const std::string& alternative_names) {
    const std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -keyout '" + files.key.string() + "' -out '" +
                                files.certificate.string() + "' -subj /CN=" + name +
                                " -addext subjectAltName=" + alternative_names + " -days 1 >/dev/null 2>&1";
    return std::system(command.c_str()) == 0;
  }
  mosaic::server::testing::temporary_folder folder_;
  bool available_ = false;
};

// One connection at a time, on its own thread: enough for a client test, small enough to read.
class tiny_server {
 public:
  struct settings {
    std::optional<certificate_files> tls;  // plain HTTP without
    unsigned status = 200;
    std::string body = R"({"ok":true})";
    bool close_after_each_answer = false;  // without saying so: the client's pooled socket goes stale
  };
  struct connection_behaviour {
    // Closes a kept-alive connection that brings no request for this long, as servers do (0: never).
    std::chrono::milliseconds idle_close_after{0};
    // The answer to this request (counted from 1 over the server's life) is cut in half and the
    // connection closed: the client has read part of an answer when the connection ends (0: never).
    int cut_answer_of_request = 0;
  };

  explicit tiny_server(settings configuration) : tiny_server(std::move(configuration), connection_behaviour{}) {}
  tiny_server(settings configuration, connection_behaviour behaviour)
      : settings_(std::move(configuration)),
        behaviour_(behaviour), acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        tls_context_(ssl::context::tls_server) {
    if (settings_.tls) {
      tls_context_.use_certificate_chain_file(settings_.tls->certificate.string());
      tls_context_.use_private_key_file(settings_.tls->key.string(), ssl::context::pem);
    }
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { run(); });
  }

  ~tiny_server() {
    stopping_ = true;
    if (const int open = current_socket_.load(); open >= 0) ::shutdown(open, SHUT_RDWR);
    beast::error_code ignored;
    tcp::socket wake(io_);
    wake.connect(acceptor_.local_endpoint(), ignored);  // unblocks accept
    thread_.join();
  }

  [[nodiscard]] std::string origin(const std::string& host = "127.0.0.1") const {
    return std::string(settings_.tls ? "https://" : "http://") + host + ":" + std::to_string(port_) + "/v1beta";
  }
  [[nodiscard]] int failed_handshakes() const { return failed_handshakes_.load(); }
  [[nodiscard]] int answered() const { return answered_.load(); }
  std::string last_header(http::field field) {
    const std::lock_guard lock(mutex_);
    return std::string(last_request_[field]);
  }
  std::string last_header_named(const std::string& name) {
    const std::lock_guard lock(mutex_);
    return std::string(last_request_[name]);
  }
  std::string last_target() {
    const std::lock_guard lock(mutex_);
    return std::string(last_request_.target());
  }

 private:
  void run() {
    while (!stopping_) {
      tcp::socket socket(io_);
      beast::error_code failure;
      acceptor_.accept(socket, failure);
      if (failure || stopping_) continue;
      current_socket_ = socket.native_handle();
      if (settings_.tls) {
        ssl::stream<tcp::socket&> stream(socket, tls_context_);
        stream.handshake(ssl::stream_base::server, failure);
        if (failure) {
          ++failed_handshakes_;
        } else {
          serve(stream);
        }
      } else {
        serve(socket);
      }
      current_socket_ = -1;
      socket.close(failure);
    }
  }

  // Waits for the next request on a kept-alive connection: false once it sat idle for
  // idle_close_after (nothing buffered, nothing arriving on the socket).
  bool next_request_arrives(int socket_handle, const beast::flat_buffer& buffer) const {
    if (behaviour_.idle_close_after.count() <= 0 || buffer.size() > 0) return true;
    pollfd watched{socket_handle, POLLIN, 0};
    return ::poll(&watched, 1, static_cast<int>(behaviour_.idle_close_after.count())) != 0;
  }

  template <typename Stream>
  void serve(Stream& stream) {
    beast::flat_buffer buffer;
    bool first = true;
    while (!stopping_) {
      if (!first && !next_request_arrives(current_socket_.load(), buffer)) return;
      first = false;
      http::request<http::string_body> request;
      beast::error_code failure;
      http::read(stream, buffer, request, failure);
      if (failure) return;
      {
        const std::lock_guard lock(mutex_);
        last_request_ = request;
      }
      http::response<http::string_body> response(static_cast<http::status>(settings_.status), 11);
      response.set(http::field::content_type, "application/json");
      response.body() = settings_.body;
      response.keep_alive(true);
      response.prepare_payload();
      // Counted before the write: the client may read the answer (and the test check the count)
      // before this thread runs again.
      const int number = ++answered_;
      if (number == behaviour_.cut_answer_of_request) {
        std::ostringstream whole;
        whole << response;
        const std::string text = whole.str();
        asio::write(stream, asio::buffer(text.data(), text.size() / 2), failure);
        return;
      }
      http::write(stream, response, failure);
      if (failure || settings_.close_after_each_answer) return;
    }
  }

  settings settings_;
  connection_behaviour behaviour_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  ssl::context tls_context_;
  unsigned short port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> current_socket_{-1};
  std::atomic<int> failed_handshakes_{0};
  std::atomic<int> answered_{0};
  std::mutex mutex_;
  http::request<http::string_body> last_request_;
  std::thread thread_;
};

mosaic::result<upstream_response> post_and_wait(https_client& client, std::string body = "{}") {
  std::promise<mosaic::result<upstream_response>> answer;
  client.post("/models/m:batchEmbedContents", std::move(body), {{"content-type", "application/json"}},
              [&answer](mosaic::result<upstream_response> outcome) { answer.set_value(std::move(outcome)); });
  return answer.get_future().get();
}

upstream_url origin_of(const std::string& url) {
  auto parsed = parse_upstream_url(url);
  REQUIRE(parsed.ok());
  return *parsed;
}

https_client_options quick_options() {
  https_client_options options;
  options.connect_timeout = std::chrono::milliseconds{5'000};
  options.read_timeout = std::chrono::milliseconds{5'000};
  options.call_timeout = std::chrono::milliseconds{10'000};
  return options;
}

#define REQUIRE_CERTIFICATES()                                                                 \
  if (!test_certificates::get().available()) {                                                 \
    WARN("the openssl command is missing: the TLS verification tests cannot make certificates"); \
    return;                                                                                    \
  }

}  // namespace

TEST_CASE("client: TLS to a certificate signed by the configured CA succeeds, and the connection is reused", "[client][tls]") {
  REQUIRE_CERTIFICATES();
  const auto files = test_certificates::get().loopback();
  tiny_server server({files, 200, R"({"embeddings":[]})", false});
  auto options = quick_options();
  options.ca_file = files.certificate.string();
  for (const std::string host : {"127.0.0.1", "localhost"}) {  // the IP and the DNS name it carries
    INFO(host);
    https_client client(origin_of(server.origin(host)), options);
    auto first = post_and_wait(client);
    REQUIRE(first.ok());
    CHECK(first->status == 200);
    CHECK(first->body == R"({"embeddings":[]})");
    auto second = post_and_wait(client);
    REQUIRE(second.ok());
    CHECK(client.connections_opened() == 1);
  }
  CHECK(server.last_target() == "/v1beta/models/m:batchEmbedContents");
  CHECK(server.failed_handshakes() == 0);
}

TEST_CASE("client: a self-signed certificate is refused against the system trust store", "[client][tls]") {
  REQUIRE_CERTIFICATES();
  tiny_server server({test_certificates::get().loopback(), 200, "{}", false});
  https_client client(origin_of(server.origin()), quick_options());
  auto answer = post_and_wait(client);
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.failure().code == error_code::upstream_unavailable);
  INFO(answer.failure().message);
  CHECK(answer.failure().message.find("TLS certificate verification failed for 127.0.0.1:") != std::string::npos);
  CHECK(server.answered() == 0);
}

TEST_CASE("client: a trusted certificate for another name is refused", "[client][tls]") {
  REQUIRE_CERTIFICATES();
  const auto files = test_certificates::get().other_name();
  tiny_server server({files, 200, "{}", false});
  auto options = quick_options();
  options.ca_file = files.certificate.string();
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    INFO(host);
    https_client client(origin_of(server.origin(host)), options);
    auto answer = post_and_wait(client);
    REQUIRE_FALSE(answer.ok());
    INFO(answer.failure().message);
    CHECK(answer.failure().message.find("TLS certificate verification failed") != std::string::npos);
  }
  CHECK(server.answered() == 0);

  // Only with verification switched off (which exists for this very test) does the call go through.
  options.verify_peer = false;
  https_client unverified(origin_of(server.origin()), options);
  CHECK(post_and_wait(unverified).ok());
}

TEST_CASE("client: a missing CA file fails every call with a clear message", "[client][tls]") {
  auto options = quick_options();
  options.ca_file = "/nonexistent/ca.pem";
  https_client client(origin_of("https://127.0.0.1:1/v1beta"), options);
  auto answer = post_and_wait(client);
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.failure().code == error_code::upstream_unavailable);
  CHECK(answer.failure().message.find("the CA file /nonexistent/ca.pem could not be loaded") != std::string::npos);
}

TEST_CASE("client: a pooled connection the server closed is replaced without the caller noticing", "[client]") {
  tiny_server server({std::nullopt, 200, R"({"n":1})", true});
  https_client client(origin_of(server.origin()), quick_options());
  for (int round = 0; round < 3; ++round) {
    auto answer = post_and_wait(client);
    INFO(round);
    REQUIRE(answer.ok());
    CHECK(answer->body == R"({"n":1})");
  }
  CHECK(client.connections_opened() == 3);
  CHECK(client.stale_connection_retries() == 2);
  CHECK(server.answered() == 3);
}

TEST_CASE("client: a connection the server closed for idleness is replaced once, unseen, for every request spaced past it", "[client][idle]") {
  // The server closes a connection idle for 100 ms; the client keeps its default 30 s idle age, so
  // every request after the first finds its pooled connection closed and is sent again on a new one.
  tiny_server::connection_behaviour closes_idle;
  closes_idle.idle_close_after = milliseconds{100};
  tiny_server server({std::nullopt, 200, R"({"n":2})", false}, closes_idle);
  https_client client(origin_of(server.origin()), quick_options());
  for (int round = 0; round < 4; ++round) {
    if (round > 0) std::this_thread::sleep_for(milliseconds{500});
    auto answer = post_and_wait(client);
    INFO(round);
    REQUIRE(answer.ok());
    CHECK(answer->status == 200);
    CHECK(answer->body == R"({"n":2})");
  }
  CHECK(client.connections_opened() == 4);
  CHECK(client.stale_connection_retries() == 3);
  CHECK(client.idle_connections_retired() == 0);
  CHECK(server.answered() == 4);  // each request was answered once: the stale sends reached no one
}

TEST_CASE("client: pooled connections idle past idle_timeout are closed, not reused, and fresh ones are reused", "[client][idle]") {
  tiny_server::connection_behaviour closes_idle;
  closes_idle.idle_close_after = milliseconds{5'000};
  tiny_server server({std::nullopt, 200, R"({"n":3})", false}, closes_idle);
  auto options = quick_options();
  options.idle_timeout = milliseconds{400};
  https_client client(origin_of(server.origin()), options);
  for (int round = 0; round < 3; ++round) {
    if (round > 0) std::this_thread::sleep_for(milliseconds{600});
    INFO(round);
    REQUIRE(post_and_wait(client).ok());
  }
  CHECK(client.connections_opened() == 3);
  CHECK(client.idle_connections_retired() == 2);
  // Straight after an answer the connection is young: it is reused.
  REQUIRE(post_and_wait(client).ok());
  CHECK(client.connections_opened() == 3);
  CHECK(client.stale_connection_retries() == 0);
  CHECK(server.answered() == 4);
}

TEST_CASE("client: a request whose answer had begun is never sent again, even on a pooled connection", "[client][idle]") {
  tiny_server::connection_behaviour cuts_second_answer;
  cuts_second_answer.cut_answer_of_request = 2;
  tiny_server server({std::nullopt, 200, std::string(4'000, 'x'), false}, cuts_second_answer);
  https_client client(origin_of(server.origin()), quick_options());
  REQUIRE(post_and_wait(client).ok());
  auto cut = post_and_wait(client);  // on the pooled connection; half its answer arrives, then the end
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.failure().code == error_code::upstream_unavailable);
  CHECK(cut.failure().message.find("reading the answer from") != std::string::npos);
  CHECK(client.stale_connection_retries() == 0);
  CHECK(server.answered() == 2);
  REQUIRE(post_and_wait(client).ok());  // and the client goes on, on a new connection
  CHECK(client.connections_opened() == 2);
}

TEST_CASE("client: with one slot, calls wait their turn in order on one connection", "[client]") {
  tiny_server server({std::nullopt, 503, "busy", false});
  auto options = quick_options();
  options.max_in_flight = 1;
  https_client client(origin_of(server.origin()), options);
  std::mutex order_mutex;
  std::vector<int> order;
  std::vector<std::promise<void>> done(5);
  for (int index = 0; index < 5; ++index) {
    client.post("/x", "{}", {}, [&, index](mosaic::result<upstream_response> outcome) {
      CHECK(outcome.ok());
      if (outcome.ok()) CHECK(outcome->status == 503);  // any HTTP answer is a value, not an error
      {
        const std::lock_guard lock(order_mutex);
        order.push_back(index);
      }
      done[static_cast<std::size_t>(index)].set_value();
    });
  }
  for (auto& each : done) each.get_future().wait();
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
  CHECK(client.connections_opened() == 1);
}

TEST_CASE("provider: the key goes in x-goog-api-key and is scrubbed from whatever the upstream says", "[provider][client]") {
  const std::string key = "sekrit-key-5521";
  tiny_server server({std::nullopt, 403,
                      R"({"error":{"code":403,"message":"the key sekrit-key-5521 lacks permission","status":"PERMISSION_DENIED"}})",
                      false});
  gemini_provider_options options;
  options.base_url = server.origin();
  options.api_key = key;
  auto provider = gemini_provider::create(options);
  REQUIRE(provider.ok());
  embedding_batch batch;
  batch.inputs.push_back({{{"hello", "", ""}}, ""});
  auto answer = embed_and_wait(**provider, batch);
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.failure().code == error_code::upstream_rejected);
  CHECK(answer.failure().message ==
        "Gemini refused the request (HTTP 403 PERMISSION_DENIED): the key [redacted] lacks permission");
  CHECK(server.last_header_named("x-goog-api-key") == key);
  CHECK(server.last_target() == "/v1beta/models/gemini-embedding-2:batchEmbedContents");
  CHECK(server.last_header(http::field::content_type) == "application/json");
}

TEST_CASE("provider: an answer of the wrong shape is refused, not retried", "[provider][client]") {
  tiny_server server({std::nullopt, 200, R"({"embeddings":[{"values":[1,2,3]}]})", false});
  gemini_provider_options options;
  options.base_url = server.origin();
  options.api_key = "k";
  auto provider = gemini_provider::create(options);
  REQUIRE(provider.ok());
  embedding_batch batch;
  batch.inputs.push_back({{{"hello", "", ""}}, ""});
  batch.dimensions = 128;
  auto answer = embed_and_wait(**provider, batch);
  REQUIRE_FALSE(answer.ok());
  CHECK(answer.failure().code == error_code::upstream_rejected);
  CHECK(answer.failure().message.find("Gemini's answer could not be used") != std::string::npos);
  CHECK(answer.failure().message.find("has 3 values in embeddings[0], expected 128") != std::string::npos);
  CHECK((*provider)->statistics().calls == 1);
}
