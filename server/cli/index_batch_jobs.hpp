#pragma once
// mosaic index --batch-jobs: the collection's embeddings through Gemini's batch jobs
// (asyncBatchEmbedContent, half price, ../shared/docs/gemini-api.md "Batch jobs") instead of one
// batchEmbedContents call per 100 inputs. Runs before the usual embedding step and only fills the
// embedding cache: that step then finds every vector there (cache hits, no upstream call) and writes
// the site as always, so both paths give the same site, and anything a job could not embed (a
// per-request error) is embedded call by call, or reported, exactly as without --batch-jobs.
//
//  1. Every input's cache key is computed; inputs already cached, or already in a job the journal
//     (cli/batch_job_journal.hpp) names from an earlier run, are not submitted again.
//  2. The rest is packed into jobs of at most `job_inputs` requests and 20 MB of body each; each job
//     is written to the journal as soon as Gemini has accepted it.
//  3. Every unfinished job is polled, first after `first_poll`, then at doubling intervals up to
//     `longest_poll` (transient poll errors are retried; a job keeps its place in the journal).
//  4. A succeeded job's vectors are filed into the cache (truncated and renormalized as the per-call
//     path does), the cache is synced, then the job leaves the journal. A job that failed, expired or
//     was cancelled (or that Gemini no longer knows) is submitted once more with the same requests; a
//     second failure, or an answer that cannot be read, ends the run with an error naming the job,
//     after the other jobs are filed (the site is not written; what was filed stays in the cache).
// Progress goes to stderr: job states and inputs filed, whenever they change.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/provider_setup.hpp"
#include "core/result.hpp"
#include "embed/embedding_request.hpp"

namespace mosaic::server {

struct batch_job_run_settings {
  std::size_t dimensions = 0;       // the stored size, as the per-call path is asked
  std::size_t job_inputs = 1000;    // requests per job at most
  std::chrono::milliseconds first_poll{10'000};
  std::chrono::milliseconds longest_poll{300'000};
  unsigned job_attempts = 2;        // submissions of the same requests before the run gives up
  std::size_t failed_poll_rounds = 10;  // rounds in a row where every poll failed: then stop (resume later)
};

struct batch_job_failure {
  std::string job;
  std::string state;  // "failed", "expired", "cancelled", "lost" (404) or "unreadable"
  std::string message;
};

struct batch_job_run_report {
  std::size_t inputs = 0;                   // unique inputs of the run
  std::size_t inputs_already_cached = 0;
  std::size_t inputs_too_large = 0;         // left to the per-call path, which reports them
  std::size_t inputs_submitted = 0;         // in jobs submitted by this run (resubmissions included)
  std::size_t jobs_submitted = 0;
  std::size_t jobs_resubmitted = 0;         // of those, second submissions after a failure
  std::size_t jobs_resumed = 0;             // found in the journal from an earlier run
  std::size_t jobs_succeeded = 0;
  std::size_t results_filed = 0;            // vectors stored in the cache
  std::size_t results_already_cached = 0;   // a result whose key was already there (filed before a crash)
  std::size_t result_errors = 0;            // per-request errors in succeeded jobs
  std::vector<std::string> result_error_examples;  // the first few
  std::uint64_t counted_tokens = 0;         // tokenCount summed over results with a vector
  std::size_t results_with_token_count = 0;
  std::size_t results_with_vectors = 0;
  std::uint64_t create_calls = 0, poll_calls = 0, retried_calls = 0;
  std::vector<batch_job_failure> failures;  // jobs given up on (the run then fails)
};

// Fills setup's cache with the vectors of `inputs` (retrieval documents of settings.dimensions).
// Errors: a journal that cannot be read or written, Gemini refusing a job or being unreachable
// for failed_poll_rounds rounds (jobs stay in the journal: the next run resumes them), or jobs given
// up on (named, with their states). `report` is filled either way.
status run_batch_jobs(const std::vector<embedding_input>& inputs, provider_setup& setup,
                      const batch_job_run_settings& settings, batch_job_run_report& report, std::FILE* progress);

// The --json report's "batch_jobs" object; its "cost" prices the counted tokens per call and as batch
// jobs, with a one-line "summary" for the text report.
nlohmann::json batch_job_report_json(const batch_job_run_report& report, const std::string& model);

// The per-call price of a model's input text, US dollars per million tokens (gemini-api.md,
// "Pricing"); batch jobs cost half. nullopt for a model the doc gives no price for.
std::optional<double> gemini_price_per_million_tokens(std::string_view model) noexcept;

}  // namespace mosaic::server
