#include "shared_state/redis_client.hpp"

#include <hiredis/hiredis.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <queue>
#include <thread>

namespace mosaic::server {
namespace {

using clock = std::chrono::steady_clock;

timeval to_timeval(std::chrono::milliseconds duration) {
  timeval value{};
  value.tv_sec = static_cast<decltype(value.tv_sec)>(duration.count() / 1000);
  value.tv_usec = static_cast<decltype(value.tv_usec)>((duration.count() % 1000) * 1000);
  return value;
}

redis_reply convert(const redisReply& reply) {
  redis_reply converted;
  switch (reply.type) {
    case REDIS_REPLY_INTEGER:
      converted.type = redis_reply::kind::integer;
      converted.integer = reply.integer;
      break;
    case REDIS_REPLY_STRING:
      converted.type = redis_reply::kind::text;
      converted.text.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_STATUS:
      converted.type = redis_reply::kind::status;
      converted.text.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_ARRAY:
      converted.type = redis_reply::kind::array;
      converted.elements.reserve(reply.elements);
      for (std::size_t i = 0; i < reply.elements; ++i) converted.elements.push_back(convert(*reply.element[i]));
      break;
    default:
      converted.type = redis_reply::kind::nil;
      break;
  }
  return converted;
}

struct queued_job {
  clock::time_point due;
  std::uint64_t sequence;  // equal due times run in submission order
  redis_client::job work;
};

struct later_first {
  bool operator()(const queued_job& left, const queued_job& right) const {
    return left.due != right.due ? left.due > right.due : left.sequence > right.sequence;
  }
};

}  // namespace

class redis_client::implementation final : public redis_connection {
 public:
  explicit implementation(redis_client_options options) : options_(std::move(options)), thread_([this] { run(); }) {
    // Connect at start, so /api/health tells the truth before the first cache miss.
    submit([](redis_connection& connection) {
      const std::string_view ping[] = {"PING"};
      static_cast<void>(connection.command(ping));
    }, std::chrono::milliseconds(0));
  }

  ~implementation() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
    disconnect();
  }

  void submit(job work, std::chrono::milliseconds delay) {
    {
      std::lock_guard lock(mutex_);
      if (!stopping_ && jobs_.size() < options_.max_queued_jobs) {
        jobs_.push({clock::now() + delay, next_sequence_++, std::move(work)});
        wake_.notify_one();
        return;
      }
    }
    // A full queue (Redis far behind) or a client shutting down: the job runs now, on the caller's
    // thread, against no connection, so it takes its local fallback instead of waiting.
    offline_connection offline;
    work(offline);
  }

  redis_client_statistics statistics() const {
    std::lock_guard lock(statistics_mutex_);
    redis_client_statistics copy = statistics_;
    std::lock_guard queue_lock(mutex_);
    copy.queued_jobs = jobs_.size();
    return copy;
  }

  const redis_address& address() const noexcept { return options_.address; }

  // redis_connection, used by jobs on this object's thread.
  result<redis_reply> command(std::span<const std::string_view> arguments) override {
    if (context_ == nullptr) {
      return make_error(error_code::upstream_unavailable, "Redis at " + options_.address.description() + " is unavailable");
    }
    std::vector<const char*> pointers;
    std::vector<std::size_t> lengths;
    pointers.reserve(arguments.size());
    lengths.reserve(arguments.size());
    for (std::string_view argument : arguments) {
      pointers.push_back(argument.data());
      lengths.push_back(argument.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(context_, static_cast<int>(arguments.size()), pointers.data(), lengths.data()));
    if (reply == nullptr) {
      // hiredis marks the context unusable after an I/O error or a timeout: drop it.
      const std::string problem = context_->errstr[0] != '\0' ? context_->errstr : "no answer";
      fail("Redis at " + options_.address.description() + ": " + problem);
      return make_error(error_code::upstream_unavailable, "Redis at " + options_.address.description() + ": " + problem);
    }
    const std::unique_ptr<redisReply, void (*)(void*)> owned(reply, freeReplyObject);
    record_success();
    if (reply->type == REDIS_REPLY_ERROR) return make_error(error_code::upstream_rejected, std::string(reply->str, reply->len));
    return convert(*reply);
  }

  [[nodiscard]] bool usable() const override { return context_ != nullptr; }

 private:
  // What jobs see when they run off the thread: every command fails at once.
  class offline_connection final : public redis_connection {
   public:
    result<redis_reply> command(std::span<const std::string_view>) override {
      return make_error(error_code::upstream_unavailable, "Redis is unavailable (the proxy's Redis queue is full or closing)");
    }
    [[nodiscard]] bool usable() const override { return false; }
  };

  void run() {
    std::unique_lock lock(mutex_);
    while (true) {
      if (jobs_.empty()) {
        if (stopping_) return;
        wake_.wait(lock);
        continue;
      }
      // At shutdown every job runs now: callers are waiting on them.
      if (const clock::time_point due = jobs_.top().due; !stopping_ && due > clock::now()) {
        // A copy: a job submitted while this waits may move the queue's storage.
        wake_.wait_until(lock, due);
        continue;
      }
      job work = std::move(const_cast<queued_job&>(jobs_.top()).work);
      jobs_.pop();
      const bool closing = stopping_;
      lock.unlock();
      if (closing) {
        offline_connection offline;
        work(offline);
      } else {
        connect_if_due();
        work(*this);
      }
      lock.lock();
    }
  }

  void connect_if_due() {
    if (context_ != nullptr || clock::now() < next_connect_attempt_) return;
    const auto& address = options_.address;
    redisContext* context = redisConnectWithTimeout(address.host.c_str(), address.port, to_timeval(options_.connect_timeout));
    if (context == nullptr || context->err != 0) {
      const std::string problem = context != nullptr ? context->errstr : "cannot allocate a connection";
      if (context != nullptr) redisFree(context);
      fail("cannot connect to Redis at " + address.description() + ": " + problem);
      return;
    }
    redisSetTimeout(context, to_timeval(options_.command_timeout));
    context_ = context;
    {
      std::lock_guard lock(statistics_mutex_);
      ++statistics_.connections;
    }
    // AUTH and SELECT through command(), so a failure is handled like any other; the password goes
    // in the command only, and Redis' error replies to AUTH do not quote it.
    if (!address.password.empty()) {
      std::vector<std::string_view> auth{"AUTH"};
      if (!address.user.empty()) auth.emplace_back(address.user);
      auth.emplace_back(address.password);
      if (auto answer = command(auth); !answer) {
        fail("Redis at " + address.description() + " refused the password");
        return;
      }
    }
    if (address.database != 0) {
      const std::string database = std::to_string(address.database);
      const std::string_view select[] = {"SELECT", database};
      if (auto answer = command(select); !answer) {
        fail("Redis at " + address.description() + " refused SELECT " + database + ": " + answer.failure().message);
        return;
      }
    }
  }

  void disconnect() {
    if (context_ != nullptr) redisFree(context_);
    context_ = nullptr;
  }

  void fail(std::string problem) {
    disconnect();
    next_connect_attempt_ = clock::now() + options_.reconnect_interval;
    std::lock_guard lock(statistics_mutex_);
    ++statistics_.failures;
    statistics_.available = false;
    statistics_.last_error = std::move(problem);
  }

  void record_success() {
    std::lock_guard lock(statistics_mutex_);
    ++statistics_.commands;
    statistics_.available = true;
  }

  redis_client_options options_;
  // Owned by the thread: the connection, and when the next one may be tried.
  redisContext* context_ = nullptr;
  clock::time_point next_connect_attempt_{};

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::priority_queue<queued_job, std::vector<queued_job>, later_first> jobs_;
  std::uint64_t next_sequence_ = 0;
  bool stopping_ = false;

  mutable std::mutex statistics_mutex_;
  redis_client_statistics statistics_;

  std::thread thread_;  // last: starts when everything above is ready
};

redis_client::redis_client(redis_client_options options) : implementation_(std::make_unique<implementation>(std::move(options))) {}
redis_client::~redis_client() = default;

void redis_client::submit(job work, std::chrono::milliseconds delay) { implementation_->submit(std::move(work), delay); }
redis_client_statistics redis_client::statistics() const { return implementation_->statistics(); }
const redis_address& redis_client::address() const noexcept { return implementation_->address(); }

}  // namespace mosaic::server
