#include "http/http_server.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "http/site_events.hpp"

namespace mosaic::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

class session;

// The live sessions, so a stop can close the idle ones at once instead of waiting for their timeouts.
class session_registry {
 public:
  void add(const std::shared_ptr<session>& member) {
    std::lock_guard lock(mutex_);
    std::erase_if(members_, [](const std::weak_ptr<session>& entry) { return entry.expired(); });
    members_.push_back(member);
  }
  std::vector<std::shared_ptr<session>> live() {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<session>> result;
    for (const auto& entry : members_) {
      if (auto member = entry.lock()) result.push_back(std::move(member));
    }
    return result;
  }

 private:
  std::mutex mutex_;
  std::vector<std::weak_ptr<session>> members_;
};

// What an answer still to come holds: the session and the work guard, taken by the first answer.
// The guard is on the io_context's plain executor, not the session's strand: a strand executor
// copy destroyed on another thread after the io_context would touch its freed strand service.
struct pending_answer {
  pending_answer(std::shared_ptr<session> session_owner, asio::io_context& io)
      : owner(std::move(session_owner)), guard(asio::make_work_guard(io.get_executor())) {}
  std::mutex mutex;
  std::shared_ptr<session> owner;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
};

// One connection: read a request head, set the body limit for its route, read the body, answer,
// repeat while keep-alive holds and the server is not stopping.
class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket&& socket, asio::io_context& io, const server_context& context, const server_options& options,
          const std::atomic<bool>& stopping, event_hub* events)
      : stream_(std::move(socket)), io_(io), context_(context), options_(options), stopping_(stopping), events_(events) {
    beast::error_code ignored;
    const auto remote = stream_.socket().remote_endpoint(ignored);
    client_address_ = ignored ? std::string("unknown") : remote.address().to_string();
  }

  void start() { asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&session::read_head, shared_from_this())); }

  // Called on stop: a session waiting for its next request closes now; one answering closes after.
  void stop_if_idle() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_) self->stream_.socket().close();
    });
  }

 private:
  void read_head() {
    busy_ = false;
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    // The route's limit is applied once the head is known (on_head); until then no default may cut in.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(std::chrono::seconds(options_.read_timeout_seconds));
    http::async_read_header(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_head, shared_from_this()));
  }

  void on_head(beast::error_code failure, std::size_t) {
    if (failure) return close();
    busy_ = true;
    const auto target = parser_->get().target();
    const std::uint64_t limit = body_limit_for(std::string_view(target.data(), target.size()));
    // A declared length over the limit is refused from the head alone, before any body is read.
    if (parser_->content_length() && *parser_->content_length() > limit) return refuse_too_large();
    parser_->body_limit(limit);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_body, shared_from_this()));
  }

  void refuse_too_large() {
    string_response response{http::status::payload_too_large, parser_->get().version()};
    response.set(http::field::content_type, "application/json");
    response.body() = R"({"error":{"code":"payload_too_large","message":"the request body is larger than this route accepts"}})";
    response.keep_alive(false);  // the unread body is still on the wire: this connection cannot continue
    response.prepare_payload();
    write(std::move(response));
  }

  void on_body(beast::error_code failure, std::size_t) {
    if (failure == http::error::body_limit) return refuse_too_large();  // chunked bodies grow past it
    if (failure) return close();
    // The answer may come later, from a worker or an upstream call's thread: it is written on this
    // session's strand. Until then the session is held (busy_ keeps a stop from closing it), and the
    // work guard keeps io_context::run() from returning (and the io_context from being destroyed)
    // while an answer is still to come: a stop waits for requests in flight, as promised.
    // Both are held by one shared slot and moved out on the answer: the callback has copies (in
    // provider queues, worker jobs) that may outlive the io_context, and none of them may be the
    // last owner of a socket.
    auto slot = std::make_shared<pending_answer>(shared_from_this(), io_);
    const bool may_stream = parser_->get().method() == http::verb::get;
    handle_request(context_, parser_->release(), client_address_, [slot, may_stream](string_response response) {
      std::shared_ptr<session> self;
      {
        std::lock_guard lock(slot->mutex);
        self = std::move(slot->owner);
      }
      if (!self) return;  // answered twice: a bug in a route, but never a crash
      asio::post(self->stream_.get_executor(), [self, may_stream, response = std::move(response)]() mutable {
        response.set(http::field::server, "mosaic");
        if (self->stopping_.load()) response.keep_alive(false);
        if (may_stream && self->events_ != nullptr && is_event_stream(response)) return self->hand_over(std::move(response));
        self->write(std::move(response));
      });
      // Last, once this thread holds no session and no strand executor: from here on the
      // io_context may finish and be destroyed.
      self.reset();
      std::lock_guard lock(slot->mutex);
      slot->guard.reset();
    });
  }

  static bool is_event_stream(const string_response& response) {
    const auto type = response[http::field::content_type];
    return response.result() == http::status::ok && std::string_view(type.data(), type.size()).starts_with("text/event-stream");
  }

  // GET /api/events: the head is written by the event hub, which keeps the connection from here on
  // (its first event is the hub's latest, so no change between this answer and the hand-over is lost).
  void hand_over(string_response response) {
    response.body().clear();
    std::ostringstream head;
    head << response.base();
    events_->open(stream_.release_socket(), head.str());
  }

  void write(string_response&& response) {
    auto shared = std::make_shared<string_response>(std::move(response));
    stream_.expires_after(std::chrono::seconds(options_.read_timeout_seconds));
    http::async_write(stream_, *shared, [self = shared_from_this(), shared](beast::error_code failure, std::size_t) {
      if (failure || !shared->keep_alive() || self->stopping_.load()) return self->close();
      self->read_head();
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  asio::io_context& io_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const server_context& context_;
  const server_options& options_;
  const std::atomic<bool>& stopping_;
  event_hub* events_;  // null: /api/events is answered once, not kept open
  std::string client_address_;  // the rate limit's client key
  bool busy_ = false;  // between a request head and the end of its answer; touched only on the strand
};

class listener : public std::enable_shared_from_this<listener> {
 public:
  listener(asio::io_context& io, tcp::endpoint endpoint, const server_context& context, const server_options& options,
           const std::atomic<bool>& stopping, event_hub* events, beast::error_code& failure)
      : io_(io), acceptor_(asio::make_strand(io)), context_(context), options_(options), stopping_(stopping), events_(events) {
    acceptor_.open(endpoint.protocol(), failure);
    if (!failure) acceptor_.set_option(asio::socket_base::reuse_address(true), failure);
    if (!failure) acceptor_.bind(endpoint, failure);
    if (!failure) acceptor_.listen(asio::socket_base::max_listen_connections, failure);
  }

  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void start() { accept(); }
  void stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ignored;
      self->acceptor_.close(ignored);
      for (const auto& member : self->sessions_.live()) member->stop_if_idle();
      if (self->events_ != nullptr) self->events_->close_all();
    });
  }

 private:
  void accept() {
    acceptor_.async_accept(asio::make_strand(io_), beast::bind_front_handler(&listener::on_accept, shared_from_this()));
  }
  void on_accept(beast::error_code failure, tcp::socket socket) {
    if (!acceptor_.is_open()) return;  // stopped
    if (!failure) {
      // Answers are whole messages: no Nagle wait on a message's last segment for a delayed ACK.
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto member = std::make_shared<session>(std::move(socket), io_, context_, options_, stopping_, events_);
      sessions_.add(member);
      member->start();
    }
    accept();
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  const server_context& context_;
  const server_options& options_;
  const std::atomic<bool>& stopping_;
  event_hub* events_;
  session_registry sessions_;
};

}  // namespace

int run_http_server(const server_context& context, const server_options& options,
                    const std::function<void(std::uint16_t)>& on_listening) {
  asio::io_context io(static_cast<int>(options.threads));
  std::atomic<bool> stopping{false};
  beast::error_code failure;
  const auto address = asio::ip::make_address(options.address, failure);
  if (failure) {
    std::fprintf(stderr, "mosaic serve: '%s' is not an IP address\n", options.address.c_str());
    return 2;
  }
  // The event streams hear of every site the watcher swaps in; the subscription ends before the
  // io_context goes, so no event is posted to a destroyed one.
  std::optional<event_hub> events;
  served_site::subscription site_changes;
  if (context.site) {
    events.emplace(options.events, generation_event(*context.site->current()));
    site_changes = context.site->listen([&events](const std::shared_ptr<const loaded_site>& site) { events->publish(generation_event(*site)); });
  }
  event_hub* hub = events ? &*events : nullptr;
  auto server = std::make_shared<listener>(io, tcp::endpoint(address, options.port), context, options, stopping, hub, failure);
  if (failure) {
    std::fprintf(stderr, "mosaic serve: cannot listen on %s:%u: %s\n", options.address.c_str(), options.port,
                 failure.message().c_str());
    return 1;
  }
  server->start();
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) {
    // Stop accepting; sessions answer what they are reading and close; run() returns when all are done.
    stopping.store(true);
    server->stop();
  });
  on_listening(server->port());
  std::vector<std::thread> workers;
  for (unsigned i = 1; i < options.threads; ++i) workers.emplace_back([&io] { io.run(); });
  io.run();
  for (std::thread& worker : workers) worker.join();
  return 0;
}

}  // namespace mosaic::server
