#include "command_line.hpp"

#include <charconv>
#include <limits>

namespace mosaic::gemini_double {

const char* const usage_text =
    "mosaic_gemini_double: a test double of the Gemini embedding API (embedContent, batchEmbedContents,\n"
    "asyncBatchEmbedContent batch jobs)\n"
    "\n"
    "Prints `listening on 127.0.0.1:PORT` once ready; stops on SIGINT or SIGTERM.\n"
    "\n"
    "  --port N                 port on 127.0.0.1 (default 0: a free port)\n"
    "  --api-key KEY            the accepted key (default: any non-empty key; a missing key is refused)\n"
    "  --model-dir DIR          the local text model (default: $MOSAIC_MODEL_DIR or the install cache)\n"
    "  --hash-text              embed text by hash instead of the model (no model needed; no meaning)\n"
    "  --model NAME             accept another model name, multimodal (repeatable)\n"
    "  --threads N              io threads (default 2)\n"
    "  --body-limit-bytes N     largest request body read at all (default 67108864; 413 above it)\n"
    "  --request-limit-bytes N  largest embedding request served (default 20971520, gemini-api.md's\n"
    "                           20 MB; 400 INVALID_ARGUMENT above it, as Google answers)\n"
    "  --read-timeout-seconds N per read of a request (default 30)\n"
    "  --keep-media DIR         write every inline media part embedded to DIR as <sha256>.<extension>\n"
    "fault injection (every Nth call counts calls to the two embedding endpoints):\n"
    "  --fail-429-every N       every Nth call: 429 RESOURCE_EXHAUSTED with Retry-After\n"
    "  --retry-after S          the Retry-After of those 429s (default 1)\n"
    "  --fail-500-every N       every Nth call: 500 INTERNAL\n"
    "  --drop-every N           every Nth call: close the connection without a response\n"
    "  --latency-ms MS          delay every call by MS milliseconds\n"
    "  --rpm N                  at most N calls per sliding minute, then 429 with Retry-After\n"
    "  --hold-calls             start with the call gate closed: each embedding call's answer waits\n"
    "                           until POST /_double/release, which sends them all and opens the gate\n"
    "batch jobs: POST /v1beta/models/M:asyncBatchEmbedContent, GET|DELETE /v1beta/batches/ID,\n"
    "            POST /v1beta/batches/ID:cancel; their states and faults: GET|POST /_double/batch-jobs\n"
    "test endpoints: GET /_double/stats, POST /_double/reset, GET|POST /_double/faults,\n"
    "                POST /_double/hold, POST /_double/release\n";

namespace {

error usage_error(std::string message) {
  return make_error(error_code::invalid_argument, std::move(message) + " (see --help)");
}

result<std::uint64_t> parse_unsigned(const std::string& flag, const std::string& text, std::uint64_t maximum) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, failure] = std::from_chars(text.data(), end, value);
  if (text.empty() || failure != std::errc{} || stop != end || value > maximum) {
    return usage_error(flag + " takes a whole number from 0 to " + std::to_string(maximum) + ", got \"" + text + "\"");
  }
  return value;
}

}  // namespace

result<double_options> parse_command_line(const std::vector<std::string>& arguments) {
  double_options options;
  constexpr std::uint64_t any = std::numeric_limits<std::uint32_t>::max();
  for (std::size_t index = 0; index < arguments.size(); ++index) {
    std::string flag = arguments[index];
    std::optional<std::string> inline_value;
    if (const std::size_t equals = flag.find('='); flag.starts_with("--") && equals != std::string::npos) {
      inline_value = flag.substr(equals + 1);
      flag.resize(equals);
    }
    if (flag == "--help" || flag == "-h") {
      options.show_help = true;
      continue;
    }
    if (flag == "--hash-text") {
      options.hash_text = true;
      continue;
    }
    if (flag == "--hold-calls") {
      options.api.hold_calls = true;
      continue;
    }
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (index + 1 < arguments.size()) {
      value = arguments[++index];
    } else {
      return usage_error("unknown flag or missing value: " + flag);
    }

    auto number = [&](std::uint64_t maximum) { return parse_unsigned(flag, value, maximum); };
    auto set_number = [&](std::uint64_t& target, std::uint64_t maximum) -> status {
      auto parsed = number(maximum);
      if (!parsed) return std::move(parsed).failure();
      target = *parsed;
      return success{};
    };
    status outcome = success{};
    if (flag == "--port") {
      std::uint64_t port = 0;
      outcome = set_number(port, 65535);
      options.server.port = static_cast<std::uint16_t>(port);
    } else if (flag == "--api-key") {
      if (value.empty()) return usage_error("--api-key needs a non-empty key");
      options.api.accepted_api_key = value;
    } else if (flag == "--keep-media") {
      if (value.empty()) return usage_error("--keep-media needs a directory");
      options.api.keep_media_directory = value;
    } else if (flag == "--model-dir") {
      options.model_directory = value;
    } else if (flag == "--model") {
      if (value.empty() || value.find_first_of("/:?#") != std::string::npos) {
        return usage_error("--model takes a bare model name such as gemini-embedding-2");
      }
      options.api.models.push_back({value, true});
    } else if (flag == "--threads") {
      std::uint64_t threads = 0;
      outcome = set_number(threads, 64);
      options.server.threads = threads == 0 ? 1 : static_cast<std::size_t>(threads);
    } else if (flag == "--body-limit-bytes") {
      outcome = set_number(options.server.body_limit_bytes, std::uint64_t{1} << 32);
    } else if (flag == "--request-limit-bytes") {
      outcome = set_number(options.api.max_request_bytes, std::uint64_t{1} << 32);
    } else if (flag == "--read-timeout-seconds") {
      std::uint64_t seconds = 0;
      outcome = set_number(seconds, 86400);
      options.server.read_timeout = std::chrono::seconds(static_cast<std::chrono::seconds::rep>(seconds == 0 ? 1 : seconds));
    } else if (flag == "--fail-429-every") {
      outcome = set_number(options.faults.fail_429_every, any);
    } else if (flag == "--retry-after") {
      outcome = set_number(options.faults.retry_after_seconds, 86400);
    } else if (flag == "--fail-500-every") {
      outcome = set_number(options.faults.fail_500_every, any);
    } else if (flag == "--drop-every") {
      outcome = set_number(options.faults.drop_every, any);
    } else if (flag == "--latency-ms") {
      outcome = set_number(options.faults.latency_milliseconds, 600'000);
    } else if (flag == "--rpm") {
      outcome = set_number(options.faults.requests_per_minute, any);
    } else {
      return usage_error("unknown flag " + flag);
    }
    if (!outcome) return std::move(outcome).failure();
  }
  return options;
}

}  // namespace mosaic::gemini_double
