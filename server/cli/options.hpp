#pragma once
// A small parser for "--name value" / "--flag" command-line options and positional arguments, with
// errors that name the option. Each command states which options it knows; anything else is an error.
#include <charconv>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic::server {

class parsed_options {
 public:
  // `valued`: options that take a value; `flags`: options that do not.
  parsed_options(std::span<const std::string_view> arguments, const std::set<std::string_view>& valued,
                 const std::set<std::string_view>& flags) {
    for (std::size_t position = 0; position < arguments.size(); ++position) {
      const std::string_view argument = arguments[position];
      if (argument.size() > 1 && argument[0] == '-' && !is_number(argument)) {
        if (flags.contains(argument)) {
          flags_.insert(std::string(argument));
        } else if (valued.contains(argument)) {
          if (position + 1 >= arguments.size()) {
            error_ = "option " + std::string(argument) + " needs a value";
            return;
          }
          values_[std::string(argument)].emplace_back(arguments[++position]);
        } else {
          error_ = "unknown option " + std::string(argument);
          return;
        }
      } else {
        positional_.emplace_back(argument);
      }
    }
  }

  [[nodiscard]] const std::optional<std::string>& error() const noexcept { return error_; }
  [[nodiscard]] const std::vector<std::string>& positional() const noexcept { return positional_; }
  [[nodiscard]] bool has(std::string_view flag) const { return flags_.contains(std::string(flag)); }
  // The option's value (the last one when it was given several times), nullopt when absent.
  [[nodiscard]] std::optional<std::string> value(std::string_view name) const {
    const auto found = values_.find(std::string(name));
    if (found == values_.end()) return std::nullopt;
    return found->second.back();
  }
  // Every value of a repeatable option, in command-line order.
  [[nodiscard]] std::vector<std::string> values(std::string_view name) const {
    const auto found = values_.find(std::string(name));
    return found == values_.end() ? std::vector<std::string>{} : found->second;
  }
  // The option as an integer in [minimum, maximum], `fallback` when absent; nullopt (and error()) when bad.
  std::optional<std::size_t> number(std::string_view name, std::size_t fallback, std::size_t minimum,
                                    std::size_t maximum) {
    const auto text = value(name);
    if (!text) return fallback;
    std::size_t parsed = 0;
    const auto [end, failure] = std::from_chars(text->data(), text->data() + text->size(), parsed);
    if (failure != std::errc() || end != text->data() + text->size() || parsed < minimum || parsed > maximum) {
      error_ = "option " + std::string(name) + " must be a whole number from " + std::to_string(minimum) + " to " +
               std::to_string(maximum) + ", not '" + *text + "'";
      return std::nullopt;
    }
    return parsed;
  }

 private:
  static bool is_number(std::string_view text) {
    return text.size() > 1 && text[0] == '-' && text[1] >= '0' && text[1] <= '9';
  }

  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positional_;
  std::optional<std::string> error_;
};

}  // namespace mosaic::server
