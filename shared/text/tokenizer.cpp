#include "text/tokenizer.hpp"

#include <cstdint>
#include <iterator>
#include <utility>

#include "text/character_classes.hpp"
#include "text/utf8.hpp"

namespace mosaic::text {
namespace {

constexpr char32_t apostrophe = U'\'';
constexpr char32_t right_single_quotation_mark = U'\u2019';  // the apostrophe of typeset text

bool is_word_character(character_kind kind) noexcept {
  return kind == character_kind::letter || kind == character_kind::latin_greek_letter || kind == character_kind::digit;
}

// The joiner a compound keeps in its whole form, or 0 when `code_point` joins nothing. `between_digits`
// joiners (thousands and decimal separators, times) join only a digit to a digit.
char joiner_of(char32_t code_point, bool& between_digits) noexcept {
  between_digits = false;
  switch (code_point) {
    case U'-':
    case U'\u2010': return '-';  // HYPHEN; NFKC turns U+2011 NON-BREAKING HYPHEN into it
    case U'_': return '_';
    case U'.': return '.';
    case U'/': return '/';
    case U'@': return '@';
    case U',': between_digits = true; return ',';
    case U':': between_digits = true; return ':';
    default: return 0;
  }
}

class tokenizer_run {
 public:
  tokenizer_run(const std::vector<char32_t>& code_points, const tokenizer_options& options)
      : code_points_(code_points), maximum_(options.max_token_bytes) {}

  tokenization run() && {
    while (index_ < code_points_.size()) {
      const character_kind kind = kind_of(code_points_[index_]);
      if (kind == character_kind::bigram_letter) {
        bigram_run();
      } else if (is_word_character(kind)) {
        word_run();
      } else {
        advance();  // other characters break words; a stray mark or an ignorable outside a word goes too
      }
    }
    result_.position_count = position_;
    return std::move(result_);
  }

 private:
  struct piece {
    std::string text;
    std::uint32_t begin = 0;
    std::uint32_t end = 0;
    bool digits_only = true;
    bool ends_with_digit = false;
  };

  [[nodiscard]] char32_t at(std::size_t index) const noexcept {
    return index < code_points_.size() ? code_points_[index] : U'\0';
  }
  void advance() noexcept {
    byte_ += utf8_length(code_points_[index_]);
    ++index_;
  }
  [[nodiscard]] bool too_long(const std::string& text) const noexcept { return text.size() > maximum_; }
  // Texts stop growing one byte past the limit: hostile runs cost no memory beyond it.
  void append(char32_t code_point, std::string& text) const {
    if (!too_long(text)) append_folded(code_point, text);
  }

  void emit(std::string text, std::uint32_t begin, std::uint32_t end, std::uint32_t position, token_kind kind,
            bool part_of_compound) {
    if (too_long(text)) {
      ++result_.dropped_long_tokens;
      return;
    }
    result_.tokens.push_back(token{std::move(text), begin, end - begin, position, kind, part_of_compound});
  }

  // One part of a word run: letters, digits and their marks, with apostrophes inside.
  piece scan_part() {
    piece part;
    part.begin = byte_;
    bool after_latin_greek = false;
    while (index_ < code_points_.size()) {
      const char32_t code_point = code_points_[index_];
      const character_kind kind = kind_of(code_point);
      if (is_word_character(kind)) {
        append(code_point, part.text);
        after_latin_greek = kind == character_kind::latin_greek_letter;
        part.digits_only = part.digits_only && kind == character_kind::digit;
        part.ends_with_digit = kind == character_kind::digit;
      } else if (kind == character_kind::mark) {
        // Diacritics left after a Latin or Greek letter (İ folds to i + U+0307; decomposed input) go.
        const bool diacritic = code_point >= U'\u0300' && code_point <= U'\u036F';
        if (!(diacritic && after_latin_greek)) append(code_point, part.text);
        part.digits_only = false;
        part.ends_with_digit = false;
      } else if (kind == character_kind::ignorable) {
        advance();
        continue;  // not part of the source span unless a character follows
      } else if ((code_point == apostrophe || code_point == right_single_quotation_mark) &&
                 is_word_character(kind_of(at(index_ + 1)))) {
        if (!too_long(part.text)) part.text.push_back('\'');
        part.digits_only = false;
        part.ends_with_digit = false;
      } else {
        break;
      }
      advance();
      part.end = byte_;
    }
    return part;
  }

  // The joiner that continues a word run after `part` (a word character must follow it at once), or 0.
  [[nodiscard]] char joiner_after(const piece& part) const noexcept {
    bool between_digits = false;
    const char joiner = joiner_of(at(index_), between_digits);
    if (joiner == 0 || index_ + 1 >= code_points_.size()) return 0;
    const character_kind next = kind_of(code_points_[index_ + 1]);
    if (!is_word_character(next)) return 0;
    if (between_digits && !(part.ends_with_digit && next == character_kind::digit)) return 0;
    return joiner;
  }

  static token_kind kind_of_part(const piece& part) noexcept {
    return part.digits_only ? token_kind::number : token_kind::word;
  }

  // A word, a number, or a compound of them.
  void word_run() {
    piece part = scan_part();
    char joiner = joiner_after(part);
    if (joiner == 0) {
      emit(std::move(part.text), part.begin, part.end, position_++, kind_of_part(part), false);
      return;
    }
    // A compound: its parts now, its whole and joined forms put before them once the run ends.
    const std::uint32_t first_position = position_;
    const std::size_t first_token = result_.tokens.size();
    const std::uint32_t begin = part.begin;
    std::string whole;
    std::string joined;
    while (true) {
      if (!too_long(whole)) whole += part.text;
      if (!too_long(joined)) joined += part.text;
      const std::uint32_t end = part.end;
      emit(std::move(part.text), part.begin, part.end, position_++, kind_of_part(part), true);
      if (joiner == 0) {
        std::vector<token> forms;
        for (auto [text, kind] : {std::pair{&whole, token_kind::compound}, std::pair{&joined, token_kind::joined_compound}}) {
          if (too_long(*text)) {
            ++result_.dropped_long_tokens;
          } else {
            forms.push_back(token{std::move(*text), begin, end - begin, first_position, kind, false});
          }
        }
        result_.tokens.insert(result_.tokens.begin() + static_cast<std::ptrdiff_t>(first_token),
                              std::make_move_iterator(forms.begin()), std::make_move_iterator(forms.end()));
        return;
      }
      if (!too_long(whole)) whole.push_back(joiner);
      advance();  // over the joiner
      part = scan_part();
      joiner = joiner_after(part);
    }
  }

  // Overlapping bigrams of a run of letters of scripts written without spaces; a character is a letter
  // with the marks after it. A run of one character gives that character.
  void bigram_run() {
    piece previous;
    piece current;
    std::size_t characters = 0;
    const auto complete = [&] {  // `current` has all its marks
      if (characters >= 2) {
        std::string text = previous.text;
        if (!too_long(text)) text += current.text;
        emit(std::move(text), previous.begin, current.end, position_++, token_kind::bigram, false);
      }
      previous = std::move(current);
    };
    while (index_ < code_points_.size()) {
      const character_kind kind = kind_of(code_points_[index_]);
      if (kind == character_kind::ignorable) {
        advance();
        continue;
      }
      if (kind == character_kind::mark) {
        append(code_points_[index_], current.text);
      } else if (kind == character_kind::bigram_letter) {
        if (characters > 0) complete();
        current = piece{};
        current.begin = byte_;
        append(code_points_[index_], current.text);
        ++characters;
      } else {
        break;
      }
      advance();
      current.end = byte_;
    }
    if (characters == 1) {
      emit(std::move(current.text), current.begin, current.end, position_++, token_kind::single_character, false);
    } else {
      complete();
    }
  }

  const std::vector<char32_t>& code_points_;
  std::size_t maximum_;
  std::size_t index_ = 0;
  std::uint32_t byte_ = 0;
  std::uint32_t position_ = 0;
  tokenization result_;
};

}  // namespace

std::string_view token_kind_name(token_kind kind) noexcept {
  switch (kind) {
    case token_kind::word: return "word";
    case token_kind::number: return "number";
    case token_kind::compound: return "compound";
    case token_kind::joined_compound: return "joined_compound";
    case token_kind::bigram: return "bigram";
    case token_kind::single_character: return "single_character";
  }
  return "word";
}

result<tokenization> tokenize(std::string_view normalized_text, const tokenizer_options& options) {
  if (options.max_token_bytes == 0) return make_error(error_code::invalid_argument, "max_token_bytes must be at least 1");
  if (normalized_text.size() > options.max_input_bytes || normalized_text.size() > UINT32_MAX) {
    return make_error(error_code::invalid_argument,
                      "the text to tokenize is " + std::to_string(normalized_text.size()) +
                          " bytes, over the limit of " + std::to_string(options.max_input_bytes) +
                          " (tokenize an item's text in parts)");
  }
  std::vector<char32_t> code_points;
  code_points.reserve(normalized_text.size());
  if (auto decoded = decode_utf8(normalized_text, "the text to tokenize", code_points); !decoded) {
    return std::move(decoded).failure();
  }
  return tokenizer_run(code_points, options).run();
}

}  // namespace mosaic::text
