#include "embed/float_json.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace mosaic::server {

void append_json_float(std::string& output, float value) {
  std::array<char, 32> digits{};
  const auto [end, failure] = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  if (failure != std::errc{} || !std::isfinite(value)) {
    output += '0';
    return;
  }
  output.append(digits.data(), end);
}

void append_json_float_array(std::string& output, std::span<const float> values) {
  output.reserve(output.size() + values.size() * 12 + 2);
  output += '[';
  for (std::size_t index = 0; index < values.size(); ++index) {
    if (index > 0) output += ',';
    append_json_float(output, values[index]);
  }
  output += ']';
}

}  // namespace mosaic::server
