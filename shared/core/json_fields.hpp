#pragma once
// Internal: typed, non-throwing reads of JSON object fields for the core's parsers (the manifest,
// item metadata, the local model's weights manifest and vocabulary).
// Every accessor checks the type before reading, so nlohmann never throws (and never aborts in the
// wasm build, which compiles it with JSON_NOEXCEPTION).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mosaic::json_fields {

class object_reader {
 public:
  object_reader(const nlohmann::json& object, std::string context, error_code failure_code)
      : object_(object), context_(std::move(context)), failure_code_(failure_code) {}

  [[nodiscard]] const nlohmann::json* find(std::string_view key) const {
    if (!object_.is_object()) return nullptr;
    const auto found = object_.find(key);
    return found == object_.end() ? nullptr : &*found;
  }

  result<std::string> required_string(std::string_view key) const {
    const nlohmann::json* value = find(key);
    if (value == nullptr) return missing(key);
    if (!value->is_string()) return wrong_type(key, "a string");
    return value->get_ref<const std::string&>();
  }

  result<std::optional<std::string>> optional_string(std::string_view key) const {
    const nlohmann::json* value = find(key);
    if (value == nullptr || value->is_null()) return std::optional<std::string>{};
    if (!value->is_string()) return wrong_type(key, "a string");
    return std::optional<std::string>{value->get_ref<const std::string&>()};
  }

  result<std::uint64_t> required_unsigned(std::string_view key, std::uint64_t maximum) const {
    const nlohmann::json* value = find(key);
    if (value == nullptr) return missing(key);
    return unsigned_value(key, *value, maximum);
  }

  result<std::optional<std::uint64_t>> optional_unsigned(std::string_view key, std::uint64_t maximum) const {
    const nlohmann::json* value = find(key);
    if (value == nullptr || value->is_null()) return std::optional<std::uint64_t>{};
    auto number = unsigned_value(key, *value, maximum);
    if (!number) return std::move(number).failure();
    return std::optional<std::uint64_t>{number.value()};
  }

  error missing(std::string_view key) const {
    return make_error(failure_code_, context_ + ": missing field \"" + std::string(key) + "\"");
  }
  error wrong_type(std::string_view key, std::string_view expected) const {
    return make_error(failure_code_, context_ + ": field \"" + std::string(key) + "\" must be " + std::string(expected));
  }
  error invalid(std::string_view key, const std::string& why) const {
    return make_error(failure_code_, context_ + ": field \"" + std::string(key) + "\" " + why);
  }
  [[nodiscard]] const std::string& context() const noexcept { return context_; }

 private:
  result<std::uint64_t> unsigned_value(std::string_view key, const nlohmann::json& value, std::uint64_t maximum) const {
    if (!value.is_number_unsigned()) return wrong_type(key, "a non-negative integer");
    const auto number = value.get<std::uint64_t>();
    if (number > maximum) return invalid(key, "is " + std::to_string(number) + ", above the limit " + std::to_string(maximum));
    return number;
  }

  const nlohmann::json& object_;
  std::string context_;
  error_code failure_code_;
};

// Parses without exceptions; an error names the byte where parsing stopped when it can.
inline result<nlohmann::json> parse_json(std::string_view text, std::string_view what) {
  nlohmann::json parsed = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (parsed.is_discarded()) {
    return make_error(error_code::invalid_json, std::string(what) + " is not valid JSON");
  }
  return parsed;
}

}  // namespace mosaic::json_fields
