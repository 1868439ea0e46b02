#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string>

#include "hash/sha256.hpp"
#include "keywords/block_reader.hpp"
#include "keywords/keyword_file_headers.hpp"
#include "keywords/term_file.hpp"
#include "text/utf8.hpp"

namespace mosaic::keywords {
namespace {

using detail::as_text;
using detail::block_reader;
using detail::quoted_term;

constexpr std::uint64_t max_u32 = std::numeric_limits<std::uint32_t>::max();
// The smallest a term table entry can be: 1-byte length, 1-byte term, df, and the two block lengths.
constexpr std::size_t min_term_entry_bytes = 5;

std::string describe(std::uint64_t value) { return std::to_string(value); }

error payload_error(std::string message) { return make_error(error_code::bad_payload_value, std::move(message)); }

// Walks one term's postings and positions blocks together, checking every rule of docs/format.md,
// without allocating. `term` names the term in messages.
status validate_term_blocks(std::span<const std::uint8_t> bytes, std::size_t field_count, std::string_view term,
                            std::uint64_t document_frequency, std::size_t postings_offset, std::size_t postings_length,
                            std::size_t positions_offset, std::size_t positions_length) {
  block_reader postings(bytes, postings_offset, postings_offset + postings_length);
  block_reader positions(bytes, positions_offset, positions_offset + positions_length);
  auto failed = [&](const block_reader& reader, std::string_view block) {
    return payload_error("term " + quoted_term(term) + ": " + std::string(reader.problem()) + " in its " +
                         std::string(block) + " block");
  };
  std::uint64_t reference = 0;
  std::array<std::uint64_t, max_keyword_fields> frequencies{}, lengths{};
  for (std::uint64_t posting = 0; posting < document_frequency; ++posting) {
    if (postings.at_end()) {
      return payload_error("term " + quoted_term(term) + ": document frequency " + describe(document_frequency) +
                           " but its postings block holds " + describe(posting) + " postings");
    }
    std::uint64_t delta = 0;
    if (!postings.read_varint(delta)) return failed(postings, "postings");
    if (posting > 0 && delta == 0) {
      return payload_error("term " + quoted_term(term) + ": posting " + describe(posting) +
                           " repeats the previous item reference (references must increase)");
    }
    if (delta > std::numeric_limits<std::uint64_t>::max() - reference) {
      return payload_error("term " + quoted_term(term) + ": posting " + describe(posting) +
                           " overflows the 64-bit item reference");
    }
    reference += delta;
    bool any_frequency = false;
    for (std::size_t field = 0; field < field_count; ++field) {
      if (!postings.read_varint(frequencies[field])) return failed(postings, "postings");
      if (frequencies[field] > max_u32) {
        return payload_error("term " + quoted_term(term) + ": term frequency " + describe(frequencies[field]) +
                             " exceeds 2^32 - 1");
      }
      any_frequency = any_frequency || frequencies[field] > 0;
    }
    if (!any_frequency) {
      return payload_error("term " + quoted_term(term) + ": posting " + describe(posting) +
                           " has a term frequency of 0 in every field");
    }
    for (std::size_t field = 0; field < field_count; ++field) {
      lengths[field] = 0;
      if (frequencies[field] == 0) continue;
      if (!postings.read_varint(lengths[field])) return failed(postings, "postings");
      if (lengths[field] < frequencies[field] || lengths[field] > max_u32) {
        return payload_error("term " + quoted_term(term) + ": posting " + describe(posting) + " field " +
                             describe(field) + " has term frequency " + describe(frequencies[field]) +
                             " but length " + describe(lengths[field]));
      }
    }
    for (std::size_t field = 0; field < field_count; ++field) {
      std::uint64_t position = 0;
      for (std::uint64_t occurrence = 0; occurrence < frequencies[field]; ++occurrence) {
        std::uint64_t position_delta = 0;
        if (!positions.read_varint(position_delta)) return failed(positions, "positions");
        if (occurrence > 0 && position_delta == 0) {
          return payload_error("term " + quoted_term(term) + ": posting " + describe(posting) +
                               " repeats a position (positions must increase)");
        }
        if (position_delta >= lengths[field] || position + position_delta >= lengths[field]) {
          return payload_error("term " + quoted_term(term) + ": posting " + describe(posting) + " field " +
                               describe(field) + " has a position at or beyond its length " +
                               describe(lengths[field]));
        }
        position += position_delta;
      }
    }
  }
  if (!postings.at_end()) {
    return payload_error("term " + quoted_term(term) + ": its postings block has " + describe(postings.remaining()) +
                         " bytes after its " + describe(document_frequency) + " postings (document frequency mismatch)");
  }
  if (!positions.at_end()) {
    return payload_error("term " + quoted_term(term) + ": its positions block has " +
                         describe(positions.remaining()) + " bytes after the last position");
  }
  return success{};
}

template <typename Value>
void append_little_endian(std::vector<std::uint8_t>& bytes, Value value) {
  std::uint8_t raw[sizeof value];
  std::memcpy(raw, &value, sizeof value);
  bytes.insert(bytes.end(), raw, raw + sizeof value);
}

// Reads a varint that decode() already validated, so it needs no bounds or length checks: this is the
// loop every looked-up posting and position goes through (the checked reader took 2.5 ms for 94,000
// postings in wasm, this one well under half of that).
inline std::uint64_t next_varint(const std::uint8_t*& at) noexcept {
  std::uint64_t byte = *at++;
  if (byte < 0x80U) return byte;
  std::uint64_t value = byte & 0x7FU;
  unsigned shift = 7;
  do {
    byte = *at++;
    value |= (byte & 0x7FU) << shift;
    shift += 7;
  } while (byte >= 0x80U);
  return value;
}

}  // namespace

result<term_file> term_file::decode(std::span<const std::uint8_t> bytes, const keyword_directory& directory,
                                    std::size_t file_index) {
  if (file_index >= directory.term_files.size()) {
    return make_error(error_code::invalid_argument, "term file " + describe(file_index) + " is not in the directory (" +
                                                        describe(directory.term_files.size()) + " term files)");
  }
  const term_file_entry& entry = directory.term_files[file_index];
  const std::string name = "term file " + describe(file_index);
  if (bytes.size() < keyword_header_bytes) {
    return make_error(error_code::truncated_header, name + " is " + describe(bytes.size()) +
                                                        " bytes, shorter than its 64-byte header");
  }
  term_file_header header;
  std::memcpy(&header, bytes.data(), sizeof header);
  if (header.magic != term_file_magic) {
    return make_error(error_code::bad_magic, name + " is not a Mosaic term file: the first 8 bytes are not \\x89MOSTRM\\n");
  }
  if (header.format_version == 0) return make_error(error_code::bad_header, name + ": format version 0 is invalid");
  if (header.format_version > keyword_format_version) {
    return make_error(error_code::unsupported_version, name + ": format version " + describe(header.format_version) +
                                                           " is newer than this reader (1); update Mosaic");
  }
  if (header.header_bytes != keyword_header_bytes) {
    return make_error(error_code::bad_header, name + ": header size field is " + describe(header.header_bytes) +
                                                  ", expected 64");
  }
  if (header.field_count != directory.fields.size()) {
    return make_error(error_code::bad_header, name + " has " + describe(header.field_count) +
                                                  " fields but the directory has " +
                                                  describe(directory.fields.size()));
  }
  if (header.reserved16 != 0 || header.reserved32 != 0 || header.reserved64 != 0) {
    return make_error(error_code::bad_header, name + ": reserved header bytes (14-15, 20-23, 48-55) must be zero");
  }
  if (header.term_count == 0 || header.term_count != entry.term_count) {
    return make_error(error_code::bad_header, name + " holds " + describe(header.term_count) +
                                                  " terms but the directory says " + describe(entry.term_count));
  }
  std::uint64_t total_bytes = keyword_header_bytes;
  for (std::uint64_t block : {header.terms_bytes, header.postings_bytes, header.positions_bytes}) {
    if (__builtin_add_overflow(total_bytes, block, &total_bytes) ||
        total_bytes > std::numeric_limits<std::size_t>::max()) {
      return make_error(error_code::size_overflow, name + ": its block sizes do not fit in this target's address space");
    }
  }
  if (total_bytes > bytes.size()) {
    return make_error(error_code::truncated_payload, name + ": the header describes " + describe(total_bytes) +
                                                         " bytes but only " + describe(bytes.size()) + " are present");
  }
  if (total_bytes < bytes.size()) {
    return make_error(error_code::trailing_bytes, name + " has " + describe(bytes.size() - total_bytes) +
                                                      " bytes after its last block");
  }
  if (keyword_file_checksum(bytes) != header.checksum) {
    return make_error(error_code::checksum_mismatch, name + ": checksum does not match its contents");
  }
  if (bytes.size() != entry.bytes || hash::sha256_hex(bytes) != entry.hash) {
    return make_error(error_code::checksum_mismatch, name + " is not the file the directory names (" +
                                                         describe(entry.bytes) + " bytes, SHA-256 " + entry.hash + ")");
  }

  const auto terms_begin = keyword_header_bytes;
  const auto postings_begin = terms_begin + static_cast<std::size_t>(header.terms_bytes);
  const auto positions_begin = postings_begin + static_cast<std::size_t>(header.postings_bytes);
  if (header.term_count > header.terms_bytes / min_term_entry_bytes) {
    return payload_error(name + " claims " + describe(header.term_count) + " terms but its " +
                         describe(header.terms_bytes) + "-byte term table cannot hold them");
  }

  term_file decoded;
  decoded.field_count_ = header.field_count;
  decoded.file_index_ = file_index;
  decoded.hash_ = entry.hash;
  decoded.terms_.reserve(header.term_count);
  const std::string_view range_begin = entry.first_term;
  const std::optional<std::string_view> range_end =
      file_index + 1 < directory.term_files.size()
          ? std::optional<std::string_view>(directory.term_files[file_index + 1].first_term)
          : std::nullopt;

  block_reader table(bytes, terms_begin, postings_begin);
  std::size_t postings_at = postings_begin, positions_at = positions_begin;
  std::string_view previous;
  for (std::size_t index = 0; index < header.term_count; ++index) {
    auto where = [&] { return name + " term " + describe(index); };
    std::uint64_t term_length = 0;
    if (!table.read_varint(term_length)) return payload_error(where() + ": " + std::string(table.problem()) + " in the term table");
    if (term_length == 0 || term_length > max_term_bytes) {
      return payload_error(where() + ": length " + describe(term_length) + " is outside 1 ... 128");
    }
    std::span<const std::uint8_t> term_bytes;
    if (!table.read_bytes(static_cast<std::size_t>(term_length), term_bytes)) {
      return payload_error(where() + ": " + std::string(table.problem()) + " in the term table");
    }
    if (!text::is_valid_utf8(term_bytes)) return payload_error(where() + " is not valid UTF-8");
    const std::string_view term = as_text(term_bytes);
    if (index > 0 && !(previous < term)) {
      return payload_error(where() + " " + quoted_term(term) + " does not follow " + quoted_term(previous) +
                           " (terms must be strictly increasing byte-wise)");
    }
    if (term < range_begin || (range_end && !(term < *range_end))) {
      return payload_error(where() + " " + quoted_term(term) + " lies outside the file's range in the directory (from " +
                           quoted_term(range_begin) + (range_end ? " to before " + quoted_term(*range_end) : "") + ")");
    }
    previous = term;
    std::uint64_t document_frequency = 0, postings_length = 0, positions_length = 0;
    if (!table.read_varint(document_frequency) || !table.read_varint(postings_length) ||
        !table.read_varint(positions_length)) {
      return payload_error("term " + quoted_term(term) + ": " + std::string(table.problem()) + " in the term table");
    }
    if (postings_length > bytes.size() - postings_at || postings_at + postings_length > positions_begin) {
      return payload_error("term " + quoted_term(term) + ": its postings block runs past the postings blocks");
    }
    if (positions_length > bytes.size() - positions_at) {
      return payload_error("term " + quoted_term(term) + ": its positions block runs past the end of the file");
    }
    // Each posting takes at least a reference delta and one term frequency per field.
    if (document_frequency == 0 || document_frequency > postings_length / (1 + decoded.field_count_)) {
      return payload_error("term " + quoted_term(term) + ": document frequency " + describe(document_frequency) +
                           " does not fit its " + describe(postings_length) + "-byte postings block");
    }
    term_entry term_record;
    term_record.term_offset = static_cast<std::size_t>(term_bytes.data() - bytes.data());
    term_record.term_length = term_bytes.size();
    term_record.document_frequency = document_frequency;
    term_record.postings_offset = postings_at;
    term_record.postings_length = static_cast<std::size_t>(postings_length);
    term_record.positions_offset = positions_at;
    term_record.positions_length = static_cast<std::size_t>(positions_length);
    auto checked = validate_term_blocks(bytes, decoded.field_count_, term, document_frequency, postings_at,
                                        term_record.postings_length, positions_at, term_record.positions_length);
    if (!checked) return std::move(checked).failure();
    postings_at += term_record.postings_length;
    positions_at += term_record.positions_length;
    decoded.terms_.push_back(term_record);
  }
  if (!table.at_end()) {
    return payload_error(name + ": its term table has " + describe(table.remaining()) + " bytes after the last term");
  }
  if (postings_at != positions_begin) {
    return payload_error(name + ": " + describe(positions_begin - postings_at) +
                         " bytes of postings blocks belong to no term");
  }
  if (positions_at != bytes.size()) {
    return payload_error(name + ": " + describe(bytes.size() - positions_at) +
                         " bytes of positions blocks belong to no term");
  }
  decoded.bytes_.assign(bytes.begin(), bytes.end());
  return decoded;
}

std::string_view term_file::term(std::size_t term_index) const noexcept {
  const term_entry& entry = terms_[term_index];
  return as_text(std::span<const std::uint8_t>(bytes_).subspan(entry.term_offset, entry.term_length));
}

std::optional<std::size_t> term_file::find_term(std::string_view wanted) const noexcept {
  std::size_t low = 0, high = terms_.size();
  while (low < high) {
    const std::size_t middle = low + (high - low) / 2;
    if (term(middle) < wanted) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  if (low < terms_.size() && term(low) == wanted) return low;
  return std::nullopt;
}

term_postings term_file::postings(std::size_t term_index) const {
  const term_entry& entry = terms_[term_index];
  const auto count = static_cast<std::size_t>(entry.document_frequency);
  term_postings decoded;
  decoded.field_count = field_count_;
  decoded.references.resize(count);
  decoded.term_frequencies.resize(count * field_count_);
  decoded.field_lengths.resize(count * field_count_);
  const std::uint8_t* at = bytes_.data() + entry.postings_offset;
  item_reference reference = 0;
  for (std::size_t posting = 0; posting < count; ++posting) {
    reference += next_varint(at);
    decoded.references[posting] = reference;
    std::uint32_t* frequencies = decoded.term_frequencies.data() + posting * field_count_;
    std::uint32_t* lengths = decoded.field_lengths.data() + posting * field_count_;
    for (std::size_t field = 0; field < field_count_; ++field) frequencies[field] = static_cast<std::uint32_t>(next_varint(at));
    for (std::size_t field = 0; field < field_count_; ++field) {
      lengths[field] = frequencies[field] > 0 ? static_cast<std::uint32_t>(next_varint(at)) : 0;
    }
  }
  return decoded;
}

term_positions term_file::positions(std::size_t term_index, const term_postings& postings) const {
  const term_entry& entry = terms_[term_index];
  term_positions decoded;
  decoded.field_count = field_count_;
  decoded.starts.resize(postings.term_frequencies.size() + 1);
  std::size_t total = 0;
  for (std::size_t slot = 0; slot < postings.term_frequencies.size(); ++slot) {
    decoded.starts[slot] = total;
    total += postings.term_frequencies[slot];
  }
  decoded.starts.back() = total;
  decoded.positions.resize(total);
  const std::uint8_t* at = bytes_.data() + entry.positions_offset;
  std::size_t written = 0;
  for (std::uint32_t frequency : postings.term_frequencies) {
    std::uint32_t position = 0;
    for (std::uint32_t occurrence = 0; occurrence < frequency; ++occurrence) {
      position += static_cast<std::uint32_t>(next_varint(at));
      decoded.positions[written++] = position;
    }
  }
  return decoded;
}

std::vector<std::uint8_t> encode_term_file(std::uint16_t field_count, std::span<const encoded_term> terms) {
  std::vector<std::uint8_t> table;
  std::size_t postings_bytes = 0, positions_bytes = 0;
  for (const encoded_term& term : terms) {
    append_varint(table, term.term.size());
    table.insert(table.end(), term.term.begin(), term.term.end());
    append_varint(table, term.document_frequency);
    append_varint(table, term.postings.size());
    append_varint(table, term.positions.size());
    postings_bytes += term.postings.size();
    positions_bytes += term.positions.size();
  }
  term_file_header header{};
  header.magic = term_file_magic;
  header.format_version = keyword_format_version;
  header.header_bytes = static_cast<std::uint16_t>(keyword_header_bytes);
  header.field_count = field_count;
  header.term_count = static_cast<std::uint32_t>(terms.size());
  header.terms_bytes = table.size();
  header.postings_bytes = postings_bytes;
  header.positions_bytes = positions_bytes;

  std::vector<std::uint8_t> bytes(keyword_header_bytes, 0);
  bytes.reserve(keyword_header_bytes + table.size() + postings_bytes + positions_bytes);
  bytes.insert(bytes.end(), table.begin(), table.end());
  for (const encoded_term& term : terms) bytes.insert(bytes.end(), term.postings.begin(), term.postings.end());
  for (const encoded_term& term : terms) bytes.insert(bytes.end(), term.positions.begin(), term.positions.end());
  std::memcpy(bytes.data(), &header, sizeof header);
  const std::uint64_t checksum = keyword_file_checksum(bytes);
  std::memcpy(bytes.data() + keyword_checksum_offset, &checksum, sizeof checksum);
  return bytes;
}

}  // namespace mosaic::keywords
