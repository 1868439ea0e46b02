#pragma once
// The embedding cache: vectors keyed by a hash of (model, dimensions, task, every part's kind and
// bytes), so the same question is paid for once. Two levels: an in-memory LRU bounded by bytes, and
// an optional file on disk so a restart (or a re-run of the indexer) does not pay twice.
//
// The file is an append-only log of records, each with its own checksum; a record is written whole
// with one write, so a crash of the process (even kill -9) loses at most the record being written, and
// sync() (fsync) makes what was written survive a crash of the machine too. On open the
// log is read up to the first bad or cut record; everything after it is dropped (the file is
// truncated to the last good record, or rebuilt when its header is bad), so a corrupt file is
// detected and rebuilt, never served. The file is bounded by bytes: past the bound it is compacted
// (rewritten to a temporary file holding the most recently used entries, then renamed over).
//
// The file format (little-endian throughout; the file is local to one machine):
//   header, 32 bytes: magic "\x89MCACHE\n" | u32 version (1) | u32 record header size (48) |
//                     u64 reserved (0) | u64 XXH64 of the 24 bytes before it
//   record:           u64 XXH64 of the rest of the record | u32 record magic "MCR1" | u32 dimensions |
//                     32-byte key | dimensions x f32
// A record is written with one pwrite() at the end of the log; a failed or short write is cut off
// again at once, so a good record never follows a torn one written by this process.
//
// Invariants and limits:
// - Reading stops at the first bad record: a corrupt dimensions field makes every later boundary
//   untrustworthy (the log has no resynchronization markers), so that record and everything after it
//   are dropped and the file is truncated there. Dropping good records after a bad one is the price of
//   never guessing at a boundary; a cache can always be refilled.
// - Dimensions are capped at 65,536 and every record is checked against the file size before anything
//   is allocated, so a hostile file cannot make open() allocate unboundedly.
// - A lookup that misses memory reads the record from the file and verifies its checksum, key and
//   dimensions again: a record damaged after open is dropped from the index, never served.
// - The memory level counts key + vector + its bookkeeping (map and list nodes, allocator headers)
//   against memory_bytes. The index of file records (roughly 200 bytes per record) is kept for every
//   record on file and is not counted against memory_bytes.
// - One process per file: open() takes flock(LOCK_EX | LOCK_NB) and fails with io_error "cache file in
//   use by another process" when another open file (in this or another process) holds it. Sharing a
//   cache file between processes is not supported.
// - The mutex is held while writing a record (a page-cache write) and during compaction (which is
//   rare: once per half a bound of appends, and includes its fsyncs); sync() fsyncs outside it.
#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "embed/embedding_request.hpp"

namespace mosaic::server {

using embedding_cache_key = std::array<std::uint8_t, 32>;  // SHA-256

// Every field that changes the vector goes into the key, length-prefixed so no two inputs collide by
// concatenation. The task prefix text is part of the model's input, so callers pass it in `model`'s
// salt when it is configurable.
embedding_cache_key make_embedding_cache_key(std::string_view model, std::size_t dimensions, embedding_task task,
                                             const embedding_input& input);

struct embedding_cache_options {
  std::size_t memory_bytes = 256ull * 1024 * 1024;
  std::filesystem::path file;                       // empty: memory only
  std::uint64_t file_max_bytes = 2ull * 1024 * 1024 * 1024;
};

struct embedding_cache_statistics {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t memory_entries = 0;
  std::uint64_t memory_bytes = 0;
  std::uint64_t file_entries = 0;
  std::uint64_t file_bytes = 0;
  // Found (and dropped) when the file was opened: the bad or cut record where reading stopped plus the
  // records that followed it as far as their lengths could be followed (a best-effort count), and the
  // bytes cut off the file. A foreign or corrupt header drops the whole file.
  std::uint64_t dropped_records = 0;
  std::uint64_t dropped_bytes = 0;
  // Records that failed verification when read back after open (damaged on disk): dropped, not served.
  std::uint64_t records_failed_verification = 0;
  std::uint64_t compactions = 0;
  // Records that could not be written to the file (a full disk, say): kept in memory only, so a
  // later process embeds them again. The last such error, for the caller to report.
  std::uint64_t file_write_failures = 0;
  std::string last_file_error;
};

class embedding_cache {
 public:
  // io_error when the file cannot be created or read; a corrupt file is not an error (it is rebuilt,
  // and dropped_records says how much was lost).
  static result<std::unique_ptr<embedding_cache>> open(embedding_cache_options options);
  ~embedding_cache();

  // Thread-safe. find counts a hit or a miss.
  std::optional<std::vector<float>> find(const embedding_cache_key& key);
  // Stores in memory and appends to the file; an io_error leaves the memory level working.
  status store(const embedding_cache_key& key, std::span<const float> vector);
  // Flushes appended records to the disk (fsync); the indexer calls it after every batch.
  status sync();
  [[nodiscard]] embedding_cache_statistics statistics() const;

 private:
  class implementation;
  explicit embedding_cache(std::unique_ptr<implementation> implementation);
  std::unique_ptr<implementation> implementation_;
};

}  // namespace mosaic::server
