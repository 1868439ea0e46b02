// The only translation unit of the embedding library that includes Beast and asio: each one costs
// about a minute and 0.8 GB to compile.
#include "upstream/https_client.hpp"

#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace mosaic::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// Embedding answers are about 12 bytes per value: 100 vectors of 3072 values are under 4 MB.
constexpr std::uint64_t response_body_limit = 64ull * 1024 * 1024;
constexpr std::uint32_t response_header_limit = 64 * 1024;

std::string milliseconds_text(std::chrono::milliseconds duration) { return std::to_string(duration.count()) + " ms"; }

bool is_ip_literal(const std::string& host) {
  beast::error_code failure;
  asio::ip::make_address(host, failure);
  return !failure;
}

// SSL_set_tlsext_host_name is a macro with a C cast (an error under -Wold-style-cast): this is what it
// expands to. OpenSSL copies the name.
bool set_server_name(SSL* connection_handle, const std::string& host) {
  return SSL_ctrl(connection_handle, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                  static_cast<void*>(const_cast<char*>(host.c_str()))) == 1;
}

// One TCP (and maybe TLS) connection to the origin, reused across calls while the server keeps it alive.
struct connection {
  connection(asio::io_context& io, ssl::context* tls_context) {
    if (tls_context != nullptr) {
      secure.emplace(io, *tls_context);
    } else {
      plain.emplace(io);
    }
  }
  beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  void close() {
    beast::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().close();
  }
  // Runs `operation` with whichever stream this connection is.
  template <typename Operation>
  void with_stream(Operation&& operation) {
    if (secure) {
      operation(*secure);
    } else {
      operation(*plain);
    }
  }

  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since;  // when it last went back to the pool
};

// What a server closing a kept-alive connection looks like to the next request sent on it: the
// write or the read ends with end of stream, a reset, a broken pipe, or (TLS) a cut stream. A timeout
// is not one of them: the server may be slow rather than gone, and sending again would double its work.
bool is_closed_by_peer(const beast::error_code& failure) {
  return failure == http::error::end_of_stream || failure == asio::error::eof ||
         failure == asio::error::connection_reset || failure == asio::error::connection_aborted ||
         failure == asio::error::broken_pipe || failure == ssl::error::stream_truncated;
}

struct pending_call {
  http::request<http::string_body> request;
  upstream_callback done;
  std::optional<asio::steady_timer> deadline;
  std::shared_ptr<connection> link;
  std::optional<http::response_parser<http::string_body>> parser;
  bool finished = false;
  bool holds_slot = false;         // counted in in_flight
  bool on_reused_link = false;     // the connection came from the idle pool
  bool fresh_retry_used = false;   // a stale pooled connection was already replaced once
  bool answer_started = false;     // at least one byte of the answer arrived
};

using call_pointer = std::shared_ptr<pending_call>;

}  // namespace

class https_client::implementation {
 public:
  implementation(upstream_url origin, https_client_options options)
      : origin_(std::move(origin)),
        options_(std::move(options)),
        origin_name_(origin_.host + ":" + origin_.port),
        resolver_(io_),
        work_(asio::make_work_guard(io_)) {
    host_header_ = origin_.host.find(':') != std::string::npos ? "[" + origin_.host + "]" : origin_.host;
    if (origin_.port != (origin_.tls ? "443" : "80")) host_header_ += ":" + origin_.port;
    if (options_.max_in_flight == 0) options_.max_in_flight = 1;
    if (origin_.tls) configure_tls();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~implementation() {
    {
      const std::lock_guard lock(admission_mutex_);
      stopping_ = true;
    }
    asio::post(io_, [this] { shut_down(); });
    work_.reset();
    thread_.join();
  }

  implementation(const implementation&) = delete;
  implementation& operator=(const implementation&) = delete;

  void send(http::verb method, std::string path_and_query, std::string body, std::vector<upstream_header> headers,
            upstream_callback done) {
    auto call = std::make_shared<pending_call>();
    call->request.method(method);
    call->request.target(origin_.base_path + path_and_query);
    call->request.version(11);
    call->request.set(http::field::host, host_header_);
    call->request.set(http::field::user_agent, "mosaic");
    for (const auto& [name, value] : headers) call->request.set(name, value);
    call->request.keep_alive(true);
    call->request.body() = std::move(body);
    call->request.prepare_payload();
    call->done = std::move(done);
    {
      const std::lock_guard lock(admission_mutex_);
      if (!stopping_) {
        asio::post(io_, [this, call] { accept(call); });
        return;
      }
    }
    auto finish_now = std::move(call->done);
    finish_now(make_error(error_code::upstream_unavailable, "the client for " + origin_name_ + " is shutting down"));
  }

  void run_after(std::chrono::milliseconds delay, std::function<void()> action) {
    {
      const std::lock_guard lock(admission_mutex_);
      if (!stopping_) {
        asio::post(io_, [this, delay, action = std::move(action)]() mutable { start_timer(delay, std::move(action)); });
        return;
      }
    }
    action();
  }

  [[nodiscard]] std::uint64_t connections_opened() const noexcept { return connections_opened_.load(); }
  [[nodiscard]] std::uint64_t stale_connection_retries() const noexcept { return stale_connection_retries_.load(); }
  [[nodiscard]] std::uint64_t idle_connections_retired() const noexcept { return idle_connections_retired_.load(); }

 private:
  void configure_tls() {
    tls_context_.emplace(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(tls_context_->native_handle(), TLS1_2_VERSION);
    beast::error_code failure;
    if (options_.ca_file.empty()) {
      tls_context_->set_default_verify_paths(failure);
      if (failure) configuration_error_ = "the system's trusted certificates could not be loaded (" + failure.message() + ")";
    } else {
      tls_context_->load_verify_file(options_.ca_file, failure);
      if (failure) {
        configuration_error_ = "the CA file " + options_.ca_file + " could not be loaded (" + failure.message() + ")";
      }
    }
    tls_context_->set_verify_mode(options_.verify_peer ? ssl::verify_peer : ssl::verify_none);
  }

  // --- everything below runs on the io thread ---

  void start_timer(std::chrono::milliseconds delay, std::function<void()> action) {
    if (shutting_down_) return action();
    auto timer = std::make_shared<asio::steady_timer>(io_, delay);
    timers_.insert(timer);
    // A cancelled timer (shutdown) still runs its action, so whoever waits on it hears back.
    timer->async_wait([this, timer, action = std::move(action)](beast::error_code) {
      timers_.erase(timer);
      action();
    });
  }

  void accept(const call_pointer& call) {
    if (shutting_down_) {
      return finish(call, make_error(error_code::upstream_unavailable, "the client for " + origin_name_ + " is shutting down"));
    }
    if (!configuration_error_.empty()) {
      return finish(call, make_error(error_code::upstream_unavailable,
                                     "cannot call " + origin_name_ + ": " + configuration_error_));
    }
    // The whole-call deadline also covers the time spent waiting for a free slot.
    call->deadline.emplace(io_, options_.call_timeout);
    call->deadline->async_wait([this, call](beast::error_code failure) {
      if (failure == asio::error::operation_aborted) return;
      on_deadline(call);
    });
    queue_.push_back(call);
    pump();
  }

  void pump() {
    while (in_flight_ < options_.max_in_flight && !queue_.empty() && !shutting_down_) {
      call_pointer call = std::move(queue_.front());
      queue_.pop_front();
      if (call->finished) continue;  // timed out while it waited
      call->holds_slot = true;
      ++in_flight_;
      active_.insert(call);
      retire_aged_connections();
      if (!idle_.empty()) {
        call->link = std::move(idle_.back());
        idle_.pop_back();
        call->on_reused_link = true;
        send(call);
      } else {
        open_connection(call);
      }
    }
  }

  // The pool keeps the most recently used connection at the back: the oldest go first.
  void retire_aged_connections() {
    const auto now = std::chrono::steady_clock::now();
    while (!idle_.empty() && now - idle_.front()->idle_since > options_.idle_timeout) {
      idle_.front()->close();
      idle_.erase(idle_.begin());
      idle_connections_retired_.fetch_add(1);
    }
  }

  void on_deadline(const call_pointer& call) {
    if (call->finished) return;
    auto link = call->link;
    finish(call, make_error(error_code::upstream_unavailable, "the call to " + origin_name_ + " did not finish within " +
                                                                  milliseconds_text(options_.call_timeout)));
    if (link) link->close();  // its pending operation ends with operation_aborted and is ignored
  }

  void finish(const call_pointer& call, result<upstream_response> outcome) {
    if (call->finished) return;
    call->finished = true;
    if (call->deadline) call->deadline->cancel();
    if (call->holds_slot) {
      call->holds_slot = false;
      --in_flight_;
    }
    active_.erase(call);
    auto done = std::move(call->done);
    call->link.reset();
    pump();
    done(std::move(outcome));
  }

  void fail(const call_pointer& call, std::string message) {
    const auto link = call->link;
    finish(call, make_error(error_code::upstream_unavailable, std::move(message)));
    if (link) link->close();
  }

  // A pooled connection the server closed while it sat idle fails on first use before any byte of
  // the answer: the request is sent again, once, on a new connection. Embedding is idempotent, so a
  // request the server did read but never answered is safe to repeat too; one whose answer had
  // begun is never sent again.
  bool retry_if_stale(const call_pointer& call, const beast::error_code& failure) {
    if (!call->on_reused_link || call->fresh_retry_used || call->answer_started || call->finished) return false;
    if (!is_closed_by_peer(failure)) return false;
    stale_connection_retries_.fetch_add(1);
    call->fresh_retry_used = true;
    call->on_reused_link = false;
    call->link->close();
    call->parser.reset();
    open_connection(call);
    return true;
  }

  bool is_current(const call_pointer& call, const std::shared_ptr<connection>& link) const {
    return !call->finished && call->link == link;
  }

  void open_connection(const call_pointer& call) {
    auto link = std::make_shared<connection>(io_, tls_context_ ? &*tls_context_ : nullptr);
    call->link = link;
    connections_opened_.fetch_add(1);
    resolver_.async_resolve(origin_.host, origin_.port,
                            [this, call, link](beast::error_code failure, const tcp::resolver::results_type& endpoints) {
                              if (!is_current(call, link)) return;
                              if (failure) return fail(call, "could not resolve " + origin_.host + " (" + failure.message() + ")");
                              link->tcp().expires_after(options_.connect_timeout);
                              link->tcp().async_connect(endpoints, [this, call, link](beast::error_code connect_failure,
                                                                                      const tcp::endpoint&) {
                                on_connected(call, link, connect_failure);
                              });
                            });
  }

  void on_connected(const call_pointer& call, const std::shared_ptr<connection>& link, beast::error_code failure) {
    if (!is_current(call, link)) return;
    if (failure == beast::error::timeout) {
      return fail(call, "connecting to " + origin_name_ + " timed out after " + milliseconds_text(options_.connect_timeout));
    }
    if (failure) return fail(call, "could not connect to " + origin_name_ + " (" + failure.message() + ")");
    // A request and its answer are whole messages: Nagle's algorithm would hold a message's last
    // segment until the previous one is acknowledged, which a delayed ACK can stretch to 40 ms.
    beast::error_code ignored;
    link->tcp().socket().set_option(tcp::no_delay(true), ignored);
    if (!link->secure) return send(call);

    // SNI carries a host name, never an IP address (RFC 6066); verification checks either.
    if (!is_ip_literal(origin_.host) && !set_server_name(link->secure->native_handle(), origin_.host)) {
      return fail(call, "could not set the TLS server name for " + origin_.host);
    }
    if (options_.verify_peer) {
      link->secure->set_verify_mode(ssl::verify_peer);
      link->secure->set_verify_callback(ssl::host_name_verification(origin_.host));
    }
    link->tcp().expires_after(options_.connect_timeout);
    link->secure->async_handshake(ssl::stream_base::client, [this, call, link](beast::error_code handshake_failure) {
      on_handshake(call, link, handshake_failure);
    });
  }

  void on_handshake(const call_pointer& call, const std::shared_ptr<connection>& link, beast::error_code failure) {
    if (!is_current(call, link)) return;
    if (!failure) return send(call);
    if (failure == beast::error::timeout) {
      return fail(call, "the TLS handshake with " + origin_name_ + " timed out after " +
                            milliseconds_text(options_.connect_timeout));
    }
    const long verify_result = SSL_get_verify_result(link->secure->native_handle());
    const bool verification_failed = failure.category() == asio::error::get_ssl_category() &&
                                     ERR_GET_REASON(static_cast<unsigned long>(failure.value())) ==
                                         SSL_R_CERTIFICATE_VERIFY_FAILED;
    if (verification_failed) {
      // host_name_verification refuses a valid chain for another name without an OpenSSL reason.
      const std::string reason = verify_result == X509_V_OK || verify_result == X509_V_ERR_UNSPECIFIED
                                     ? "the certificate does not name " + origin_.host
                                     : std::string(X509_verify_cert_error_string(verify_result));
      return fail(call, "TLS certificate verification failed for " + origin_name_ + ": " + reason);
    }
    fail(call, "the TLS handshake with " + origin_name_ + " failed (" + failure.message() + ")");
  }

  void send(const call_pointer& call) {
    const auto link = call->link;
    link->tcp().expires_after(options_.read_timeout);
    link->with_stream([&](auto& stream) {
      http::async_write(stream, call->request, [this, call, link](beast::error_code failure, std::size_t) {
        if (!is_current(call, link)) return;
        if (failure) {
          if (retry_if_stale(call, failure)) return;
          if (failure == beast::error::timeout) {
            return fail(call, "sending the request to " + origin_name_ + " timed out after " +
                                  milliseconds_text(options_.read_timeout));
          }
          return fail(call, "sending the request to " + origin_name_ + " failed (" + failure.message() + ")");
        }
        call->parser.emplace();
        call->parser->body_limit(response_body_limit);
        call->parser->header_limit(response_header_limit);
        read_some(call);
      });
    });
  }

  void read_some(const call_pointer& call) {
    const auto link = call->link;
    // Reset before every read: read_timeout bounds the silence between bytes, not the whole answer.
    link->tcp().expires_after(options_.read_timeout);
    link->with_stream([&](auto& stream) {
      http::async_read_some(stream, link->buffer, *call->parser,
                            [this, call, link](beast::error_code failure, std::size_t bytes) {
                              on_read(call, link, failure, bytes);
                            });
    });
  }

  void on_read(const call_pointer& call, const std::shared_ptr<connection>& link, beast::error_code failure,
               std::size_t bytes) {
    if (!is_current(call, link)) return;
    if (bytes > 0 || link->buffer.size() > 0) call->answer_started = true;
    if (failure) {
      if (retry_if_stale(call, failure)) return;
      if (failure == beast::error::timeout) {
        return fail(call, "no answer from " + origin_name_ + " within the read timeout of " +
                              milliseconds_text(options_.read_timeout));
      }
      if (failure == http::error::body_limit) {
        return fail(call, "the answer from " + origin_name_ + " is larger than " +
                              std::to_string(response_body_limit) + " bytes");
      }
      if (!call->answer_started) {
        return fail(call, origin_name_ + " closed the connection without answering (" + failure.message() + ")");
      }
      return fail(call, "reading the answer from " + origin_name_ + " failed (" + failure.message() + ")");
    }
    if (!call->parser->is_done()) return read_some(call);

    auto& response = call->parser->get();
    upstream_response answer;
    answer.status = response.result_int();
    answer.retry_after = std::string(response[http::field::retry_after]);
    answer.body = std::move(response.body());
    const bool reusable = response.keep_alive() && link->buffer.size() == 0 && !shutting_down_;
    call->parser.reset();
    if (reusable) {
      link->tcp().expires_never();
      link->idle_since = std::chrono::steady_clock::now();
      idle_.push_back(link);
      // Keep at most max_in_flight idle connections: the oldest is the likeliest to be stale.
      if (idle_.size() > options_.max_in_flight) {
        idle_.front()->close();
        idle_.erase(idle_.begin());
      }
    } else {
      link->close();
    }
    finish(call, std::move(answer));
  }

  void shut_down() {
    shutting_down_ = true;
    const auto error_for_all = make_error(error_code::upstream_unavailable,
                                          "the client for " + origin_name_ + " is shutting down");
    auto queued = std::move(queue_);
    for (const auto& call : queued) finish(call, error_for_all);
    const std::vector<call_pointer> running(active_.begin(), active_.end());
    for (const auto& call : running) fail(call, error_for_all.message);
    for (const auto& link : idle_) link->close();
    idle_.clear();
    resolver_.cancel();
    for (const auto& timer : timers_) timer->cancel();  // their actions run, then the io thread ends
  }

  upstream_url origin_;
  https_client_options options_;
  std::string origin_name_;  // "host:port", the only thing about the origin that errors name
  std::string host_header_;
  std::string configuration_error_;
  asio::io_context io_;
  std::optional<ssl::context> tls_context_;
  tcp::resolver resolver_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;

  // The io thread's state.
  std::deque<call_pointer> queue_;
  std::set<call_pointer> active_;
  std::vector<std::shared_ptr<connection>> idle_;
  std::set<std::shared_ptr<asio::steady_timer>> timers_;
  std::size_t in_flight_ = 0;
  bool shutting_down_ = false;

  std::mutex admission_mutex_;
  bool stopping_ = false;  // guarded by admission_mutex_: no new work once the destructor began
  std::atomic<std::uint64_t> connections_opened_{0};
  std::atomic<std::uint64_t> stale_connection_retries_{0};
  std::atomic<std::uint64_t> idle_connections_retired_{0};
  std::thread thread_;
};

https_client::https_client(upstream_url origin, https_client_options options)
    : implementation_(std::make_unique<implementation>(std::move(origin), std::move(options))) {}

https_client::~https_client() = default;

void https_client::post(std::string path_and_query, std::string body, std::vector<upstream_header> headers,
                        upstream_callback done) {
  implementation_->send(http::verb::post, std::move(path_and_query), std::move(body), std::move(headers), std::move(done));
}

void https_client::get(std::string path_and_query, std::vector<upstream_header> headers, upstream_callback done) {
  implementation_->send(http::verb::get, std::move(path_and_query), {}, std::move(headers), std::move(done));
}

void https_client::run_after(std::chrono::milliseconds delay, std::function<void()> action) {
  implementation_->run_after(delay, std::move(action));
}

std::uint64_t https_client::connections_opened() const noexcept { return implementation_->connections_opened(); }
std::uint64_t https_client::stale_connection_retries() const noexcept {
  return implementation_->stale_connection_retries();
}
std::uint64_t https_client::idle_connections_retired() const noexcept {
  return implementation_->idle_connections_retired();
}

}  // namespace mosaic::server
