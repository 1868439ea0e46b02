#include "embed/embedding_cache.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <list>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "hash/sha256.hpp"
#include "hash/xxhash64.hpp"

namespace mosaic::server {
namespace {

namespace fs = std::filesystem;

// The file is written and read with memcpy of native integers and floats.
static_assert(std::endian::native == std::endian::little, "the cache file format is little-endian");
static_assert(sizeof(float) == 4);

constexpr std::array<std::uint8_t, 8> file_magic = {0x89, 'M', 'C', 'A', 'C', 'H', 'E', '\n'};
constexpr std::uint32_t file_version = 1;
constexpr std::size_t file_header_size = 32;
constexpr std::size_t record_header_size = 48;
constexpr std::uint32_t record_magic = 0x3152434Du;  // "MCR1" as bytes on disk
// No embedding model comes close; the cap keeps a hostile record from asking for gigabytes.
constexpr std::uint32_t maximum_dimensions = 65'536;

std::uint64_t record_size_for(std::uint64_t dimensions) { return record_header_size + dimensions * sizeof(float); }

template <typename T>
void put(std::uint8_t* destination, T value) {
  std::memcpy(destination, &value, sizeof(T));
}
template <typename T>
T get(const std::uint8_t* source) {
  T value;
  std::memcpy(&value, source, sizeof(T));
  return value;
}

error io_failure(const fs::path& path, const std::string& what) {
  return make_error(error_code::io_error, what + " " + path.string() + " (" + std::strerror(errno) + ")");
}

// Owns a descriptor (and the flock on its open file description). Shared so a lookup can pread
// without the mutex while a compaction swaps in the new file: the old file stays readable until the
// last reader lets go of it.
struct file_handle {
  int descriptor = -1;
  explicit file_handle(int opened) : descriptor(opened) {}
  ~file_handle() {
    if (descriptor >= 0) ::close(descriptor);
  }
  file_handle(const file_handle&) = delete;
  file_handle& operator=(const file_handle&) = delete;
};

bool write_all_at(int descriptor, std::span<const std::uint8_t> bytes, std::uint64_t offset) {
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t count = ::pwrite(descriptor, bytes.data() + written, bytes.size() - written,
                                   static_cast<off_t>(offset + written));
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) return false;
    written += static_cast<std::size_t>(count);
  }
  return true;
}

bool read_all_at(int descriptor, std::span<std::uint8_t> bytes, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t count =
        ::pread(descriptor, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) return false;
    done += static_cast<std::size_t>(count);
  }
  return true;
}

std::array<std::uint8_t, file_header_size> encode_file_header() {
  std::array<std::uint8_t, file_header_size> header{};
  std::memcpy(header.data(), file_magic.data(), file_magic.size());
  put<std::uint32_t>(header.data() + 8, file_version);
  put<std::uint32_t>(header.data() + 12, static_cast<std::uint32_t>(record_header_size));
  put<std::uint64_t>(header.data() + 16, 0);
  put<std::uint64_t>(header.data() + 24, hash::xxhash64(std::span<const std::uint8_t>(header.data(), 24)));
  return header;
}

void encode_record(const embedding_cache_key& key, std::span<const float> vector, std::vector<std::uint8_t>& out) {
  const std::size_t start = out.size();
  out.resize(start + static_cast<std::size_t>(record_size_for(vector.size())));
  std::uint8_t* record = out.data() + start;
  put<std::uint32_t>(record + 8, record_magic);
  put<std::uint32_t>(record + 12, static_cast<std::uint32_t>(vector.size()));
  std::memcpy(record + 16, key.data(), key.size());
  std::memcpy(record + record_header_size, vector.data(), vector.size() * sizeof(float));
  const std::size_t size = out.size() - start;
  put<std::uint64_t>(record, hash::xxhash64(std::span<const std::uint8_t>(record + 8, size - 8)));
}

// What a record header says, before its payload is trusted.
struct record_header {
  std::uint64_t checksum = 0;
  std::uint32_t dimensions = 0;
  embedding_cache_key key{};
};

// The header is plausible: right magic, dimensions in range, the record fits before `file_size`.
std::optional<record_header> plausible_record_header(int descriptor, std::uint64_t offset, std::uint64_t file_size) {
  if (file_size < offset || file_size - offset < record_header_size) return std::nullopt;
  std::array<std::uint8_t, record_header_size> bytes{};
  if (!read_all_at(descriptor, bytes, offset)) return std::nullopt;
  record_header header;
  header.checksum = get<std::uint64_t>(bytes.data());
  header.dimensions = get<std::uint32_t>(bytes.data() + 12);
  if (get<std::uint32_t>(bytes.data() + 8) != record_magic) return std::nullopt;
  if (header.dimensions == 0 || header.dimensions > maximum_dimensions) return std::nullopt;
  if (file_size - offset < record_size_for(header.dimensions)) return std::nullopt;
  std::memcpy(header.key.data(), bytes.data() + 16, header.key.size());
  return header;
}

// Reads and verifies one whole record; nullopt when it is cut, damaged or not the expected one.
std::optional<std::vector<float>> read_record(int descriptor, std::uint64_t offset, std::uint32_t dimensions,
                                              const embedding_cache_key& key) {
  if (dimensions == 0 || dimensions > maximum_dimensions) return std::nullopt;
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(record_size_for(dimensions)));
  if (!read_all_at(descriptor, bytes, offset)) return std::nullopt;
  const std::uint64_t checksum = hash::xxhash64(std::span<const std::uint8_t>(bytes).subspan(8));
  if (checksum != get<std::uint64_t>(bytes.data())) return std::nullopt;
  if (get<std::uint32_t>(bytes.data() + 8) != record_magic) return std::nullopt;
  if (get<std::uint32_t>(bytes.data() + 12) != dimensions) return std::nullopt;
  if (std::memcmp(bytes.data() + 16, key.data(), key.size()) != 0) return std::nullopt;
  std::vector<float> vector(dimensions);
  std::memcpy(vector.data(), bytes.data() + record_header_size, vector.size() * sizeof(float));
  return vector;
}

// Counts the records from `offset` to the end as far as their lengths can be followed (the statistic
// for what was dropped); whatever cannot be followed counts as one more.
std::uint64_t count_records_from(int descriptor, std::uint64_t offset, std::uint64_t file_size) {
  std::uint64_t count = 0;
  while (offset < file_size) {
    ++count;
    const auto header = plausible_record_header(descriptor, offset, file_size);
    if (!header) break;
    offset += record_size_for(header->dimensions);
  }
  return count;
}

struct key_hash {
  std::size_t operator()(const embedding_cache_key& key) const noexcept {
    // The key is a SHA-256 digest: any 8 bytes of it are already uniformly distributed.
    return static_cast<std::size_t>(get<std::uint64_t>(key.data()));
  }
};

void append_length_prefixed(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> bytes) {
  std::array<std::uint8_t, 8> length{};
  put<std::uint64_t>(length.data(), bytes.size());
  out.insert(out.end(), length.begin(), length.end());
  out.insert(out.end(), bytes.begin(), bytes.end());
}
void append_length_prefixed(std::vector<std::uint8_t>& out, std::string_view text) {
  append_length_prefixed(out, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()),
                                                            text.size()));
}
void append_number(std::vector<std::uint8_t>& out, std::uint64_t number) {
  std::array<std::uint8_t, 8> bytes{};
  put<std::uint64_t>(bytes.data(), number);
  out.insert(out.end(), bytes.begin(), bytes.end());
}

}  // namespace

embedding_cache_key make_embedding_cache_key(std::string_view model, std::size_t dimensions, embedding_task task,
                                             const embedding_input& input) {
  // Every variable-length field carries its length, so ("ab","c") and ("a","bc") differ; the leading
  // tag versions the scheme (changing the serialization must change every key).
  std::vector<std::uint8_t> serialized;
  std::size_t payload = 64 + model.size() + input.title.size();
  for (const embedding_part& part : input.parts) payload += 32 + part.mime_type.size() + part.text.size() + part.bytes.size();
  serialized.reserve(payload);
  append_length_prefixed(serialized, std::string_view("mosaic.embedding-cache-key.v1"));
  append_length_prefixed(serialized, model);
  append_number(serialized, dimensions);
  append_number(serialized, static_cast<std::uint64_t>(task));
  append_number(serialized, input.parts.size());
  for (const embedding_part& part : input.parts) {
    append_number(serialized, part.is_text() ? 0 : 1);
    append_length_prefixed(serialized, part.mime_type);
    append_length_prefixed(serialized, part.is_text() ? std::string_view(part.text) : std::string_view(part.bytes));
  }
  append_length_prefixed(serialized, input.title);
  return hash::sha256(serialized);
}

class embedding_cache::implementation {
 public:
  explicit implementation(embedding_cache_options options) : options_(std::move(options)) {}

  status open_file();
  std::optional<std::vector<float>> find(const embedding_cache_key& key);
  status store(const embedding_cache_key& key, std::span<const float> vector);
  status sync();
  embedding_cache_statistics statistics() const {
    std::lock_guard lock(mutex_);
    embedding_cache_statistics copy = statistics_;
    copy.memory_entries = memory_recency_.size();
    copy.memory_bytes = memory_bytes_;
    copy.file_entries = file_recency_.size();
    copy.file_bytes = file_ ? file_end_ : 0;
    return copy;
  }

 private:
  struct entry {
    std::vector<float> vector;  // the memory level; empty when only on file
    bool in_memory = false;
    std::list<embedding_cache_key>::iterator memory_position;
    bool on_file = false;
    std::uint64_t offset = 0;
    std::uint32_t dimensions = 0;
    std::list<embedding_cache_key>::iterator file_position;
  };
  using entry_map = std::unordered_map<embedding_cache_key, entry, key_hash>;

  // What one in-memory vector costs besides its floats: the map node (value, next pointer, cached hash,
  // allocator header), its bucket pointer, one list node (two pointers, the key, allocator header) and
  // the vector buffer's allocator header.
  static constexpr std::size_t allocation_header = 16;
  static constexpr std::size_t entry_overhead = sizeof(entry_map::value_type) + 2 * sizeof(void*) +
                                                allocation_header + sizeof(void*) + 2 * sizeof(void*) +
                                                sizeof(embedding_cache_key) + allocation_header + allocation_header;
  static std::size_t memory_cost(std::size_t dimensions) { return entry_overhead + dimensions * sizeof(float); }

  void put_in_memory(entry_map::iterator position, std::vector<float> vector);
  void evict_memory_until_fits(std::size_t incoming);
  void drop_from_memory(entry_map::iterator position);
  void drop_from_file(entry_map::iterator position);
  void touch(entry& item);
  status rebuild_empty(int descriptor);
  status compact();  // precondition: mutex_ held, file_ set

  embedding_cache_options options_;
  mutable std::mutex mutex_;
  entry_map entries_;
  std::list<embedding_cache_key> memory_recency_;  // front: most recently used
  std::list<embedding_cache_key> file_recency_;    // every key with a record on file; front: most recent
  std::size_t memory_bytes_ = 0;
  std::shared_ptr<file_handle> file_;
  std::uint64_t file_end_ = 0;  // where the next record goes; everything before it was verified or written
  std::uint64_t file_generation_ = 0;  // bumped by every compaction: offsets of older generations are stale
  embedding_cache_statistics statistics_;
};

status embedding_cache::implementation::rebuild_empty(int descriptor) {
  const auto header = encode_file_header();
  if (::ftruncate(descriptor, 0) != 0 || !write_all_at(descriptor, header, 0) || ::fsync(descriptor) != 0) {
    return io_failure(options_.file, "cannot rewrite the cache file");
  }
  file_end_ = file_header_size;
  return success{};
}

status embedding_cache::implementation::open_file() {
  const fs::path& path = options_.file;
  std::error_code failure;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), failure);
  if (failure) return make_error(error_code::io_error, "cannot create folder " + path.parent_path().string());
  const int descriptor = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (descriptor < 0) return io_failure(path, "cannot open the cache file");
  auto handle = std::make_shared<file_handle>(descriptor);
  if (::flock(descriptor, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return make_error(error_code::io_error, "cache file in use by another process: " + path.string());
    }
    return io_failure(path, "cannot lock the cache file");
  }
  // A compaction interrupted by a crash leaves its temporary file behind; it was never renamed, so it
  // holds nothing the log does not.
  fs::remove(fs::path(path.string() + ".tmp"), failure);

  struct stat information {};
  if (::fstat(descriptor, &information) != 0) return io_failure(path, "cannot read the size of");
  const auto file_size = static_cast<std::uint64_t>(information.st_size);

  std::array<std::uint8_t, file_header_size> header{};
  const bool header_readable = file_size >= file_header_size && read_all_at(descriptor, header, 0);
  if (!header_readable || header != encode_file_header()) {
    if (file_size > 0) {
      // Foreign or damaged header: nothing in the file can be trusted.
      statistics_.dropped_bytes = file_size;
      statistics_.dropped_records = header_readable ? count_records_from(descriptor, file_header_size, file_size) : 1;
    }
    if (auto rebuilt = rebuild_empty(descriptor); !rebuilt) return rebuilt;
    file_ = std::move(handle);
    return success{};
  }

  std::uint64_t offset = file_header_size;
  while (offset < file_size) {
    const auto record = plausible_record_header(descriptor, offset, file_size);
    if (!record) break;
    // The checksum covers the whole record, so the payload is read and verified now; the vector is
    // dropped again (only the index stays) to keep open() within the index's memory.
    if (!read_record(descriptor, offset, record->dimensions, record->key)) break;
    entry& item = entries_.try_emplace(record->key).first->second;
    if (item.on_file) {
      file_recency_.erase(item.file_position);  // a later record for the same key replaces the earlier
    }
    item.on_file = true;
    item.offset = offset;
    item.dimensions = record->dimensions;
    // Later records were written later: they are the more recently used.
    file_recency_.push_front(record->key);
    item.file_position = file_recency_.begin();
    offset += record_size_for(record->dimensions);
  }
  if (offset < file_size) {
    statistics_.dropped_records = count_records_from(descriptor, offset, file_size);
    statistics_.dropped_bytes = file_size - offset;
    if (::ftruncate(descriptor, static_cast<off_t>(offset)) != 0 || ::fsync(descriptor) != 0) {
      return io_failure(path, "cannot truncate the damaged tail of");
    }
  }
  file_end_ = offset;
  file_ = std::move(handle);
  return success{};
}

void embedding_cache::implementation::touch(entry& item) {
  if (item.in_memory) memory_recency_.splice(memory_recency_.begin(), memory_recency_, item.memory_position);
  if (item.on_file) file_recency_.splice(file_recency_.begin(), file_recency_, item.file_position);
}

void embedding_cache::implementation::drop_from_memory(entry_map::iterator position) {
  entry& item = position->second;
  if (!item.in_memory) return;
  memory_bytes_ -= memory_cost(item.vector.size());
  memory_recency_.erase(item.memory_position);
  item.in_memory = false;
  std::vector<float>().swap(item.vector);
  if (!item.on_file) entries_.erase(position);
}

void embedding_cache::implementation::drop_from_file(entry_map::iterator position) {
  entry& item = position->second;
  if (!item.on_file) return;
  file_recency_.erase(item.file_position);
  item.on_file = false;
  if (!item.in_memory) entries_.erase(position);
}

void embedding_cache::implementation::evict_memory_until_fits(std::size_t incoming) {
  while (!memory_recency_.empty() && memory_bytes_ + incoming > options_.memory_bytes) {
    drop_from_memory(entries_.find(memory_recency_.back()));
  }
}

void embedding_cache::implementation::put_in_memory(entry_map::iterator position, std::vector<float> vector) {
  entry& item = position->second;
  const std::size_t cost = memory_cost(vector.size());
  if (item.in_memory) {
    memory_bytes_ -= memory_cost(item.vector.size());
    memory_recency_.erase(item.memory_position);
    item.in_memory = false;
  }
  if (cost > options_.memory_bytes) {
    // Larger than the whole memory level: it lives on file only (or not at all without a file).
    std::vector<float>().swap(item.vector);
    if (!item.on_file) entries_.erase(position);
    return;
  }
  // Evicting cannot erase `position`: it is not in memory_recency_ at this point.
  evict_memory_until_fits(cost);
  item.vector = std::move(vector);
  item.in_memory = true;
  memory_recency_.push_front(position->first);
  item.memory_position = memory_recency_.begin();
  memory_bytes_ += cost;
}

std::optional<std::vector<float>> embedding_cache::implementation::find(const embedding_cache_key& key) {
  std::unique_lock lock(mutex_);
  auto position = entries_.find(key);
  if (position == entries_.end()) {
    ++statistics_.misses;
    return std::nullopt;
  }
  entry& item = position->second;
  if (item.in_memory) {
    touch(item);
    ++statistics_.hits;
    return item.vector;
  }
  // On file only: read without the mutex. The handle keeps the file open even if a compaction replaces
  // it meanwhile; the generation tells whether the offset still means the same record afterwards.
  const std::shared_ptr<file_handle> handle = file_;
  const std::uint64_t offset = item.offset;
  const std::uint32_t dimensions = item.dimensions;
  const std::uint64_t generation = file_generation_;
  lock.unlock();
  std::optional<std::vector<float>> vector = handle ? read_record(handle->descriptor, offset, dimensions, key)
                                                    : std::nullopt;
  lock.lock();
  position = entries_.find(key);
  if (!vector) {
    ++statistics_.misses;
    if (handle && generation == file_generation_ && position != entries_.end() && position->second.on_file &&
        position->second.offset == offset) {
      ++statistics_.records_failed_verification;
      drop_from_file(position);
    }
    return std::nullopt;
  }
  ++statistics_.hits;
  if (position != entries_.end()) {
    touch(position->second);
    if (!position->second.in_memory) put_in_memory(position, *vector);
  }
  return vector;
}

status embedding_cache::implementation::compact() {
  const fs::path temporary_path = fs::path(options_.file.string() + ".tmp");
  const std::uint64_t budget = options_.file_max_bytes / 2;

  const int descriptor = ::open(temporary_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (descriptor < 0) return io_failure(temporary_path, "cannot create");
  auto handle = std::make_shared<file_handle>(descriptor);
  // Locked before the rename, so the path is never held by an unlocked file.
  if (::flock(descriptor, LOCK_EX | LOCK_NB) != 0) return io_failure(temporary_path, "cannot lock");

  // The most recently used records that fit in half the bound, with their vectors (from memory, or
  // read back and verified from the current file: a damaged one is left out). They are written as
  // they are encoded, a chunk at a time: the new file is never held in memory whole (with the
  // default 2 GB bound it would be 1 GB, on top of everything else, at every compaction).
  constexpr std::size_t chunk_bytes = 1024 * 1024;
  std::vector<std::uint8_t> chunk;
  chunk.reserve(chunk_bytes + record_size_for(maximum_dimensions));
  const auto header = encode_file_header();
  chunk.assign(header.begin(), header.end());
  std::uint64_t written = 0;  // bytes of the new file before `chunk`
  const auto flush_chunk = [&]() {
    if (!write_all_at(descriptor, chunk, written)) return false;
    written += chunk.size();
    chunk.clear();  // keeps its capacity: one buffer for the whole compaction
    return true;
  };
  struct kept_record {
    embedding_cache_key key;
    std::uint64_t offset;
    std::uint32_t dimensions;
  };
  std::vector<kept_record> kept;
  bool write_failed = false;
  for (const embedding_cache_key& key : file_recency_) {
    const entry& item = entries_.find(key)->second;
    if (written + chunk.size() + record_size_for(item.dimensions) > budget) break;
    std::optional<std::vector<float>> read_back;
    std::span<const float> vector = item.vector;
    if (!item.in_memory) {
      read_back = read_record(file_->descriptor, item.offset, item.dimensions, key);
      if (!read_back) {
        ++statistics_.records_failed_verification;
        continue;
      }
      vector = *read_back;
    }
    kept.push_back({key, written + chunk.size(), static_cast<std::uint32_t>(vector.size())});
    encode_record(key, vector, chunk);
    if (chunk.size() >= chunk_bytes && !flush_chunk()) {
      write_failed = true;
      break;
    }
  }
  if (write_failed || !flush_chunk() || ::fsync(descriptor) != 0) {
    ::unlink(temporary_path.c_str());
    return io_failure(temporary_path, "cannot write");
  }
  if (::rename(temporary_path.c_str(), options_.file.c_str()) != 0) {
    ::unlink(temporary_path.c_str());
    return io_failure(options_.file, "cannot rename the compacted cache file over");
  }
  // The rename itself is durable only once the folder is flushed.
  const fs::path folder = options_.file.has_parent_path() ? options_.file.parent_path() : fs::path(".");
  const int folder_descriptor = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (folder_descriptor >= 0) {
    ::fsync(folder_descriptor);
    ::close(folder_descriptor);
  }

  // Every record not kept leaves the file level; the kept ones get their new offsets.
  std::list<embedding_cache_key> old_recency;
  old_recency.swap(file_recency_);
  for (const embedding_cache_key& key : old_recency) {
    auto position = entries_.find(key);
    position->second.on_file = false;
    if (!position->second.in_memory) entries_.erase(position);
  }
  for (const kept_record& record : kept) {
    // A key that was on file only was erased above and comes back here.
    entry& item = entries_.try_emplace(record.key).first->second;
    item.on_file = true;
    item.offset = record.offset;
    item.dimensions = record.dimensions;
    file_recency_.push_back(record.key);  // kept is in most-recent-first order
    item.file_position = std::prev(file_recency_.end());
  }
  file_ = std::move(handle);
  file_end_ = written;
  ++file_generation_;
  ++statistics_.compactions;
  return success{};
}

status embedding_cache::implementation::store(const embedding_cache_key& key, std::span<const float> vector) {
  if (vector.empty() || vector.size() > maximum_dimensions) {
    return make_error(error_code::invalid_argument,
                      "an embedding cache entry holds 1 to 65536 dimensions, not " + std::to_string(vector.size()));
  }
  std::lock_guard lock(mutex_);
  auto position = entries_.try_emplace(key).first;
  put_in_memory(position, std::vector<float>(vector.begin(), vector.end()));
  if (!file_) return success{};

  const std::uint64_t size = record_size_for(vector.size());
  if (file_header_size + size > options_.file_max_bytes / 2) {
    // Could never survive a compaction: keep it in memory only rather than churn the file.
    return success{};
  }
  if (file_end_ + size > options_.file_max_bytes) {
    if (auto compacted = compact(); !compacted) {
      ++statistics_.file_write_failures;
      statistics_.last_file_error = compacted.failure().message;
      return compacted;
    }
  }
  std::vector<std::uint8_t> record;
  encode_record(key, vector, record);
  if (!write_all_at(file_->descriptor, record, file_end_)) {
    const error failure = io_failure(options_.file, "cannot append to the cache file");
    // Cut a torn record off at once so the next good one does not land behind it.
    static_cast<void>(::ftruncate(file_->descriptor, static_cast<off_t>(file_end_)));
    ++statistics_.file_write_failures;
    statistics_.last_file_error = failure.message;
    return failure;
  }
  // put_in_memory may have erased the entry (vector larger than the memory level): find it again.
  position = entries_.try_emplace(key).first;
  entry& item = position->second;
  if (item.on_file) file_recency_.erase(item.file_position);
  item.on_file = true;
  item.offset = file_end_;
  item.dimensions = static_cast<std::uint32_t>(vector.size());
  file_recency_.push_front(key);
  item.file_position = file_recency_.begin();
  file_end_ += size;
  return success{};
}

status embedding_cache::implementation::sync() {
  std::shared_ptr<file_handle> handle;
  {
    std::lock_guard lock(mutex_);
    handle = file_;
  }
  if (!handle) return success{};
  // A compaction that replaced this handle meanwhile fsynced its own file before the rename.
  if (::fsync(handle->descriptor) != 0) return io_failure(options_.file, "cannot flush the cache file");
  return success{};
}

result<std::unique_ptr<embedding_cache>> embedding_cache::open(embedding_cache_options options) {
  const bool has_file = !options.file.empty();
  auto implementation_instance = std::make_unique<implementation>(std::move(options));
  if (has_file) {
    if (auto opened = implementation_instance->open_file(); !opened) return std::move(opened).failure();
  }
  return std::unique_ptr<embedding_cache>(new embedding_cache(std::move(implementation_instance)));
}

embedding_cache::embedding_cache(std::unique_ptr<implementation> state)
    : implementation_(std::move(state)) {}
embedding_cache::~embedding_cache() = default;

std::optional<std::vector<float>> embedding_cache::find(const embedding_cache_key& key) {
  return implementation_->find(key);
}
status embedding_cache::store(const embedding_cache_key& key, std::span<const float> vector) {
  return implementation_->store(key, vector);
}
status embedding_cache::sync() { return implementation_->sync(); }
embedding_cache_statistics embedding_cache::statistics() const { return implementation_->statistics(); }

}  // namespace mosaic::server
