#pragma once
// The double's batch jobs (asyncBatchEmbedContent, ../../../shared/docs/gemini-api.md "Batch jobs"): a
// job is created with its inline requests, embedded at once, and then walks Google's states one poll
// at a time, so a client's polling, resuming and fault handling can be tested without waiting hours:
//   create        -> BATCH_STATE_PENDING
//   each GET      -> PENDING for `pending_polls` polls, RUNNING for `running_polls` more, then its end:
//                    SUCCEEDED (results inline, in request order, each with the item's metadata),
//                    FAILED or EXPIRED (as the fault settings decide, by creation order), or
//                    CANCELLED after POST batches/ID:cancel.
// The operation is shaped as @google/genai 2.x reads it (batchJobFromMldev): `metadata` is the
// EmbedContentBatch with `state` and, once succeeded, `output.inlinedResponses.inlinedResponses`;
// `done` when finished, and the same batch under `response` (where gemini-api.md places it), or
// `error` for a job that did not succeed. Each result carries `tokenCount` (the text tokens the double
// counted: the model's tokens, or the words of the text with --hash-text, so a client's cost figures
// have something to add up).
// Faults (POST /_double/batch-jobs; every Nth counts jobs created, or polls, since the last change):
//   fail_every N        every Nth job ends FAILED
//   expire_every N      every Nth job ends EXPIRED (it never ran)
//   poll_500_every N    every Nth poll answers 500 INTERNAL (the job is not advanced)
//   bad_answer_every N  every Nth job to succeed answers with its last result missing
// GET /_double/batch-jobs: the settings and counts {"jobs_created","polls","job_inputs","cancelled",
// "deleted","jobs":[{"name","state","inputs","polls"}]}. Thread-safe.
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "double_embedder.hpp"
#include "request_parsing.hpp"

namespace mosaic::gemini_double {

struct batch_job_settings {
  std::uint64_t pending_polls = 1;
  std::uint64_t running_polls = 1;
  std::uint64_t fail_every = 0;  // 0: never
  std::uint64_t expire_every = 0;
  std::uint64_t poll_500_every = 0;
  std::uint64_t bad_answer_every = 0;
};

// What the store answers: an HTTP status and a JSON body.
struct batch_job_answer {
  unsigned status = 200;
  std::string body;
};

class batch_job_store {
 public:
  explicit batch_job_store(const double_embedder& embedder) : embedder_(embedder) {}

  // POST /models/{model}:asyncBatchEmbedContent with a checked body: embeds every item now (an item
  // the embedder refuses gets an error result, as Google reports per-request failures) and answers
  // the new job's operation.
  batch_job_answer create(std::string_view model_resource, async_batch_body body);
  // GET batches/ID: counts a poll, moves the job on, answers its operation.
  batch_job_answer poll(std::string_view id);
  // POST batches/ID:cancel (an unfinished job becomes CANCELLED) and DELETE batches/ID.
  batch_job_answer cancel(std::string_view id);
  batch_job_answer remove(std::string_view id);

  // GET|POST /_double/batch-jobs.
  [[nodiscard]] std::string describe() const;
  batch_job_answer configure(std::string_view body);

 private:
  enum class ending { succeed, fail, expire };
  struct job {
    std::string name;  // "batches/..."
    std::string model;
    std::string display_name;
    std::size_t inputs = 0;
    ending planned = ending::succeed;
    bool cancelled = false;
    bool answer_damaged = false;
    std::uint64_t polls = 0;
    std::string created_at;
    std::vector<std::string> results;  // one compact JSON InlinedEmbedContentResponse per request
  };

  [[nodiscard]] std::string state_of(const job& entry) const;
  [[nodiscard]] std::string operation_json(const job& entry) const;

  const double_embedder& embedder_;
  mutable std::mutex mutex_;
  batch_job_settings settings_;
  std::map<std::string, job, std::less<>> jobs_;
  std::uint64_t created_since_change_ = 0;
  std::uint64_t polls_since_change_ = 0;
  std::uint64_t succeeded_since_change_ = 0;
  std::uint64_t jobs_created_ = 0;
  std::uint64_t polls_ = 0;
  std::uint64_t job_inputs_ = 0;
  std::uint64_t cancelled_ = 0;
  std::uint64_t deleted_ = 0;
  std::uint64_t next_number_ = 1;
};

}  // namespace mosaic::gemini_double
