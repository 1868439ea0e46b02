#include "cli/index_batch_jobs.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>

#include "cli/batch_job_journal.hpp"
#include "embed/gemini_batch_client.hpp"
#include "embed/gemini_batch_protocol.hpp"
#include "embed/gemini_provider.hpp"
#include "shared_state/shared_embedding_provider.hpp"
#include "vector/normalize.hpp"

namespace mosaic::server {
namespace {

constexpr std::size_t remembered_error_examples = 5;
// One job's body stays under Gemini's 20 MB inline cap with room for its envelope.
constexpr std::size_t job_body_budget = gemini_max_request_bytes - gemini_batch_job_envelope_bytes - 256;

struct key_hash {
  std::size_t operator()(const embedding_cache_key& key) const noexcept {
    std::size_t value = 0;
    for (std::size_t index = 0; index < sizeof(std::size_t); ++index) value = (value << 8) | key[index];
    return value;
  }
};

std::string now_rfc3339() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

std::vector<std::string> hex_keys(const std::vector<embedding_cache_key>& keys) {
  std::vector<std::string> texts;
  texts.reserve(keys.size());
  for (const embedding_cache_key& key : keys) texts.push_back(cache_key_hex(key));
  return texts;
}

class batch_job_runner {
 public:
  batch_job_runner(const std::vector<embedding_input>& inputs, provider_setup& setup,
                   const batch_job_run_settings& settings, batch_job_run_report& report, std::FILE* progress,
                   gemini_batch_client& client, batch_job_journal journal)
      : inputs_(inputs),
        setup_(setup),
        cache_(*setup.cache),
        options_(*setup.gemini_options),
        settings_(settings),
        report_(report),
        progress_(progress),
        client_(client),
        journal_(std::move(journal)),
        request_settings_(gemini_request_settings_for(options_, embedding_task::retrieval_document, settings.dimensions)) {}

  status run() {
    const std::string key_model = embedding_key_model(options_.model, setup_.key_salt);
    std::set<embedding_cache_key> journaled;
    for (const journaled_batch_job& job : journal_.jobs) journaled.insert(job.keys.begin(), job.keys.end());
    report_.jobs_resumed = journal_.jobs.size();
    for (const journaled_batch_job& job : journal_.jobs) states_[job.name] = gemini_batch_state::pending;

    std::vector<embedding_cache_key> to_submit;
    for (std::size_t index = 0; index < inputs_.size(); ++index) {
      const embedding_cache_key key =
          make_embedding_cache_key(key_model, settings_.dimensions, embedding_task::retrieval_document, inputs_[index]);
      if (!input_of_.emplace(key, index).second) continue;  // the same input twice: one request
      ++report_.inputs;
      if (journaled.contains(key)) continue;
      if (auto cached = cache_.find(key); cached && cached->size() == settings_.dimensions) {
        ++report_.inputs_already_cached;
        continue;
      }
      if (item_bytes(index) > job_body_budget) {
        ++report_.inputs_too_large;
        continue;
      }
      to_submit.push_back(key);
    }
    if (auto submitted = submit(to_submit, 1); !submitted) return submitted;
    print_progress();
    return poll_until_done();
  }

 private:
  [[nodiscard]] std::size_t item_bytes(std::size_t index) const {
    return gemini_request_bytes(inputs_[index], request_settings_) + gemini_batch_job_item_overhead_bytes;
  }

  // Packs `keys` (all of this run's inputs) into jobs within the count and byte budgets.
  status submit(const std::vector<embedding_cache_key>& keys, unsigned attempt) {
    std::vector<embedding_cache_key> job;
    std::size_t job_bytes = 0;
    for (const embedding_cache_key& key : keys) {
      const std::size_t bytes = item_bytes(input_of_.at(key));
      if (!job.empty() && (job.size() >= settings_.job_inputs || job_bytes + bytes > job_body_budget)) {
        if (auto sent = submit_job(job, attempt); !sent) return sent;
        job.clear();
        job_bytes = 0;
      }
      job.push_back(key);
      job_bytes += bytes;
    }
    if (!job.empty()) return submit_job(job, attempt);
    return success{};
  }

  status submit_job(const std::vector<embedding_cache_key>& keys, unsigned attempt) {
    std::vector<const embedding_input*> inputs;
    inputs.reserve(keys.size());
    for (const embedding_cache_key& key : keys) inputs.push_back(&inputs_[input_of_.at(key)]);
    const std::string display_name = "mosaic index " + now_rfc3339() + " (" + std::to_string(keys.size()) + " inputs)";
    auto answer = client_.create_job(build_gemini_batch_job_body(display_name, request_settings_, inputs, hex_keys(keys)));
    if (!answer) return std::move(answer).failure();
    auto operation = parse_gemini_batch_operation(*answer, {}, request_settings_.dimensions);
    if (!operation) {
      return make_error(error_code::upstream_rejected,
                        "Gemini accepted a batch job but its answer could not be read (" + operation.failure().message +
                            "); the job, if any, is not tracked");
    }
    journaled_batch_job job;
    job.name = operation->name;
    job.attempt = attempt;
    job.dimensions = settings_.dimensions;
    job.upstream_dimensions = request_settings_.dimensions;
    job.submitted_at = now_rfc3339();
    job.keys = keys;
    journal_.jobs.push_back(std::move(job));
    states_[operation->name] = operation->state;
    ++report_.jobs_submitted;
    if (attempt > 1) ++report_.jobs_resubmitted;
    report_.inputs_submitted += keys.size();
    if (auto saved = save_batch_job_journal(journal_); !saved) {
      return make_error(saved.failure().code, saved.failure().message + " (job " + operation->name +
                                                  " was submitted but could not be recorded)");
    }
    return success{};
  }

  status poll_until_done() {
    auto interval = settings_.first_poll;
    std::size_t failed_rounds = 0;
    while (!journal_.jobs.empty()) {
      std::this_thread::sleep_for(interval);
      interval = std::min(interval * 2, settings_.longest_poll);
      std::size_t answered = 0, asked = 0;
      // A copy: filing, resubmitting and giving up change the journal's list.
      const std::vector<journaled_batch_job> jobs = journal_.jobs;
      for (const journaled_batch_job& job : jobs) {
        ++asked;
        auto polled = client_.poll_job(job.name);
        if (!polled) {
          if (polled.failure().code == error_code::upstream_unavailable) continue;  // next round
          return make_error(polled.failure().code, polled.failure().message + "; the journal " +
                                                       journal_.file.string() + " keeps the jobs for the next run");
        }
        ++answered;
        if (!polled->has_value()) {
          if (auto handled = end_unsuccessfully(job, "lost", "Gemini no longer knows this job (404)"); !handled) {
            return handled;
          }
          continue;
        }
        auto operation = parse_gemini_batch_operation(**polled, hex_keys(job.keys), job.upstream_dimensions);
        if (!operation) {
          // An answer that cannot be read will not read better next time: nothing of it is filed,
          // the job leaves the journal (its inputs stay uncached, so a later run submits them again).
          report_.failures.push_back({job.name, "unreadable", operation.failure().message});
          states_.erase(job.name);
          ++ended_unsuccessfully_["unreadable"];
          if (auto removed = forget(job.name); !removed) return removed;
          continue;
        }
        states_[job.name] = operation->state;
        if (operation->state == gemini_batch_state::succeeded) {
          if (auto filed = file_results(job, *operation); !filed) return filed;
        } else if (is_finished(operation->state)) {
          const std::string message = operation->error_message.empty() ? "no reason given" : operation->error_message;
          if (auto handled = end_unsuccessfully(job, std::string(gemini_batch_state_name(operation->state)), message);
              !handled) {
            return handled;
          }
        }
      }
      print_progress();
      failed_rounds = asked > 0 && answered == 0 ? failed_rounds + 1 : 0;
      if (failed_rounds >= settings_.failed_poll_rounds) {
        return make_error(error_code::upstream_unavailable,
                          "Gemini did not answer the polls of " + std::to_string(journal_.jobs.size()) + " batch jobs in " +
                              std::to_string(failed_rounds) + " rounds; the journal " + journal_.file.string() +
                              " keeps them: run again to resume");
      }
    }
    report_.create_calls = client_.counts().creates;
    report_.poll_calls = client_.counts().polls;
    report_.retried_calls = client_.counts().retries;
    if (!report_.failures.empty()) {
      std::string message = std::to_string(report_.failures.size()) + " batch job" +
                            (report_.failures.size() == 1 ? "" : "s") + " gave no vectors: ";
      for (std::size_t index = 0; index < report_.failures.size(); ++index) {
        const batch_job_failure& failure = report_.failures[index];
        if (index > 0) message += "; ";
        message += failure.job + " " + failure.state + " (" + failure.message + ")";
      }
      message += ". The vectors of the other jobs are in the embedding cache; run again to submit the rest";
      return make_error(error_code::upstream_unavailable, message);
    }
    return success{};
  }

  // Stores a succeeded job's vectors, syncs the cache, then drops the job from the journal: a crash in
  // between files them again on resume, and then each finds its key already there.
  status file_results(const journaled_batch_job& job, const gemini_batch_operation& operation) {
    for (std::size_t index = 0; index < job.keys.size(); ++index) {
      const gemini_batch_result& outcome = operation.results[index];
      if (!outcome.values) {
        ++report_.result_errors;
        if (report_.result_error_examples.size() < remembered_error_examples) {
          report_.result_error_examples.push_back(job.name + " request " + std::to_string(index) + ": " + outcome.error);
        }
        continue;
      }
      ++report_.results_with_vectors;
      if (outcome.token_count) {
        report_.counted_tokens += *outcome.token_count;
        ++report_.results_with_token_count;
      }
      auto normalized = vector::truncate_and_normalize(*outcome.values, job.dimensions);
      if (!normalized) {
        ++report_.result_errors;
        if (report_.result_error_examples.size() < remembered_error_examples) {
          report_.result_error_examples.push_back(job.name + " request " + std::to_string(index) + ": " +
                                                  normalized.failure().message);
        }
        continue;
      }
      if (auto cached = cache_.find(job.keys[index]); cached && cached->size() == job.dimensions) {
        ++report_.results_already_cached;
        continue;
      }
      // A failed write keeps the vector in memory (the cache counts it): this run still uses it.
      (void)cache_.store(job.keys[index], *normalized);
      ++report_.results_filed;
    }
    (void)cache_.sync();
    ++report_.jobs_succeeded;
    return forget(job.name);
  }

  // A job that ended without vectors: submitted again while attempts are left, else given up on.
  status end_unsuccessfully(const journaled_batch_job& job, const std::string& state, const std::string& message) {
    states_.erase(job.name);
    ++ended_unsuccessfully_[state];
    std::vector<embedding_cache_key> again;
    for (const embedding_cache_key& key : job.keys) {
      if (input_of_.contains(key)) again.push_back(key);  // a job of an earlier run may hold other inputs
    }
    if (job.attempt < settings_.job_attempts && !again.empty()) {
      std::fprintf(progress_, "mosaic index: batch job %s %s (%s): submitting its %zu inputs again\n", job.name.c_str(),
                   state.c_str(), message.c_str(), again.size());
      // The new job is in the journal before the old one leaves it: its requests are never untracked.
      if (auto submitted = submit(again, job.attempt + 1); !submitted) return submitted;
    } else {
      report_.failures.push_back({job.name, state, message});
    }
    return forget(job.name);
  }

  status forget(const std::string& name) {
    std::erase_if(journal_.jobs, [&name](const journaled_batch_job& job) { return job.name == name; });
    return save_batch_job_journal(journal_);
  }

  void print_progress() {
    std::map<gemini_batch_state, std::size_t> counts;
    for (const auto& [name, state] : states_) ++counts[state];
    std::string line = "batch jobs: ";
    for (const gemini_batch_state state : {gemini_batch_state::pending, gemini_batch_state::running}) {
      line += std::to_string(counts[state]) + " " + std::string(gemini_batch_state_name(state)) + ", ";
    }
    line += std::to_string(report_.jobs_succeeded) + " succeeded";
    for (const auto& [state, count] : ended_unsuccessfully_) line += ", " + std::to_string(count) + " " + state;
    if (report_.jobs_resubmitted > 0) line += " (" + std::to_string(report_.jobs_resubmitted) + " resubmitted)";
    line += "; " + std::to_string(report_.results_filed + report_.results_already_cached) + " vectors filed";
    if (line == last_progress_) return;
    last_progress_ = line;
    std::fprintf(progress_, "mosaic index: %s\n", line.c_str());
    std::fflush(progress_);
  }

  const std::vector<embedding_input>& inputs_;
  provider_setup& setup_;
  embedding_cache& cache_;
  const gemini_provider_options& options_;
  const batch_job_run_settings& settings_;
  batch_job_run_report& report_;
  std::FILE* progress_;
  gemini_batch_client& client_;
  batch_job_journal journal_;
  gemini_request_settings request_settings_;
  std::unordered_map<embedding_cache_key, std::size_t, key_hash> input_of_;  // key -> first input with it
  std::map<std::string, gemini_batch_state> states_;  // unfinished jobs' last known states
  std::map<std::string, std::size_t> ended_unsuccessfully_;
  std::string last_progress_;
};

}  // namespace

// The --json report's "batch_jobs": what the jobs did, and their price against per-call indexing.
// Priced from Gemini's own count (each result's tokenCount) at gemini-api.md's per-call price per
// million input tokens, batch jobs at half of it; results without a count (media whose tokens the
// answer does not give) are not priced, and the report says how many were left out.
nlohmann::json batch_job_report_json(const batch_job_run_report& report, const std::string& model) {
  nlohmann::json failures = nlohmann::json::array();
  for (const batch_job_failure& failure : report.failures) {
    failures.push_back({{"job", failure.job}, {"state", failure.state}, {"message", failure.message}});
  }
  nlohmann::json cost{{"counted_tokens", report.counted_tokens},
                      {"results_with_token_count", report.results_with_token_count},
                      {"results_without_token_count", report.results_with_vectors - report.results_with_token_count},
                      {"batch_discount", 0.5}};
  const auto price = gemini_price_per_million_tokens(model);
  if (price) {
    const double per_call = static_cast<double>(report.counted_tokens) * *price / 1e6;
    const double batch = per_call * 0.5;
    cost["price_per_million_tokens_usd"] = *price;
    cost["per_call_usd"] = per_call;
    cost["batch_usd"] = batch;
    cost["saving_usd"] = per_call - batch;
    char line[256];
    std::snprintf(line, sizeof line, "%llu tokens counted: $%.6f per call, $%.6f as batch jobs, saving $%.6f (50%%)",
                  static_cast<unsigned long long>(report.counted_tokens), per_call, batch, per_call - batch);
    cost["summary"] = line;
  } else {
    cost["price_per_million_tokens_usd"] = nullptr;
    cost["per_call_usd"] = nullptr;
    cost["batch_usd"] = nullptr;
    cost["saving_usd"] = nullptr;
    cost["summary"] = std::to_string(report.counted_tokens) + " tokens counted; no published price for " + model +
                      " (batch jobs cost half the per-call price)";
  }
  cost["basis"] = "tokenCount of each result Gemini returned in this run's jobs, at the per-call price per million "
                  "input tokens of gemini-api.md (gemini-embedding-2 $0.20, gemini-embedding-001 $0.15); batch jobs "
                  "at half that price; results without a tokenCount are not priced";
  return {{"inputs", report.inputs},
          {"inputs_already_cached", report.inputs_already_cached},
          {"inputs_too_large", report.inputs_too_large},
          {"inputs_submitted", report.inputs_submitted},
          {"jobs_submitted", report.jobs_submitted},
          {"jobs_resubmitted", report.jobs_resubmitted},
          {"jobs_resumed", report.jobs_resumed},
          {"jobs_succeeded", report.jobs_succeeded},
          {"results_filed", report.results_filed},
          {"results_already_cached", report.results_already_cached},
          {"result_errors", report.result_errors},
          {"result_error_examples", report.result_error_examples},
          {"create_calls", report.create_calls},
          {"poll_calls", report.poll_calls},
          {"retried_calls", report.retried_calls},
          {"failures", failures},
          {"cost", cost}};
}

std::optional<double> gemini_price_per_million_tokens(std::string_view model) noexcept {
  if (model == "gemini-embedding-001") return 0.15;
  if (model.starts_with("gemini-embedding-2")) return 0.20;
  return std::nullopt;
}

status run_batch_jobs(const std::vector<embedding_input>& inputs, provider_setup& setup,
                      const batch_job_run_settings& settings, batch_job_run_report& report, std::FILE* progress) {
  if (!setup.gemini_options || !setup.cache || setup.cache_file.empty()) {
    return make_error(error_code::invalid_argument,
                      "--batch-jobs needs the gemini provider and an embedding cache on disk (its job journal lives beside it)");
  }
  auto journal = load_batch_job_journal(batch_job_journal_path(setup.cache_file), setup.gemini_options->model);
  if (!journal) return std::move(journal).failure();
  gemini_batch_client_options client_options;
  client_options.base_url = setup.gemini_options->base_url;
  client_options.model = setup.gemini_options->model;
  client_options.api_key = setup.gemini_options->api_key;
  client_options.retries = setup.gemini_options->retries;
  client_options.http = setup.gemini_options->http;
  auto client = gemini_batch_client::create(std::move(client_options));
  if (!client) return std::move(client).failure();
  batch_job_runner runner(inputs, setup, settings, report, progress, **client, std::move(*journal));
  status outcome = runner.run();
  report.create_calls = (*client)->counts().creates;
  report.poll_calls = (*client)->counts().polls;
  report.retried_calls = (*client)->counts().retries;
  return outcome;
}

}  // namespace mosaic::server
