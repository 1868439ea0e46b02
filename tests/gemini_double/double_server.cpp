#include "double_server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <csignal>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "google_errors.hpp"

namespace mosaic::gemini_double {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::uint32_t header_limit_bytes = 64 * 1024;
constexpr std::chrono::seconds write_timeout{30};
constexpr char server_name[] = "mosaic-gemini-double";

std::string_view to_std(beast::string_view text) noexcept { return {text.data(), text.size()}; }

// One connection: read a request, let embedding_api answer it, wait if asked, write, repeat while the
// client keeps the connection alive. Every step runs on the connection's strand.
class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket&& socket, embedding_api& api, const server_settings& settings)
      : stream_(std::move(socket)), delay_timer_(stream_.get_executor()), api_(api), settings_(settings) {}

  void start() {
    asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&session::read_header, shared_from_this()));
  }

 private:
  void read_header() {
    parser_.emplace();
    parser_->body_limit(settings_.body_limit_bytes);
    parser_->header_limit(header_limit_bytes);
    stream_.expires_after(settings_.read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code failure, std::size_t /*bytes*/) {
    if (failure == http::error::body_limit) return reply_too_large();
    // End of stream, timeout, a malformed header: there is no request to answer.
    if (failure) return close();
    const auto& request = parser_->get();
    if (beast::iequals(request[http::field::expect], "100-continue") && !parser_->is_done()) {
      // curl and others wait for this before sending a large body.
      auto interim = std::make_shared<http::response<http::empty_body>>(http::status::continue_, request.version());
      stream_.expires_after(write_timeout);
      http::async_write(stream_, *interim,
                        [self = shared_from_this(), interim](beast::error_code write_failure, std::size_t) {
                          if (write_failure) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    stream_.expires_after(settings_.read_timeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_body, shared_from_this()));
  }

  void on_body(beast::error_code failure, std::size_t /*bytes*/) {
    if (failure == http::error::body_limit) return reply_too_large();
    if (failure) return close();
    stream_.expires_never();  // the embedding and the injected latency are not the client's fault
    const auto& request = parser_->get();
    keep_alive_ = request.keep_alive();
    version_ = request.version();
    const api_request call{to_std(request.method_string()), to_std(request.target()),
                           to_std(request["x-goog-api-key"]), request.body()};
    pending_ = api_.handle(call);
    parser_.reset();  // frees the body, which may be tens of megabytes, before waiting
    // The gate keeps this session (and its connection) alive until it is released; then the answer
    // goes on from here, back on the session's strand.
    if (pending_.gated && api_.gate().hold([self = shared_from_this()] {
          asio::post(self->stream_.get_executor(), beast::bind_front_handler(&session::after_gate, self));
        })) {
      return;
    }
    after_gate();
  }

  void after_gate() {
    if (pending_.delay.count() > 0) {
      delay_timer_.expires_after(pending_.delay);
      delay_timer_.async_wait(beast::bind_front_handler(&session::on_delay, shared_from_this()));
      return;
    }
    send_pending();
  }

  void on_delay(beast::error_code failure) {
    if (failure) return close();
    send_pending();
  }

  void send_pending() {
    if (pending_.drop_connection) return drop();
    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(version_);
    response->result(pending_.status);
    response->set(http::field::server, server_name);
    response->set(http::field::content_type, "application/json; charset=UTF-8");
    for (const auto& [name, value] : pending_.headers) response->set(name, value);
    response->keep_alive(keep_alive_);
    response->body() = std::move(pending_.body);
    response->prepare_payload();
    write(std::move(response));
  }

  // The body was not read, so the connection cannot carry another request: answer and close.
  void reply_too_large() {
    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(parser_ ? parser_->get().version() : 11);
    response->result(http::status::payload_too_large);
    response->set(http::field::server, server_name);
    response->set(http::field::content_type, "application/json; charset=UTF-8");
    response->keep_alive(false);
    response->body() = google_error_body(413, "INVALID_ARGUMENT",
                                         "Request payload size exceeds the limit: " +
                                             std::to_string(settings_.body_limit_bytes) + " bytes.");
    response->prepare_payload();
    write(std::move(response));
  }

  void write(std::shared_ptr<http::response<http::string_body>> response) {
    response_ = std::move(response);
    stream_.expires_after(write_timeout);
    http::async_write(stream_, *response_, beast::bind_front_handler(&session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code failure, std::size_t /*bytes*/) {
    if (failure) return close();
    const bool keep_going = response_->keep_alive();
    response_.reset();
    if (!keep_going) return close();
    read_header();
  }

  // A polite close: the client reads the end of the stream after the last response.
  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.cancel();
  }

  // --drop-every: the request was read, no response will come.
  void drop() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  asio::steady_timer delay_timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> response_;
  api_response pending_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  embedding_api& api_;
  const server_settings& settings_;
};

class listener : public std::enable_shared_from_this<listener> {
 public:
  listener(asio::io_context& io, tcp::acceptor acceptor, embedding_api& api, const server_settings& settings)
      : io_(io), acceptor_(std::move(acceptor)), api_(api), settings_(settings) {}

  void accept() {
    acceptor_.async_accept(asio::make_strand(io_), beast::bind_front_handler(&listener::on_accept, shared_from_this()));
  }

  void stop() {
    asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ignored;
      self->acceptor_.close(ignored);
    });
  }

 private:
  void on_accept(beast::error_code failure, tcp::socket socket) {
    if (failure == asio::error::operation_aborted || !acceptor_.is_open()) return;
    // Other failures (a connection reset before accept, running out of descriptors) concern one
    // connection; keep accepting the others.
    if (!failure) {
      // Answers are whole messages (up to megabytes of vectors): no Nagle wait on their last segment.
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<session>(std::move(socket), api_, settings_)->start();
    }
    accept();
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  embedding_api& api_;
  const server_settings& settings_;
};

}  // namespace

status run_double_server(const server_settings& settings, embedding_api& api,
                         const std::function<void(std::uint16_t)>& on_listening) {
  const std::size_t thread_count = settings.threads == 0 ? 1 : settings.threads;
  asio::io_context io(static_cast<int>(thread_count));

  beast::error_code failure;
  const asio::ip::address address = asio::ip::make_address(settings.address, failure);
  if (failure) return make_error(error_code::invalid_argument, "invalid address " + settings.address);
  const tcp::endpoint endpoint(address, settings.port);
  tcp::acceptor acceptor(io);
  auto cannot_listen = [&](std::string_view step) {
    return make_error(error_code::invalid_argument, "cannot " + std::string(step) + " " + settings.address + ":" +
                                                        std::to_string(settings.port) + ": " + failure.message());
  };
  if (acceptor.open(endpoint.protocol(), failure); failure) return cannot_listen("open a socket for");
  if (acceptor.set_option(asio::socket_base::reuse_address(true), failure); failure) return cannot_listen("configure");
  if (acceptor.bind(endpoint, failure); failure) return cannot_listen("bind");
  if (acceptor.listen(asio::socket_base::max_listen_connections, failure); failure) return cannot_listen("listen on");
  const std::uint16_t bound_port = acceptor.local_endpoint().port();

  auto server = std::make_shared<listener>(io, std::move(acceptor), api, settings);
  server->accept();

  // Stop accepting, then stop the loop: sessions in flight are abandoned, as a test double may.
  // Sessions held at the call gate go before the io context their sockets belong to.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io, server](beast::error_code, int) {
    server->stop();
    io.stop();
  });

  on_listening(bound_port);

  std::vector<std::thread> workers;
  workers.reserve(thread_count - 1);
  for (std::size_t index = 1; index < thread_count; ++index) workers.emplace_back([&io] { io.run(); });
  io.run();
  for (std::thread& worker : workers) worker.join();
  api.gate().abandon();
  return success{};
}

}  // namespace mosaic::gemini_double
