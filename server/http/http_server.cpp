#include "http/http_server.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
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

#include "http/connection_slots.hpp"
#include "http/site_events.hpp"
#include "http/transfer_deadline.hpp"

namespace mosaic::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

class session;

// How long a refused or refusing connection is given to read its answer and close (see linger).
constexpr auto linger_time = std::chrono::seconds(1);
// Refusals (503 at the cap) under way at most: past that, a connection is closed at once, so a flood
// of connections cannot hold an unbounded number of file descriptors in refusals.
constexpr int max_refusals_in_flight = 64;

// The listener's state the sessions share, kept alive by each of them.
struct connection_state {
  explicit connection_state(std::size_t capacity) : slots(capacity) {}
  connection_slots slots;
  std::atomic<int> refusals_in_flight{0};
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
          const std::atomic<bool>& stopping, event_hub* events, std::shared_ptr<connection_state> connections)
      : stream_(std::move(socket)), io_(io), context_(context), options_(options), stopping_(stopping), events_(events),
        connections_(std::move(connections)) {
    beast::error_code ignored;
    const auto remote = stream_.socket().remote_endpoint(ignored);
    client_address_ = ignored ? std::string("unknown") : remote.address().to_string();
  }
  ~session() { release_slot(); }

  // Takes a slot (a connection that waited longest on its client may give way) and starts reading;
  // at the cap with every slot working, answers 503 instead.
  void start() {
    std::weak_ptr<session> weak = shared_from_this();
    auto admission = connections_->slots.admit(
        [weak](connection_slots::close_reason reason) {
          if (auto self = weak.lock()) self->close_if_waiting(reason);
        },
        connection_slots::clock::now());
    if (admission.evicted) {
      admission.evicted(connection_slots::close_reason::making_room);
      if (context_.metrics != nullptr) context_.metrics->increment("mosaic_http_connections_evicted_total");
    }
    if (!admission.admitted) return refuse_busy();
    slot_ = admission.connection;
    asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&session::read_head, shared_from_this()));
  }

 private:
  // On stop, a session waiting for its next request closes now (one whose request head has come
  // finishes it; one answering closes after). To make room, one still reading a request closes,
  // and so does one whose answer waits for the client to read it (a slow reader holds a connection
  // as a slow sender does); a request being worked on by the server is never cut.
  void close_if_waiting(connection_slots::close_reason reason) {
    asio::post(stream_.get_executor(), [self = shared_from_this(), reason] {
      const bool making_room = reason == connection_slots::close_reason::making_room;
      if (making_room ? self->answering_ && !self->writing_ : self->busy_) {
        // Its request came in the meantime: it is answered, and the connection (whose slot is
        // already given away) closes after the answer.
        if (making_room) self->close_after_answer_ = true;
        return;
      }
      beast::error_code ignored;
      self->stream_.socket().close(ignored);
    });
  }

  // Every slot holds a request being answered: 503 with Retry-After, then close. No request is read.
  void refuse_busy() {
    if (context_.metrics != nullptr) context_.metrics->increment("mosaic_http_connections_refused_total");
    if (connections_->refusals_in_flight.fetch_add(1) >= max_refusals_in_flight) {
      connections_->refusals_in_flight.fetch_sub(1);
      beast::error_code ignored;
      stream_.socket().close(ignored);
      return;
    }
    refusing_ = true;
    linger_after_answer_ = true;
    string_response response{http::status::service_unavailable, 11};
    response.set(http::field::content_type, "application/json");
    response.set(http::field::retry_after, "1");
    response.body() = R"({"error":{"code":"too_many_connections","message":"every connection of this server is answering a request; try again in a second"}})";
    response.keep_alive(false);
    response.set(http::field::server, "mosaic");
    response.prepare_payload();
    asio::dispatch(stream_.get_executor(), [self = shared_from_this(), response = std::move(response)]() mutable {
      self->write(std::move(response));
    });
  }

  void read_head() {
    busy_ = false;
    answering_ = false;
    connections_->slots.waiting(slot_, connection_slots::clock::now());
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
    transfer_.emplace(transfer_deadline::clock::now(), std::chrono::seconds(options_.read_timeout_seconds),
                      options_.minimum_transfer_rate);
    transferred_ = 0;
    read_body_piece();
  }

  // The body is read piece by piece, each read with the deadline its progress so far has earned: a
  // slow but steady upload is read to its end, one that trickles or stalls is closed.
  void read_body_piece() {
    if (parser_->is_done()) return on_body({}, 0);
    stream_.expires_at(transfer_->next(transfer_deadline::clock::now(), transferred_));
    http::async_read_some(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code failure, std::size_t bytes) {
      if (failure) return self->on_body(failure, bytes);
      self->transferred_ += bytes;
      self->read_body_piece();
    });
  }

  void refuse_too_large() {
    string_response response{http::status::payload_too_large, parser_->get().version()};
    response.set(http::field::content_type, "application/json");
    response.body() = R"({"error":{"code":"payload_too_large","message":"the request body is larger than this route accepts"}})";
    response.keep_alive(false);  // the unread body is still on the wire: this connection cannot continue
    linger_after_answer_ = true;
    response.prepare_payload();
    write(std::move(response));
  }

  void on_body(beast::error_code failure, std::size_t) {
    if (failure == http::error::body_limit) return refuse_too_large();  // chunked bodies grow past it
    if (failure) return close();
    answering_ = true;
    connections_->slots.working(slot_);
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
        if (self->stopping_.load() || self->close_after_answer_) response.keep_alive(false);
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
    // The stream is the event hub's from here (its own cap): it no longer takes an HTTP slot.
    release_slot();
    events_->open(stream_.release_socket(), head.str());
  }

  // An answer and its serializer, which refers to it: they live and die together.
  struct outgoing_answer {
    explicit outgoing_answer(string_response&& answer) : message(std::move(answer)), serializer(message) {}
    string_response message;
    http::response_serializer<http::string_body> serializer;
  };

  // The answer is written piece by piece, each write with the deadline its progress so far has earned:
  // a client reading a large file slowly but steadily gets all of it, one that stops reading is closed.
  void write(string_response&& response) {
    auto answer = std::make_shared<outgoing_answer>(std::move(response));
    // From here the connection waits on its client to read the answer.
    writing_ = true;
    if (slot_ != 0) connections_->slots.waiting(slot_, connection_slots::clock::now());
    transfer_.emplace(transfer_deadline::clock::now(), std::chrono::seconds(options_.read_timeout_seconds),
                      options_.minimum_transfer_rate);
    transferred_ = 0;
    write_piece(std::move(answer));
  }

  void write_piece(std::shared_ptr<outgoing_answer> answer) {
    stream_.expires_at(transfer_->next(transfer_deadline::clock::now(), transferred_));
    auto& serializer = answer->serializer;
    http::async_write_some(stream_, serializer, [self = shared_from_this(), answer = std::move(answer)](beast::error_code failure, std::size_t bytes) mutable {
      self->transferred_ += bytes;
      if (!failure && !answer->serializer.is_done()) return self->write_piece(std::move(answer));
      self->writing_ = false;
      if (!failure && self->linger_after_answer_) return self->linger();
      if (failure || !answer->message.keep_alive() || self->stopping_.load() || self->close_after_answer_) return self->close();
      self->read_head();
    });
  }

  // The connection is done (the socket itself closes with the session, right after): its slot is free.
  void release_slot() {
    if (slot_ == 0) return;
    connections_->slots.release(slot_);
    slot_ = 0;
    if (context_.metrics != nullptr) {
      context_.metrics->set_gauge("mosaic_http_connections", {}, static_cast<double>(connections_->slots.open()));
    }
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    release_slot();
    if (refusing_) {
      refusing_ = false;
      connections_->refusals_in_flight.fetch_sub(1);
    }
  }

  // After an answer to a request that was not (wholly) read: the send side is closed and what the
  // client still sends is read and dropped until it closes too (or for linger_time). Closing at once
  // with unread bytes would make the kernel reset the connection, and a reset can discard the answer
  // before the client has read it.
  void linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (slot_ != 0) connections_->slots.waiting(slot_, connection_slots::clock::now());  // on its client now
    stream_.expires_after(linger_time);
    drain_buffer_.resize(4096);
    stream_.async_read_some(asio::buffer(drain_buffer_), [self = shared_from_this()](beast::error_code failure, std::size_t) {
      if (failure) return self->close();
      self->linger_read();
    });
  }
  void linger_read() {
    stream_.async_read_some(asio::buffer(drain_buffer_), [self = shared_from_this()](beast::error_code failure, std::size_t) {
      if (failure) return self->close();
      self->linger_read();
    });
  }

  beast::tcp_stream stream_;
  asio::io_context& io_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<transfer_deadline> transfer_;  // of the body being read or the answer being written
  std::uint64_t transferred_ = 0;               // its bytes so far
  const server_context& context_;
  const server_options& options_;
  const std::atomic<bool>& stopping_;
  event_hub* events_;  // null: /api/events is answered once, not kept open
  std::string client_address_;  // the rate limit's client key
  std::shared_ptr<connection_state> connections_;
  std::uint64_t slot_ = 0;  // this connection's slot; 0: none (refused, or handed to the event hub)
  std::vector<char> drain_buffer_;  // what a lingering close reads and drops
  // Touched only on the strand:
  bool busy_ = false;       // between a request head and the end of its answer
  bool answering_ = false;  // between a whole request and the end of its answer
  bool writing_ = false;    // an answer is being written (the client reads it at its own pace)
  bool refusing_ = false;   // a 503 at the cap is being written or lingered over
  bool linger_after_answer_ = false;  // the answer goes to a request not wholly read (413, 503 at the cap)
  bool close_after_answer_ = false;   // picked to make room while its request was arriving
};

class listener : public std::enable_shared_from_this<listener> {
 public:
  listener(asio::io_context& io, tcp::endpoint endpoint, const server_context& context, const server_options& options,
           const std::atomic<bool>& stopping, event_hub* events, beast::error_code& failure)
      : io_(io), acceptor_(asio::make_strand(io)), retry_timer_(acceptor_.get_executor()), context_(context), options_(options),
        stopping_(stopping), events_(events), connections_(std::make_shared<connection_state>(options.max_connections)) {
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
      self->retry_timer_.cancel();
      for (const auto& close : self->connections_->slots.all_waiting()) close(connection_slots::close_reason::server_stopping);
      if (self->events_ != nullptr) self->events_->close_all();
    });
  }

 private:
  void accept() {
    acceptor_.async_accept(asio::make_strand(io_), beast::bind_front_handler(&listener::on_accept, shared_from_this()));
  }
  void on_accept(beast::error_code failure, tcp::socket socket) {
    if (!acceptor_.is_open()) return;  // stopped
    if (failure) {
      // Out of file descriptors (or another failure the next accept would meet at once): accepting
      // again straight away would spin a core until a descriptor is freed. The connection waits in
      // the listen queue meanwhile.
      retry_timer_.expires_after(std::chrono::milliseconds(100));
      retry_timer_.async_wait([self = shared_from_this()](beast::error_code) {
        if (self->acceptor_.is_open()) self->accept();
      });
      return;
    }
    // Answers are whole messages: no Nagle wait on a message's last segment for a delayed ACK.
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto member = std::make_shared<session>(std::move(socket), io_, context_, options_, stopping_, events_, connections_);
    member->start();
    if (context_.metrics != nullptr) {
      context_.metrics->set_gauge("mosaic_http_connections", {}, static_cast<double>(connections_->slots.open()));
    }
    accept();
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;  // the pause after a failed accept
  const server_context& context_;
  const server_options& options_;
  const std::atomic<bool>& stopping_;
  event_hub* events_;
  std::shared_ptr<connection_state> connections_;
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
