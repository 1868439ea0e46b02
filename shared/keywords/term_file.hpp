#pragma once
// A term file (`terms/<sha256>.bin`, docs/format.md "Term files"): the postings, and the positions
// phrase queries need, of one range of terms. decode() validates the whole file once (header, sizes,
// checksum, the SHA-256 the directory names, then every term, posting and position) and keeps only
// the term table; a term's postings are decoded when it is looked up, its positions only when a phrase
// needs them, into flat vectors (no allocation per posting).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "keywords/item_reference.hpp"
#include "keywords/keyword_directory.hpp"

namespace mosaic::keywords {

// The postings of one term: `references` increasing, and for each posting and field its term
// frequency and the field's length in terms (0 where the term does not occur in that field).
struct term_postings {
  std::size_t field_count = 0;
  std::vector<item_reference> references;
  std::vector<std::uint32_t> term_frequencies;  // references.size() × field_count, posting-major
  std::vector<std::uint32_t> field_lengths;     // same shape

  [[nodiscard]] std::size_t size() const noexcept { return references.size(); }
  [[nodiscard]] std::uint32_t term_frequency(std::size_t posting, std::size_t field) const noexcept {
    return term_frequencies[posting * field_count + field];
  }
  [[nodiscard]] std::uint32_t field_length(std::size_t posting, std::size_t field) const noexcept {
    return field_lengths[posting * field_count + field];
  }
};

// The positions of one term, for the postings they were decoded with: increasing within a field.
struct term_positions {
  std::size_t field_count = 0;
  std::vector<std::size_t> starts;  // postings × field_count + 1 offsets into `positions`
  std::vector<std::uint32_t> positions;

  [[nodiscard]] std::span<const std::uint32_t> of(std::size_t posting, std::size_t field) const noexcept {
    const std::size_t slot = posting * field_count + field;
    return std::span<const std::uint32_t>(positions).subspan(starts[slot], starts[slot + 1] - starts[slot]);
  }
};

class term_file {
 public:
  // Validates everything in docs/format.md against directory.term_files[file_index]: the header and
  // sizes, the XXH64 checksum, the size and SHA-256 the directory names (checksum_mismatch), then term
  // order and range, UTF-8, document frequencies, references, term frequencies and positions
  // (bad_payload_value, naming the term). file_index out of range is invalid_argument. The bytes are copied.
  static result<term_file> decode(std::span<const std::uint8_t> bytes, const keyword_directory& directory,
                                  std::size_t file_index);

  [[nodiscard]] std::size_t file_index() const noexcept { return file_index_; }
  [[nodiscard]] const std::string& hash() const noexcept { return hash_; }  // hex, as in the directory
  [[nodiscard]] std::size_t field_count() const noexcept { return field_count_; }
  [[nodiscard]] std::size_t term_count() const noexcept { return terms_.size(); }
  [[nodiscard]] std::string_view term(std::size_t term_index) const noexcept;
  [[nodiscard]] std::uint64_t document_frequency(std::size_t term_index) const noexcept {
    return terms_[term_index].document_frequency;
  }
  // The index of `term` in this file, or nullopt when the file does not hold it (binary search).
  [[nodiscard]] std::optional<std::size_t> find_term(std::string_view term) const noexcept;

  // Decodes a term's postings (validated by decode(), so this cannot fail). Precondition: term_index < term_count().
  [[nodiscard]] term_postings postings(std::size_t term_index) const;
  // Decodes a term's positions; `postings` must be postings(term_index).
  [[nodiscard]] term_positions positions(std::size_t term_index, const term_postings& postings) const;

 private:
  struct term_entry {
    std::size_t term_offset = 0;
    std::size_t term_length = 0;
    std::uint64_t document_frequency = 0;
    std::size_t postings_offset = 0, postings_length = 0;
    std::size_t positions_offset = 0, positions_length = 0;
  };
  term_file() = default;

  std::vector<std::uint8_t> bytes_;
  std::vector<term_entry> terms_;
  std::size_t field_count_ = 0;
  std::size_t file_index_ = 0;
  std::string hash_;
};

// One term as the builder encodes it: its blocks exactly as docs/format.md lays them out.
struct encoded_term {
  std::string term;
  std::uint64_t document_frequency = 0;
  std::vector<std::uint8_t> postings;
  std::vector<std::uint8_t> positions;
};

// The bytes of a term file holding `terms` (sorted byte-wise, non-empty: the builder's job).
std::vector<std::uint8_t> encode_term_file(std::uint16_t field_count, std::span<const encoded_term> terms);

}  // namespace mosaic::keywords
