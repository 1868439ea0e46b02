#include "cli/batch_job_journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace mosaic::server {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr std::string_view journal_format = "mosaic-batch-jobs";
constexpr unsigned journal_version = 1;

error journal_error(const fs::path& file, const std::string& problem) {
  return make_error(error_code::invalid_json,
                    "the batch job journal " + file.string() + " " + problem +
                        "; it names jobs already paid for, so it is left as it is (move it away to start afresh)");
}

int hex_digit(char character) noexcept {
  if (character >= '0' && character <= '9') return character - '0';
  if (character >= 'a' && character <= 'f') return character - 'a' + 10;
  return -1;
}

bool parse_key(std::string_view text, embedding_cache_key& key) {
  if (text.size() != key.size() * 2) return false;
  for (std::size_t index = 0; index < key.size(); ++index) {
    const int high = hex_digit(text[2 * index]);
    const int low = hex_digit(text[2 * index + 1]);
    if (high < 0 || low < 0) return false;
    key[index] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return true;
}

status write_all(int descriptor, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(descriptor, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return make_error(error_code::io_error, std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return success{};
}

}  // namespace

std::string cache_key_hex(const embedding_cache_key& key) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string text;
  text.reserve(key.size() * 2);
  for (const std::uint8_t byte : key) {
    text.push_back(digits[byte >> 4]);
    text.push_back(digits[byte & 15]);
  }
  return text;
}

fs::path batch_job_journal_path(const fs::path& cache_file) {
  std::string name = cache_file.filename().string();
  // embeddings-MODEL.log -> batch-jobs-MODEL.json
  if (name.starts_with("embeddings-")) name = name.substr(11);
  if (name.ends_with(".log")) name.resize(name.size() - 4);
  return cache_file.parent_path() / ("batch-jobs-" + name + ".json");
}

result<batch_job_journal> load_batch_job_journal(const fs::path& file, std::string_view model) {
  batch_job_journal journal;
  journal.file = file;
  journal.model = model;
  std::error_code failure;
  if (!fs::exists(file, failure)) return journal;
  std::ifstream stream(file, std::ios::binary);
  if (!stream) return make_error(error_code::io_error, "cannot read the batch job journal " + file.string());
  std::stringstream contents;
  contents << stream.rdbuf();
  const json document = json::parse(contents.str(), nullptr, false);
  if (document.is_discarded() || !document.is_object()) return journal_error(file, "is not a JSON object");
  if (document.value("format", "") != journal_format || !document.contains("version") ||
      !document["version"].is_number_unsigned() || document["version"].get<unsigned>() != journal_version) {
    return journal_error(file, "is not a version 1 mosaic-batch-jobs journal");
  }
  if (document.value("model", "") != model) {
    return journal_error(file, "belongs to the model \"" + document.value("model", "") + "\", not " + std::string(model));
  }
  const auto jobs = document.find("jobs");
  if (jobs == document.end() || !jobs->is_array()) return journal_error(file, "has no jobs list");
  for (std::size_t index = 0; index < jobs->size(); ++index) {
    const json& entry = (*jobs)[index];
    const std::string where = "has a bad jobs[" + std::to_string(index) + "]";
    if (!entry.is_object()) return journal_error(file, where);
    journaled_batch_job job;
    const auto name = entry.find("name");
    const auto attempt = entry.find("attempt");
    const auto dimensions = entry.find("dimensions");
    const auto upstream = entry.find("upstream_dimensions");
    const auto keys = entry.find("keys");
    if (name == entry.end() || !name->is_string() || !name->get_ref<const std::string&>().starts_with("batches/") ||
        attempt == entry.end() || !attempt->is_number_unsigned() || dimensions == entry.end() ||
        !dimensions->is_number_unsigned() || upstream == entry.end() || !upstream->is_number_unsigned() ||
        keys == entry.end() || !keys->is_array() || keys->empty()) {
      return journal_error(file, where);
    }
    job.name = name->get<std::string>();
    job.attempt = attempt->get<unsigned>();
    job.dimensions = dimensions->get<std::size_t>();
    job.upstream_dimensions = upstream->get<std::size_t>();
    job.submitted_at = entry.value("submitted_at", "");
    job.keys.resize(keys->size());
    for (std::size_t key = 0; key < keys->size(); ++key) {
      if (!(*keys)[key].is_string() || !parse_key((*keys)[key].get_ref<const std::string&>(), job.keys[key])) {
        return journal_error(file, where + " key");
      }
    }
    journal.jobs.push_back(std::move(job));
  }
  return journal;
}

status save_batch_job_journal(const batch_job_journal& journal) {
  std::error_code failure;
  if (journal.jobs.empty()) {
    fs::remove(journal.file, failure);
    if (failure) return make_error(error_code::io_error, "cannot remove " + journal.file.string() + ": " + failure.message());
    return success{};
  }
  json jobs = json::array();
  for (const journaled_batch_job& job : journal.jobs) {
    json keys = json::array();
    for (const embedding_cache_key& key : job.keys) keys.push_back(cache_key_hex(key));
    jobs.push_back({{"name", job.name},
                    {"attempt", job.attempt},
                    {"dimensions", job.dimensions},
                    {"upstream_dimensions", job.upstream_dimensions},
                    {"submitted_at", job.submitted_at},
                    {"keys", std::move(keys)}});
  }
  const std::string text =
      json{{"format", journal_format}, {"version", journal_version}, {"model", journal.model}, {"jobs", std::move(jobs)}}.dump(1) + "\n";
  const fs::path temporary = journal.file.parent_path() / ("." + journal.file.filename().string() + ".tmp" + std::to_string(::getpid()));
  const int descriptor = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (descriptor < 0) return make_error(error_code::io_error, "cannot write " + temporary.string() + ": " + std::strerror(errno));
  status written = write_all(descriptor, text);
  if (written && ::fsync(descriptor) != 0) written = make_error(error_code::io_error, std::strerror(errno));
  ::close(descriptor);
  if (written) {
    fs::rename(temporary, journal.file, failure);
    if (failure) written = make_error(error_code::io_error, failure.message());
  }
  if (!written) {
    fs::remove(temporary, failure);
    return make_error(error_code::io_error, "cannot write the batch job journal " + journal.file.string() + ": " +
                                                written.failure().message);
  }
  // The rename itself survives a machine crash once the folder is synced.
  const int folder = ::open(journal.file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (folder >= 0) {
    (void)::fsync(folder);
    ::close(folder);
  }
  return success{};
}

}  // namespace mosaic::server
