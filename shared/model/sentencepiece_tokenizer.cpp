#include "model/sentencepiece_tokenizer.hpp"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/json_fields.hpp"
#include "text/utf8.hpp"

namespace mosaic::model {
namespace {

using nlohmann::json;

constexpr char32_t word_start_marker = U'\u2581';  // "▁"

std::uint32_t utf16_length(const std::vector<char32_t>& code_points) {
  std::uint32_t length = 0;
  for (const char32_t code_point : code_points) length += code_point > 0xFFFFU ? 2U : 1U;
  return length;
}

}  // namespace

result<sentencepiece_tokenizer> sentencepiece_tokenizer::from_vocabulary_json(std::string_view vocabulary_json) {
  auto parsed = json_fields::parse_json(vocabulary_json, "vocab.json");
  if (!parsed) return std::move(parsed).failure();
  const json& root = parsed.value();
  if (!root.is_array()) return make_error(error_code::invalid_model, "vocab.json must be a JSON array of [piece, score] pairs");
  if (root.size() < static_cast<std::size_t>(reserved_id_count)) {
    return make_error(error_code::invalid_model, "vocab.json has " + std::to_string(root.size()) +
                                                     " entries, fewer than the 6 reserved ids (unknown, <s>, </s>, 3 extra)");
  }
  if (root.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    return make_error(error_code::invalid_model, "vocab.json has more entries than 32-bit token ids can number");
  }

  sentencepiece_tokenizer tokenizer;
  tokenizer.pieces_.reserve(root.size());
  tokenizer.scores_.reserve(root.size());
  tokenizer.utf16_lengths_.reserve(root.size());
  tokenizer.nodes_.emplace_back();  // the root
  std::vector<char32_t> code_points;
  for (std::size_t position = 0; position < root.size(); ++position) {
    const json& entry = root[position];
    const std::string context = "vocab.json entry " + std::to_string(position);
    if (!entry.is_array() || entry.size() != 2) {
      return make_error(error_code::invalid_model, context + " must be a [piece, score] pair");
    }
    if (!entry[0].is_string()) return make_error(error_code::invalid_model, context + ": the piece must be a string");
    const auto& piece = entry[0].get_ref<const std::string&>();
    double score = 0.0;  // null: JavaScript's null + x == x, so the reference scores it as 0
    if (entry[1].is_number()) {
      score = entry[1].get<double>();
    } else if (!entry[1].is_null()) {
      return make_error(error_code::invalid_model, context + ": the score must be a number or null");
    }
    code_points.clear();
    if (auto decoded = text::decode_utf8(piece, context, code_points); !decoded) return std::move(decoded).failure();
    if (position == static_cast<std::size_t>(unknown_id) && code_points.empty()) {
      return make_error(error_code::invalid_model, context + ": the unknown piece (id 0) must not be empty");
    }
    const auto id = static_cast<std::int32_t>(position);
    // An empty piece is never matched: every match covers at least one code point.
    if (id >= reserved_id_count && !code_points.empty()) tokenizer.insert(code_points, id, score);
    tokenizer.pieces_.push_back(piece);
    tokenizer.scores_.push_back(score);
    tokenizer.utf16_lengths_.push_back(utf16_length(code_points));
  }
  return tokenizer;
}

void sentencepiece_tokenizer::insert(const std::vector<char32_t>& code_points, std::int32_t id, double score) {
  std::uint32_t node = 0;
  for (const char32_t code_point : code_points) {
    const auto [child, inserted] = children_.try_emplace(child_key(node, code_point), static_cast<std::uint32_t>(nodes_.size()));
    if (inserted) nodes_.emplace_back();
    node = child->second;
  }
  // A piece listed again overwrites the earlier one, as the reference trie does: the last id wins.
  nodes_[node].piece_id = id;
  nodes_[node].score = score;
}

result<std::vector<std::int32_t>> sentencepiece_tokenizer::tokenize(std::string_view normalized_text) const {
  std::vector<std::int32_t> tokens;
  if (normalized_text.empty()) return tokens;

  std::vector<char32_t> symbols;
  symbols.reserve(normalized_text.size() + 1);
  symbols.push_back(word_start_marker);
  if (auto decoded = text::decode_utf8(normalized_text, "the text to tokenize", symbols); !decoded) {
    return std::move(decoded).failure();
  }
  std::replace(symbols.begin(), symbols.end(), U' ', word_start_marker);
  const std::size_t count = symbols.size();

  // best[end] is the best total score of a segmentation of symbols[0, end); 0 doubles as "unset", as in
  // the reference. words[end] is the id of the last piece of that segmentation.
  std::vector<double> best(count + 1, 0.0);
  std::vector<std::int32_t> words(count + 1, unknown_id);
  const auto relax = [&](std::size_t start, std::size_t end, double score, std::int32_t id) {
    const double total = score + best[start];
    if (best[end] == 0.0 || total >= best[end]) {
      best[end] = total;
      words[end] = id;
    }
  };
  // The reference collects every candidate, then for each end visits them by ascending start. Relaxing
  // forward from each start in ascending order visits the same candidates for each end in the same
  // order, and best[start] is final by then (all candidates ending at start begin before it).
  for (std::size_t start = 0; start < count; ++start) {
    bool matched = false;
    std::uint32_t node = 0;
    for (std::size_t end = start; end < count; ++end) {
      const auto child = children_.find(child_key(node, symbols[end]));
      if (child == children_.end()) break;
      node = child->second;
      if (nodes_[node].piece_id >= 0) {
        relax(start, end + 1, nodes_[node].score, nodes_[node].piece_id);
        matched = true;
      }
    }
    if (!matched) relax(start, start + 1, 0.0, unknown_id);
  }

  // Step back by each chosen piece's UTF-16 length, as the reference does (see the header). Every step
  // is at least 1 (the unknown piece is non-empty, matched pieces too), so this ends.
  std::vector<std::int32_t> reversed;
  auto position = static_cast<std::int64_t>(count);
  while (position > 0) {
    const std::int32_t id = words[static_cast<std::size_t>(position)];
    reversed.push_back(id);
    position -= static_cast<std::int64_t>(utf16_lengths_[static_cast<std::size_t>(id)]);
  }
  tokens.reserve(reversed.size());
  bool previous_unknown = false;
  for (const std::int32_t id : reversed) {
    if (!(previous_unknown && id == unknown_id)) tokens.push_back(id);
    previous_unknown = id == unknown_id;
  }
  std::reverse(tokens.begin(), tokens.end());
  return tokens;
}

std::string_view sentencepiece_tokenizer::piece(std::int32_t id) const noexcept {
  if (id < 0 || static_cast<std::size_t>(id) >= pieces_.size()) return {};
  return pieces_[static_cast<std::size_t>(id)];
}

bool sentencepiece_tokenizer::starts_word(std::int32_t id) const noexcept {
  return piece(id).starts_with("\xE2\x96\x81");  // U+2581 in UTF-8
}

double sentencepiece_tokenizer::piece_score(std::int32_t id) const noexcept {
  if (id < 0 || static_cast<std::size_t>(id) >= scores_.size()) return 0.0;
  return scores_[static_cast<std::size_t>(id)];
}

}  // namespace mosaic::model
