#include "upstream/retry_policy.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

namespace mosaic::server {
namespace {

using std::chrono::milliseconds;

// No server has a reason to ask for more than a day; larger values are clamped so arithmetic on
// them cannot overflow.
constexpr milliseconds longest_retry_after = std::chrono::hours(24);

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool all_digits(std::string_view text) noexcept {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<int> parse_number(std::string_view text) noexcept {
  if (!all_digits(text) || text.size() > 4) return std::nullopt;
  int value = 0;
  for (const char digit : text) value = value * 10 + (digit - '0');
  return value;
}

std::optional<unsigned> month_from_name(std::string_view name) noexcept {
  constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t index = 0; index < months.size(); ++index) {
    if (months[index] == name) return static_cast<unsigned>(index + 1);
  }
  return std::nullopt;
}

// "08:49:37" as seconds after midnight.
std::optional<int> parse_time_of_day(std::string_view text) noexcept {
  if (text.size() != 8 || text[2] != ':' || text[5] != ':') return std::nullopt;
  const auto hours = parse_number(text.substr(0, 2));
  const auto minutes = parse_number(text.substr(3, 2));
  const auto seconds = parse_number(text.substr(6, 2));
  if (!hours || !minutes || !seconds || *hours > 23 || *minutes > 59 || *seconds > 60) return std::nullopt;
  return *hours * 3600 + *minutes * 60 + *seconds;
}

std::optional<std::chrono::system_clock::time_point> make_time(int year, unsigned month, int day, int seconds) {
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{month},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days{date} + std::chrono::seconds{seconds};
}

std::vector<std::string_view> split_on_spaces(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t start = 0;
  while (start < text.size()) {
    if (text[start] == ' ') {
      ++start;
      continue;
    }
    const std::size_t end = std::min(text.find(' ', start), text.size());
    words.push_back(text.substr(start, end - start));
    start = end;
  }
  return words;
}

// The three date forms RFC 9110 section 5.6.7 says a recipient must read:
//   IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"
//   RFC 850      "Sunday, 06-Nov-94 08:49:37 GMT"
//   asctime      "Sun Nov  6 08:49:37 1994"
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
  const auto words = split_on_spaces(text);
  if (words.size() == 6 && words[0].size() == 4 && words[0][3] == ',' && words[5] == "GMT") {
    const auto day = parse_number(words[1]);
    const auto month = month_from_name(words[2]);
    const auto year = words[3].size() == 4 ? parse_number(words[3]) : std::nullopt;
    const auto seconds = parse_time_of_day(words[4]);
    if (!day || words[1].size() != 2 || !month || !year || !seconds) return std::nullopt;
    return make_time(*year, *month, *day, *seconds);
  }
  if (words.size() == 4 && words[0].size() > 4 && words[0].back() == ',' && words[3] == "GMT" &&
      words[1].size() == 9 && words[1][2] == '-' && words[1][6] == '-') {
    const auto day = parse_number(words[1].substr(0, 2));
    const auto month = month_from_name(words[1].substr(3, 3));
    const auto two_digit_year = parse_number(words[1].substr(7, 2));
    const auto seconds = parse_time_of_day(words[2]);
    if (!day || !month || !two_digit_year || !seconds) return std::nullopt;
    // RFC 9110: a two-digit year more than 50 years in the future means the past century; for a
    // Retry-After that is always "the past", which the caller treats as "now" anyway.
    return make_time(2000 + *two_digit_year, *month, *day, *seconds);
  }
  if (words.size() == 5 && words[0].size() == 3) {
    const auto month = month_from_name(words[1]);
    const auto day = words[2].size() <= 2 ? parse_number(words[2]) : std::nullopt;
    const auto seconds = parse_time_of_day(words[3]);
    const auto year = words[4].size() == 4 ? parse_number(words[4]) : std::nullopt;
    if (!month || !day || !seconds || !year) return std::nullopt;
    return make_time(*year, *month, *day, *seconds);
  }
  return std::nullopt;
}

}  // namespace

bool is_retryable_status(unsigned status) noexcept {
  // 502 is not in Google's table, but it is what a load balancer in front of Google answers when a
  // backend went away mid-call: as transient as 503.
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

std::optional<milliseconds> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (all_digits(value)) {
    // More than ten digits is more than 300 years: clamp rather than overflow.
    if (value.size() > 10) return longest_retry_after;
    std::uint64_t seconds = 0;
    for (const char digit : value) seconds = seconds * 10 + static_cast<std::uint64_t>(digit - '0');
    return std::min<milliseconds>(std::chrono::seconds{seconds}, longest_retry_after);
  }
  const auto date = parse_http_date(value);
  if (!date) return std::nullopt;
  if (*date <= now) return milliseconds{0};
  return std::min(std::chrono::ceil<milliseconds>(*date - now), longest_retry_after);
}

milliseconds retry_delay(const retry_policy& policy, unsigned attempt, std::optional<milliseconds> retry_after,
                         double unit_random) {
  const double maximum = static_cast<double>(std::max<std::int64_t>(policy.max_delay.count(), 0));
  // initial · multiplier^(attempt-1), computed in double and capped before it can overflow.
  double step = static_cast<double>(std::max<std::int64_t>(policy.initial_delay.count(), 0));
  const double multiplier = std::isfinite(policy.multiplier) && policy.multiplier >= 1.0 ? policy.multiplier : 1.0;
  for (unsigned index = 1; index < attempt && step < maximum; ++index) step *= multiplier;
  step = std::min(step, maximum);
  // Full jitter: callers that failed together spread over the whole step instead of retrying in a
  // synchronized wave.
  if (!(unit_random >= 0.0)) unit_random = 0.0;  // also catches NaN
  if (unit_random >= 1.0) unit_random = std::nextafter(1.0, 0.0);
  auto delay = milliseconds{static_cast<std::int64_t>(step * unit_random)};
  if (retry_after) delay = std::max(delay, std::min(*retry_after, longest_retry_after));
  return delay;
}

}  // namespace mosaic::server
