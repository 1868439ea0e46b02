#pragma once
// The tokenizer of Universal Sentence Encoder Lite as @energetic-ai/embeddings 0.2.0 implements it:
// a unigram SentencePiece model decoded with that package's own Viterbi, quirks included, because token
// ids must match the reference exactly for the embeddings to match. What is reproduced on purpose:
//  - "▁" (U+2581) is prepended and every U+0020 (only that character) becomes "▁";
//  - ids 0..5 are reserved and never matched; a vocabulary piece listed twice keeps its last id;
//  - a null score counts as 0 (vocab.json has nine corrupted ':' pieces with null, 30 or 0);
//  - where no piece starts at a code point, that one code point becomes id 0 with score 0;
//  - Viterbi keeps best[] = 0 as "unset" (so a real total of 0 is overwritten by the next candidate)
//    and replaces on ties (>=), visiting candidates ending at one position by ascending start;
//  - the backtrack steps back by the UTF-16 length of the chosen piece, not its code-point count (the
//    same for the real vocabulary, whose pieces are all in the BMP; a non-BMP piece skips a position);
//  - consecutive id 0 tokens are merged into one.
// NFKC normalization is the caller's job (ICU natively, String.prototype.normalize in the browser):
// the portable core carries no Unicode tables.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"

namespace mosaic::model {

class sentencepiece_tokenizer {
 public:
  static constexpr std::int32_t unknown_id = 0;
  static constexpr std::int32_t reserved_id_count = 6;  // ids 0..5: unknown, <s>, </s>, three extra ids

  // vocab.json: a JSON array of [piece, score] pairs, the position being the id; score is a number or
  // null. Needs the six reserved entries; the unknown piece (id 0) must not be empty, because the
  // backtrack steps over an unknown code point by that piece's length. Errors: invalid_json,
  // invalid_model (naming the entry).
  static result<sentencepiece_tokenizer> from_vocabulary_json(std::string_view vocabulary_json);

  // Token ids of text that is already NFKC-normalized UTF-8. Empty text gives no tokens. There is no
  // truncation here (the model reads the first 128). Fails with invalid_utf8 naming the byte offset.
  // Thread-safe: it reads only immutable state.
  [[nodiscard]] result<std::vector<std::int32_t>> tokenize(std::string_view normalized_text) const;

  [[nodiscard]] std::size_t vocabulary_size() const noexcept { return pieces_.size(); }
  // The piece of an id, "" when the id is out of range. For debugging and tests.
  [[nodiscard]] std::string_view piece(std::int32_t id) const noexcept;
  // Whether the id's piece begins a word: it starts with "▁" (U+2581), which stands for a space and
  // for the start of the text.
  [[nodiscard]] bool starts_word(std::int32_t id) const noexcept;
  // The score vocab.json lists for an id (null read as 0); 0 when the id is out of range.
  [[nodiscard]] double piece_score(std::int32_t id) const noexcept;

 private:
  // A trie over code points. A node that ends a piece carries its id and score.
  struct trie_node {
    std::int32_t piece_id = -1;  // -1: no piece ends here
    double score = 0.0;
  };

  sentencepiece_tokenizer() = default;
  void insert(const std::vector<char32_t>& code_points, std::int32_t id, double score);
  [[nodiscard]] static std::uint64_t child_key(std::uint32_t parent, char32_t code_point) noexcept {
    return (static_cast<std::uint64_t>(parent) << 21) | code_point;  // code points take 21 bits
  }

  std::vector<std::string> pieces_;             // by id
  std::vector<double> scores_;                  // by id; 0 for null
  std::vector<std::uint32_t> utf16_lengths_;    // by id: the backtrack step
  std::vector<trie_node> nodes_;                // nodes_[0] is the root
  std::unordered_map<std::uint64_t, std::uint32_t> children_;  // child_key(parent, code point) -> node
};

}  // namespace mosaic::model
