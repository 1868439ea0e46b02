#include "embed/embedding_values_scanner.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace mosaic::server {
namespace {

class scanner {
 public:
  explicit scanner(std::string_view text) : text_(text) {}

  void skip_whitespace() noexcept {
    while (position_ < text_.size()) {
      const char character = text_[position_];
      if (character != ' ' && character != '\t' && character != '\n' && character != '\r') return;
      ++position_;
    }
  }

  // The next token is exactly `token` (whitespace before it is skipped).
  bool expect(std::string_view token) noexcept {
    skip_whitespace();
    if (text_.substr(position_, token.size()) != token) return false;
    position_ += token.size();
    return true;
  }

  // The next character (after whitespace) without taking it; '\0' at the end.
  char peek() noexcept {
    skip_whitespace();
    return position_ < text_.size() ? text_[position_] : '\0';
  }

  void take() noexcept {
    if (position_ < text_.size()) ++position_;
  }
  [[nodiscard]] bool at_end() noexcept {
    skip_whitespace();
    return position_ == text_.size();
  }

  // One JSON number that fits a float, as the general parser would read it; false otherwise.
  bool number(float& value) noexcept {
    skip_whitespace();
    const std::size_t start = position_;
    bool integer = true;
    if (position_ < text_.size() && text_[position_] == '-') ++position_;
    // int: 0 | [1-9][0-9]*
    if (position_ >= text_.size()) return false;
    if (text_[position_] == '0') {
      ++position_;
    } else if (text_[position_] >= '1' && text_[position_] <= '9') {
      skip_digits();
    } else {
      return false;
    }
    if (position_ < text_.size() && text_[position_] == '.') {
      integer = false;
      ++position_;
      if (skip_digits() == 0) return false;
    }
    if (position_ < text_.size() && (text_[position_] == 'e' || text_[position_] == 'E')) {
      integer = false;
      ++position_;
      if (position_ < text_.size() && (text_[position_] == '+' || text_[position_] == '-')) ++position_;
      if (skip_digits() == 0) return false;
    }
    double parsed = 0;
    const char* first = text_.data() + start;
    const char* last = text_.data() + position_;
    const auto [stop, failure] = std::from_chars(first, last, parsed);
    if (failure != std::errc{} || stop != last) return false;
    if (!std::isfinite(parsed) || std::fabs(parsed) > static_cast<double>(std::numeric_limits<float>::max())) return false;
    // The general parser reads "-0" as the integer 0, so +0; "-0.0" stays a negative zero there too.
    if (integer && parsed == 0) parsed = 0;
    value = static_cast<float>(parsed);
    return true;
  }

 private:
  std::size_t skip_digits() noexcept {
    const std::size_t start = position_;
    while (position_ < text_.size() && text_[position_] >= '0' && text_[position_] <= '9') ++position_;
    return position_ - start;
  }

  std::string_view text_;
  std::size_t position_ = 0;
};

}  // namespace

std::optional<std::vector<std::vector<float>>> scan_embedding_values(std::string_view body, std::size_t expected,
                                                                     std::size_t dimensions) {
  scanner in(body);
  if (!in.expect("{") || !in.expect("\"embeddings\"") || !in.expect(":") || !in.expect("[")) return std::nullopt;
  std::vector<std::vector<float>> vectors;
  vectors.reserve(expected);
  if (in.peek() == ']') return std::nullopt;  // an empty list: the general path words the error
  while (true) {
    if (vectors.size() == expected) return std::nullopt;  // more than expected
    if (!in.expect("{") || !in.expect("\"values\"") || !in.expect(":") || !in.expect("[")) return std::nullopt;
    std::vector<float> vector(dimensions);
    for (std::size_t component = 0; component < dimensions; ++component) {
      if (component > 0 && !in.expect(",")) return std::nullopt;
      if (!in.number(vector[component])) return std::nullopt;
    }
    if (!in.expect("]") || !in.expect("}")) return std::nullopt;
    vectors.push_back(std::move(vector));
    const char next = in.peek();
    in.take();
    if (next == ']') break;
    if (next != ',') return std::nullopt;
  }
  if (vectors.size() != expected || !in.expect("}") || !in.at_end()) return std::nullopt;
  return vectors;
}

}  // namespace mosaic::server
