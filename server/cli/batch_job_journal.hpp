#pragma once
// mosaic index --batch-jobs: the journal of Gemini batch jobs submitted and not yet filed, kept beside
// the embedding cache (batch-jobs-MODEL.json next to embeddings-MODEL.log), so an indexer that is
// killed or stopped resumes polling its jobs instead of submitting (and paying for) them again.
//
// A job is written here as soon as Gemini has accepted it, and removed only after its vectors are in
// the cache and the cache is synced; the file is replaced whole and atomically each time (a temporary
// file, fsync, rename, fsync of the folder), so a crash leaves the old journal or the new one, never a
// torn one. A job's results filed again after a crash between those two steps find their keys in the
// cache and are not stored twice.
//
// Format (JSON): {"format":"mosaic-batch-jobs","version":1,"model":"gemini-embedding-2",
//   "jobs":[{"name":"batches/ID","attempt":1,"dimensions":768,"upstream_dimensions":768,
//            "submitted_at":"2026-12-07T00:00:00Z","keys":["<64 hex: the cache key>", ...]}]}
// `keys` are the job's requests in order (also each request's metadata key). A journal that does not
// read as this is an error naming the file: it is never overwritten, since it names paid-for jobs.
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "embed/embedding_cache.hpp"

namespace mosaic::server {

struct journaled_batch_job {
  std::string name;  // "batches/ID"
  unsigned attempt = 1;  // 2: resubmitted after its first job failed or expired
  std::size_t dimensions = 0;           // the vectors filed (truncated and renormalized to this)
  std::size_t upstream_dimensions = 0;  // the outputDimensionality asked
  std::string submitted_at;
  std::vector<embedding_cache_key> keys;
};

struct batch_job_journal {
  std::filesystem::path file;
  std::string model;
  std::vector<journaled_batch_job> jobs;
};

// batch-jobs-MODEL.json in the cache's folder (MODEL spelled as the cache file spells it).
std::filesystem::path batch_job_journal_path(const std::filesystem::path& cache_file);

// A missing file is an empty journal; one of another model or format is an error.
result<batch_job_journal> load_batch_job_journal(const std::filesystem::path& file, std::string_view model);
// Replaces the file atomically; an empty journal removes it.
status save_batch_job_journal(const batch_job_journal& journal);

std::string cache_key_hex(const embedding_cache_key& key);

}  // namespace mosaic::server
