#include "shared_state/shared_embedding_provider.hpp"

#include <bit>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <vector>

#include "embed/embedding_cache.hpp"
#include "shared_state/redis_script.hpp"

namespace mosaic::server {
namespace {

using clock = std::chrono::steady_clock;

static_assert(std::endian::native == std::endian::little, "the shared cache's values are little-endian floats");
constexpr std::string_view value_magic = "MEV1";

std::string encode_vector(const std::vector<float>& vector) {
  std::string value(value_magic);
  const auto dimensions = static_cast<std::uint32_t>(vector.size());
  value.append(reinterpret_cast<const char*>(&dimensions), sizeof dimensions);
  value.append(reinterpret_cast<const char*>(vector.data()), vector.size() * sizeof(float));
  return value;
}

// A value from Redis is checked like any outside input: magic, size, and the asked dimensions.
std::optional<std::vector<float>> decode_vector(const std::string& value, std::size_t dimensions) {
  if (value.size() != value_magic.size() + 4 + dimensions * sizeof(float) || !value.starts_with(value_magic)) return std::nullopt;
  std::uint32_t stored = 0;
  std::memcpy(&stored, value.data() + value_magic.size(), sizeof stored);
  if (stored != dimensions) return std::nullopt;
  std::vector<float> vector(dimensions);
  std::memcpy(vector.data(), value.data() + value_magic.size() + 4, dimensions * sizeof(float));
  return vector;
}

std::string hex(const embedding_cache_key& key) {
  constexpr char digits[] = "0123456789abcdef";
  std::string text;
  text.reserve(key.size() * 2);
  for (std::uint8_t byte : key) {
    text += digits[byte >> 4];
    text += digits[byte & 15];
  }
  return text;
}

// Stores the vector with its TTL and gives up the lock, if this proxy still holds it (an expired lock
// may belong to another proxy by now), in one atomic step.
constexpr const char* store_source = R"lua(
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
return 1
)lua";

// For each input (KEYS: its value key, then its lock key): its vector when Redis has it; else 1 when
// this proxy takes the lock (SET NX PX: it fetches), 0 when another proxy holds it (this one waits),
// or 2 when ARGV[3] is "0" (take no lock: fetch without one). One script, so a vector stored and a lock
// released between a look-up and a SET NX cannot make a second proxy fetch it again.
constexpr const char* claim_source = R"lua(
local outcomes = {}
for i = 1, #KEYS, 2 do
  local value = redis.call('GET', KEYS[i])
  if value then
    outcomes[#outcomes + 1] = value
  elseif ARGV[3] == '0' then
    outcomes[#outcomes + 1] = 2
  elseif redis.call('SET', KEYS[i + 1], ARGV[1], 'NX', 'PX', ARGV[2]) then
    outcomes[#outcomes + 1] = 1
  else
    outcomes[#outcomes + 1] = 0
  end
end
return outcomes
)lua";

constexpr const char* release_source = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

// One caller's batch while its inputs are answered, each exactly once; `done` runs once, when the last
// input is answered or at the first error.
struct shared_request {
  embedding_batch batch;
  std::size_t dimensions = 0;
  std::vector<std::string> value_keys;
  std::vector<std::string> lock_keys;
  clock::time_point wait_deadline;

  std::mutex mutex;
  embedding_vectors vectors;
  std::size_t remaining = 0;
  bool finished = false;
  embedding_callback done;

  void answer(std::size_t index, std::vector<float> vector) {
    embedding_callback callback;
    {
      std::lock_guard lock(mutex);
      if (finished) return;
      vectors[index] = std::move(vector);
      if (--remaining > 0) return;
      finished = true;
      callback = std::move(done);
    }
    callback(std::move(vectors));
  }

  void fail(error problem) {
    embedding_callback callback;
    {
      std::lock_guard lock(mutex);
      if (finished) return;
      finished = true;
      callback = std::move(done);
    }
    callback(std::move(problem));
  }
};

}  // namespace

std::string embedding_key_model(std::string_view model_id, std::string_view salt) {
  return std::to_string(model_id.size()) + ':' + std::string(model_id) + std::string(salt);
}

class shared_embedding_provider::implementation {
 public:
  implementation(embedding_provider& inner, redis_client& redis, std::string key_model, shared_embedding_options options)
      : inner_(inner),
        redis_(redis),
        key_model_(std::move(key_model)),
        options_(std::move(options)),
        time_to_live_milliseconds_(std::to_string(std::chrono::milliseconds(options_.time_to_live).count())),
        lock_time_to_live_milliseconds_(std::to_string(options_.lock_time_to_live.count())),
        claim_(claim_source),
        store_(store_source),
        release_(release_source) {}

  ~implementation() {
    std::unique_lock lock(active_mutex_);
    stopping_ = true;
    ended_.wait(lock, [this] { return active_ == 0; });
  }

  embedding_provider& inner() { return inner_; }

  void embed(embedding_batch batch, embedding_callback done) {
    const std::size_t count = batch.inputs.size();
    if (count == 0) {
      done(embedding_vectors{});
      return;
    }
    auto request = std::make_shared<shared_request>();
    request->dimensions = batch.dimensions == 0 ? inner_.dimensions() : batch.dimensions;
    for (const embedding_input& input : batch.inputs) {
      const std::string key = hex(make_embedding_cache_key(key_model_, request->dimensions, batch.task, input));
      request->value_keys.push_back(options_.key_prefix + "embedding:" + key);
      request->lock_keys.push_back(options_.key_prefix + "fetching:" + key);
    }
    request->batch = std::move(batch);
    request->vectors.resize(count);
    request->remaining = count;
    request->done = std::move(done);
    request->wait_deadline = clock::now() + options_.wait_limit;
    std::vector<std::size_t> everything(count);
    for (std::size_t i = 0; i < count; ++i) everything[i] = i;
    begin();
    redis_.submit([this, request, everything = std::move(everything)](redis_connection& connection) {
      look_up(request, everything, connection, false);
      end();
    });
  }

  shared_embedding_statistics statistics() const {
    shared_embedding_statistics copy;
    copy.hits = hits_;
    copy.misses = misses_;
    copy.fetched = fetched_;
    copy.waited = waited_;
    copy.answered_by_peer = answered_by_peer_;
    copy.fallbacks = fallbacks_;
    copy.stores = stores_;
    copy.store_failures = store_failures_;
    copy.invalid_values = invalid_values_;
    return copy;
  }

 private:
  // On the Redis thread: answers what Redis holds among `indices`, takes the lock of the rest where it
  // can and fetches those, and waits (polls) for the inputs another proxy is fetching. `waiting`: these
  // inputs are already waiting (a later poll), so they are not counted as misses again.
  void look_up(const std::shared_ptr<shared_request>& request, const std::vector<std::size_t>& indices,
               redis_connection& connection, bool waiting) {
    if (!connection.usable()) return fetch(request, indices, false);
    // Past the wait limit (or shutting down) an input is fetched here, without taking the lock.
    const bool waited_enough = clock::now() >= request->wait_deadline || is_stopping();
    std::vector<std::string_view> keys;
    for (std::size_t index : indices) {
      keys.emplace_back(request->value_keys[index]);
      keys.emplace_back(request->lock_keys[index]);
    }
    const std::string_view arguments[] = {options_.owner, lock_time_to_live_milliseconds_, waited_enough ? "0" : "1"};
    auto claimed = claim_.run(connection, keys, arguments);
    if (!claimed || claimed->type != redis_reply::kind::array || claimed->elements.size() != indices.size()) {
      return fetch(request, indices, false);
    }
    std::vector<std::size_t> mine;
    std::vector<std::size_t> theirs;
    std::vector<std::size_t> without_lock;
    std::size_t missing = 0;
    for (std::size_t i = 0; i < indices.size(); ++i) {
      const redis_reply& outcome = claimed->elements[i];
      if (outcome.type == redis_reply::kind::text) {
        if (auto vector = decode_vector(outcome.text, request->dimensions)) {
          ++(waiting ? answered_by_peer_ : hits_);
          request->answer(indices[i], std::move(*vector));
          continue;
        }
        // Not a vector of this size: fetched again (and overwritten), never served.
        ++invalid_values_;
        without_lock.push_back(indices[i]);
      } else if (outcome.type == redis_reply::kind::integer && outcome.integer == 1) {
        mine.push_back(indices[i]);
      } else if (outcome.type == redis_reply::kind::integer && outcome.integer == 0) {
        theirs.push_back(indices[i]);
      } else {
        without_lock.push_back(indices[i]);
      }
      ++missing;
    }
    if (!waiting) misses_ += missing;
    if (!mine.empty()) fetch(request, mine, true);
    if (!without_lock.empty()) fetch(request, without_lock, false);
    if (theirs.empty()) return;
    if (!waiting) waited_ += theirs.size();
    begin();
    redis_.submit([this, request, theirs = std::move(theirs)](redis_connection& later) {
      look_up(request, theirs, later, true);
      end();
    }, options_.poll_interval);
  }

  // Embeds `indices` with the inner provider. `shared`: this proxy holds their locks, so the vectors
  // are stored in Redis and the locks given up (also on failure, so waiters need not wait for expiry).
  void fetch(const std::shared_ptr<shared_request>& request, const std::vector<std::size_t>& indices, bool shared) {
    (shared ? fetched_ : fallbacks_) += indices.size();
    embedding_batch batch;
    batch.task = request->batch.task;
    batch.dimensions = request->batch.dimensions;
    // Each input is fetched at most once, so it can be moved out of the request.
    for (std::size_t index : indices) batch.inputs.push_back(std::move(request->batch.inputs[index]));
    begin();
    inner_.embed(std::move(batch), [this, request, indices, shared](result<embedding_vectors> answers) {
      bool well_formed = answers && answers->size() == indices.size();
      for (std::size_t i = 0; well_formed && i < indices.size(); ++i) well_formed = (*answers)[i].size() == request->dimensions;
      if (shared) {
        std::vector<std::string> values;
        if (well_formed) {
          for (const auto& vector : *answers) values.push_back(encode_vector(vector));
        }
        begin();
        redis_.submit([this, request, indices, values = std::move(values)](redis_connection& connection) {
          publish(*request, indices, values, connection);
          end();
        });
      }
      if (!answers) {
        request->fail(answers.failure());
      } else if (!well_formed) {
        request->fail(make_error(error_code::dimension_mismatch, "the provider " + inner_.model_id() +
                                                                     " answered vectors of the wrong count or size"));
      } else {
        for (std::size_t i = 0; i < indices.size(); ++i) request->answer(indices[i], std::move((*answers)[i]));
      }
      end();
    });
  }

  // Stores the fetched vectors (none when the fetch failed) and gives up this proxy's locks.
  void publish(const shared_request& request, const std::vector<std::size_t>& indices, const std::vector<std::string>& values,
               redis_connection& connection) {
    for (std::size_t i = 0; i < indices.size(); ++i) {
      const std::size_t index = indices[i];
      if (values.empty()) {
        const std::string_view keys[] = {request.lock_keys[index]};
        const std::string_view arguments[] = {options_.owner};
        static_cast<void>(release_.run(connection, keys, arguments));
        continue;
      }
      const std::string_view keys[] = {request.value_keys[index], request.lock_keys[index]};
      const std::string_view arguments[] = {values[i], time_to_live_milliseconds_, options_.owner};
      if (store_.run(connection, keys, arguments)) ++stores_;
      else ++store_failures_;
    }
  }

  void begin() {
    std::lock_guard lock(active_mutex_);
    ++active_;
  }
  void end() {
    std::lock_guard lock(active_mutex_);
    if (--active_ == 0) ended_.notify_all();
  }
  bool is_stopping() {
    std::lock_guard lock(active_mutex_);
    return stopping_;
  }

  embedding_provider& inner_;
  redis_client& redis_;
  std::string key_model_;
  shared_embedding_options options_;
  std::string time_to_live_milliseconds_;
  std::string lock_time_to_live_milliseconds_;
  // Used on the Redis thread only.
  redis_script claim_;
  redis_script store_;
  redis_script release_;

  std::mutex active_mutex_;
  std::condition_variable ended_;
  std::size_t active_ = 0;  // Redis jobs and inner calls started and not yet ended
  bool stopping_ = false;

  std::atomic<std::uint64_t> hits_{0}, misses_{0}, fetched_{0}, waited_{0}, answered_by_peer_{0}, fallbacks_{0}, stores_{0},
      store_failures_{0}, invalid_values_{0};
};

shared_embedding_provider::shared_embedding_provider(embedding_provider& inner, redis_client& redis, std::string key_model,
                                                     shared_embedding_options options)
    : implementation_(std::make_unique<implementation>(inner, redis, std::move(key_model), std::move(options))) {}
shared_embedding_provider::~shared_embedding_provider() = default;

const std::string& shared_embedding_provider::model_id() const noexcept { return implementation_->inner().model_id(); }
std::size_t shared_embedding_provider::dimensions() const noexcept { return implementation_->inner().dimensions(); }
bool shared_embedding_provider::accepts_mime_type(std::string_view mime_type) const noexcept {
  return implementation_->inner().accepts_mime_type(mime_type);
}
void shared_embedding_provider::embed(embedding_batch batch, embedding_callback done) {
  implementation_->embed(std::move(batch), std::move(done));
}
shared_embedding_statistics shared_embedding_provider::statistics() const { return implementation_->statistics(); }

}  // namespace mosaic::server
