#pragma once
// The keyword directory (`keywords/<sha256>.bin`, docs/format.md "Keyword directory"): BM25's
// statistics and the term range of each term file, so a query fetches only the files holding its terms.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mosaic::keywords {

struct keyword_field {
  std::string name;
  float average_length = 0;     // in terms (positions), over the items that have the field
  std::uint64_t item_count = 0;  // items that have at least one term in the field
};

struct term_file_entry {
  std::string first_term;
  std::uint32_t term_count = 0;
  std::uint64_t bytes = 0;
  std::string hash;  // lower-case hex SHA-256 of the file: it is served as terms/<hash>.bin
};

struct keyword_directory {
  std::uint16_t analysis = 1;
  std::vector<keyword_field> fields;
  std::uint64_t item_count = 0;  // items with at least one term: BM25's N
  std::vector<term_file_entry> term_files;  // in term order

  // Index of the term file whose range holds `term`, or nullopt when it lies before the first file.
  [[nodiscard]] std::optional<std::size_t> term_file_for(std::string_view term) const noexcept;
};

// Validates everything docs/format.md lists, each failure with its own code and a message naming it:
// truncated_header, bad_magic, unsupported_version, bad_header, size_overflow, truncated_payload,
// trailing_bytes, checksum_mismatch, bad_payload_value.
result<keyword_directory> decode_keyword_directory(std::span<const std::uint8_t> bytes);

// The bytes of `directory` (the builder's writer). invalid_argument when it breaks a rule the decoder
// checks (counts, name and term lengths, term order, a hash that is not 64 hex digits).
result<std::vector<std::uint8_t>> encode_keyword_directory(const keyword_directory& directory);

}  // namespace mosaic::keywords
