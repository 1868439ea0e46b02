#include "http/event_hub.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <array>
#include <deque>

#include "http/site_events.hpp"

namespace mosaic::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

// One stream: writes queued text in order, one write at a time, on the connection's strand. Reads
// only to learn that the client went away (an SSE client sends nothing after its request).
class event_stream : public std::enable_shared_from_this<event_stream> {
 public:
  event_stream(tcp::socket socket, const event_hub_options& options)
      : stream_(std::move(socket)), heartbeat_timer_(stream_.get_executor()), options_(options) {}

  // On the connection's strand: the head and first event go out, and the heartbeat starts.
  void start(std::string head, std::string first_event) {
    queue_.push_back(std::make_shared<const std::string>(std::move(head) + first_event));
    write_next();
    watch_for_close();
    schedule_heartbeat();
  }

  // From any thread.
  void send(std::shared_ptr<const std::string> event) {
    asio::post(stream_.get_executor(), [self = shared_from_this(), event = std::move(event)] { self->enqueue(event); });
  }

  // A one-off answer (503 when the hub is full, or stopping): written, then the connection closes.
  void refuse(std::string answer) {
    close_after_writes_ = true;
    queue_.push_back(std::make_shared<const std::string>(std::move(answer)));
    write_next();
  }

  void close_from_anywhere() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
  }

 private:
  void enqueue(std::shared_ptr<const std::string> event) {
    if (closed_) return;
    if (queue_.size() >= options_.max_queued_events) return close();  // a client this far behind is gone
    queue_.push_back(std::move(event));
    if (!writing_) write_next();
  }

  void write_next() {
    if (closed_ || writing_) return;
    if (queue_.empty()) {
      if (close_after_writes_) close();
      return;
    }
    writing_ = true;
    stream_.expires_after(options_.write_timeout);
    const std::shared_ptr<const std::string> text = queue_.front();
    asio::async_write(stream_, asio::buffer(*text), [self = shared_from_this(), text](beast::error_code failure, std::size_t) {
      self->writing_ = false;
      if (failure) return self->close();
      self->queue_.pop_front();
      // Idle between events: no timeout applies while there is nothing to write.
      if (self->queue_.empty() && !self->closed_) self->stream_.expires_never();
      self->write_next();
    });
  }

  void watch_for_close() {
    // The raw socket, so the write timeout does not apply to this read that normally never ends.
    stream_.socket().async_read_some(asio::buffer(read_buffer_), [self = shared_from_this()](beast::error_code failure, std::size_t) {
      if (failure) return self->close();
      self->watch_for_close();  // anything a client sends is ignored
    });
  }

  void schedule_heartbeat() {
    heartbeat_timer_.expires_after(options_.heartbeat);
    heartbeat_timer_.async_wait([self = shared_from_this()](beast::error_code failure) {
      if (failure || self->closed_) return;
      if (self->queue_.empty()) self->enqueue(std::make_shared<const std::string>(heartbeat_event));
      self->schedule_heartbeat();
    });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    heartbeat_timer_.cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  asio::steady_timer heartbeat_timer_;
  const event_hub_options options_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::array<char, 256> read_buffer_{};
  bool writing_ = false;
  bool closed_ = false;
  bool close_after_writes_ = false;
};

event_hub::event_hub(event_hub_options options, std::string latest_event)
    : options_(options), latest_event_(std::move(latest_event)) {}

event_hub::~event_hub() = default;

void event_hub::open(tcp::socket socket, std::string head) {
  auto stream = std::make_shared<event_stream>(std::move(socket), options_);
  std::unique_lock lock(mutex_);
  std::erase_if(streams_, [](const std::weak_ptr<event_stream>& entry) { return entry.expired(); });
  if (closed_ || streams_.size() >= options_.max_streams) {
    lock.unlock();
    const std::string body = closed_ ? R"({"error":{"code":"stopping","message":"the server is stopping"}})"
                                     : R"({"error":{"code":"too_many_streams","message":"too many open event streams; try again later"}})";
    stream->refuse("HTTP/1.1 503 Service Unavailable\r\nServer: mosaic\r\nContent-Type: application/json\r\nRetry-After: 30\r\n"
                   "Connection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    return;
  }
  streams_.push_back(stream);
  // Under the lock: an event published from now on is queued after this first one, none is lost.
  std::string first = latest_event_;
  stream->start(std::move(head), std::move(first));
}

void event_hub::publish(std::string event) {
  auto shared = std::make_shared<const std::string>(event);
  std::lock_guard lock(mutex_);
  latest_event_ = std::move(event);
  for (const auto& entry : streams_) {
    if (auto stream = entry.lock()) stream->send(shared);
  }
}

void event_hub::close_all() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  for (const auto& entry : streams_) {
    if (auto stream = entry.lock()) stream->close_from_anywhere();
  }
  streams_.clear();
}

std::size_t event_hub::open_streams() {
  std::lock_guard lock(mutex_);
  std::erase_if(streams_, [](const std::weak_ptr<event_stream>& entry) { return entry.expired(); });
  return streams_.size();
}

}  // namespace mosaic::server
