#include "keywords/keyword_index_builder.hpp"

#include <algorithm>
#include <array>
#include <numeric>
#include <string_view>
#include <unordered_map>

#include "core/varint.hpp"
#include "hash/sha256.hpp"
#include "keywords/keyword_directory.hpp"
#include "keywords/keyword_file_headers.hpp"
#include "keywords/term_file.hpp"
#include "text/text_analysis.hpp"

namespace mosaic::keywords {
namespace {

constexpr std::size_t field_count = 2;  // title, body

// A term's blocks, appended to as items arrive in increasing reference order.
struct term_accumulator {
  std::uint64_t document_frequency = 0;
  item_reference last_reference = 0;
  std::vector<std::uint8_t> postings;
  std::vector<std::uint8_t> positions;
};

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
};

struct occurrence {
  std::string_view term;
  std::uint32_t field = 0;
  std::uint32_t position = 0;
  friend bool operator==(const occurrence&, const occurrence&) = default;
};

std::string reference_name(item_reference reference) {
  return "item (vector file " + std::to_string(reference_vector_file(reference)) + ", row " +
         std::to_string(reference_row(reference)) + ")";
}

std::size_t term_table_entry_bytes(const encoded_term& term) {
  return varint_size(term.term.size()) + term.term.size() + varint_size(term.document_frequency) +
         varint_size(term.postings.size()) + varint_size(term.positions.size());
}

built_keyword_file named(std::vector<std::uint8_t> bytes) {
  built_keyword_file file;
  file.hash = hash::sha256_hex(bytes);
  file.bytes = std::move(bytes);
  return file;
}

}  // namespace

result<built_keyword_index> build_keyword_index(std::span<const keyword_document> documents,
                                                const keyword_build_options& options) {
  // Items are added in reference order, so each term's postings are written in order as they come and
  // the bytes do not depend on the order of `documents`.
  std::vector<std::size_t> order(documents.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t left, std::size_t right) { return documents[left].reference < documents[right].reference; });
  for (std::size_t index = 1; index < order.size(); ++index) {
    if (documents[order[index]].reference == documents[order[index - 1]].reference) {
      return make_error(error_code::invalid_argument, "two keyword documents have the same reference, " +
                                                          reference_name(documents[order[index]].reference));
    }
  }
  auto analyzer = analyzer_for(options.analysis);
  if (!analyzer) return std::move(analyzer).failure();

  std::unordered_map<std::string, term_accumulator, string_hash, std::equal_to<>> terms;
  std::array<std::uint64_t, field_count> field_items{}, field_length_sums{};
  std::uint64_t item_count = 0;
  std::vector<occurrence> occurrences;
  for (std::size_t index : order) {
    const keyword_document& document = documents[index];
    std::array<text::tokenization, field_count> fields;
    const std::array<std::string_view, field_count> texts = {document.title, document.body};
    for (std::size_t field = 0; field < field_count; ++field) {
      auto analyzed = analyzer->analyze(texts[field]);
      if (!analyzed) {
        error failure = std::move(analyzed).failure();
        failure.message = reference_name(document.reference) + " " + (field == 0 ? "title" : "body") + ": " +
                          failure.message;
        return failure;
      }
      fields[field] = std::move(analyzed).value();
    }
    occurrences.clear();
    for (std::uint32_t field = 0; field < field_count; ++field) {
      for (const text::token& token : fields[field].tokens) occurrences.push_back({token.text, field, token.position});
    }
    if (occurrences.empty()) continue;
    // A term can occur twice at one position (a stemmed compound's joined form and its first part:
    // "run-ning" gives "run" for both); it counts once, so tf is the number of positions holding it.
    std::sort(occurrences.begin(), occurrences.end(), [](const occurrence& left, const occurrence& right) {
      if (left.term != right.term) return left.term < right.term;
      if (left.field != right.field) return left.field < right.field;
      return left.position < right.position;
    });
    occurrences.erase(std::unique(occurrences.begin(), occurrences.end()), occurrences.end());

    ++item_count;
    std::array<bool, field_count> has_field{};
    for (const occurrence& found : occurrences) has_field[found.field] = true;
    for (std::size_t field = 0; field < field_count; ++field) {
      if (!has_field[field]) continue;
      ++field_items[field];
      field_length_sums[field] += fields[field].position_count;
    }
    for (std::size_t begin = 0; begin < occurrences.size();) {
      std::size_t end = begin;
      std::array<std::uint32_t, field_count> frequencies{};
      while (end < occurrences.size() && occurrences[end].term == occurrences[begin].term) {
        ++frequencies[occurrences[end].field];
        ++end;
      }
      auto found = terms.find(occurrences[begin].term);
      if (found == terms.end()) found = terms.emplace(std::string(occurrences[begin].term), term_accumulator{}).first;
      term_accumulator& term = found->second;
      append_varint(term.postings, document.reference - term.last_reference);
      for (std::uint32_t frequency : frequencies) append_varint(term.postings, frequency);
      for (std::size_t field = 0; field < field_count; ++field) {
        if (frequencies[field] > 0) append_varint(term.postings, fields[field].position_count);
      }
      // Occurrences are sorted by field, then position: each field's positions come in order.
      std::uint32_t previous_field = field_count, previous_position = 0;
      for (std::size_t at = begin; at < end; ++at) {
        const occurrence& current = occurrences[at];
        const bool first_in_field = current.field != previous_field;
        append_varint(term.positions, first_in_field ? current.position : current.position - previous_position);
        previous_field = current.field;
        previous_position = current.position;
      }
      term.last_reference = document.reference;
      ++term.document_frequency;
      begin = end;
    }
  }

  std::vector<encoded_term> sorted_terms;
  sorted_terms.reserve(terms.size());
  for (auto& [text, accumulated] : terms) {
    sorted_terms.push_back({text, accumulated.document_frequency, std::move(accumulated.postings),
                            std::move(accumulated.positions)});
  }
  terms.clear();
  std::sort(sorted_terms.begin(), sorted_terms.end(),
            [](const encoded_term& left, const encoded_term& right) { return left.term < right.term; });

  built_keyword_index built;
  built.item_count = item_count;
  keyword_directory directory;
  directory.analysis = options.analysis;
  directory.item_count = item_count;
  const std::array<const char*, field_count> field_names = {title_field_name, body_field_name};
  for (std::size_t field = 0; field < field_count; ++field) {
    keyword_field described;
    described.name = field_names[field];
    described.item_count = field_items[field];
    described.average_length =
        field_items[field] == 0
            ? 0.0f
            : static_cast<float>(static_cast<double>(field_length_sums[field]) / static_cast<double>(field_items[field]));
    directory.fields.push_back(std::move(described));
  }
  const auto terms_view = std::span<const encoded_term>(sorted_terms);
  for (std::size_t begin = 0; begin < sorted_terms.size();) {
    std::size_t end = begin, file_bytes = keyword_header_bytes;
    while (end < sorted_terms.size() && (end == begin || file_bytes < options.target_term_file_bytes)) {
      const encoded_term& term = sorted_terms[end];
      file_bytes += term_table_entry_bytes(term) + term.postings.size() + term.positions.size();
      ++end;
    }
    const auto file_terms = terms_view.subspan(begin, end - begin);
    built_keyword_file file = named(encode_term_file(static_cast<std::uint16_t>(field_count), file_terms));
    term_file_entry entry;
    entry.first_term = file_terms.front().term;
    entry.term_count = static_cast<std::uint32_t>(file_terms.size());
    entry.bytes = file.bytes.size();
    entry.hash = file.hash;
    directory.term_files.push_back(std::move(entry));
    built.term_files.push_back(std::move(file));
    begin = end;
  }
  auto directory_bytes = encode_keyword_directory(directory);
  if (!directory_bytes) return std::move(directory_bytes).failure();
  built.directory = named(std::move(directory_bytes).value());
  return built;
}

}  // namespace mosaic::keywords
