#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "hash/sha256.hpp"
#include "keywords/block_reader.hpp"
#include "keywords/keyword_directory.hpp"
#include "keywords/keyword_file_headers.hpp"
#include "text/utf8.hpp"

namespace mosaic::keywords {
namespace {

using detail::as_text;
using detail::block_reader;
using detail::quoted_term;

// The smallest a term file entry can be: a 1-byte length, a 1-byte term, a 1-byte count, the u64 size
// and the raw SHA-256. Counts in the header are checked against it before anything is reserved.
constexpr std::size_t min_term_file_entry_bytes = 1 + 1 + 1 + 8 + 32;

std::string describe(std::uint64_t value) { return std::to_string(value); }

error payload_error(std::string message) { return make_error(error_code::bad_payload_value, std::move(message)); }

bool is_zero(std::span<const std::uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t byte) { return byte == 0; });
}

template <typename Value>
void append_little_endian(std::vector<std::uint8_t>& bytes, Value value) {
  std::uint8_t raw[sizeof value];
  std::memcpy(raw, &value, sizeof value);
  bytes.insert(bytes.end(), raw, raw + sizeof value);
}

int hex_digit_value(char digit) {
  if (digit >= '0' && digit <= '9') return digit - '0';
  if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
  return -1;
}

}  // namespace

std::optional<std::size_t> keyword_directory::term_file_for(std::string_view term) const noexcept {
  // The first file whose first term is greater than `term`; the one before it holds the range.
  const auto after = std::upper_bound(term_files.begin(), term_files.end(), term,
                                      [](std::string_view value, const term_file_entry& entry) {
                                        return value < std::string_view(entry.first_term);
                                      });
  if (after == term_files.begin()) return std::nullopt;
  return static_cast<std::size_t>(after - term_files.begin() - 1);
}

result<keyword_directory> decode_keyword_directory(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < keyword_header_bytes) {
    return make_error(error_code::truncated_header, "keyword directory is " + describe(bytes.size()) +
                                                        " bytes, shorter than its 64-byte header");
  }
  keyword_directory_header header;
  std::memcpy(&header, bytes.data(), sizeof header);
  if (header.magic != keyword_directory_magic) {
    return make_error(error_code::bad_magic, "not a Mosaic keyword directory: the first 8 bytes are not \\x89MOSKEY\\n");
  }
  if (header.format_version == 0) return make_error(error_code::bad_header, "keyword directory format version 0 is invalid");
  if (header.format_version > keyword_format_version) {
    return make_error(error_code::unsupported_version, "keyword directory format version " +
                                                           describe(header.format_version) +
                                                           " is newer than this reader (1); update Mosaic");
  }
  if (header.header_bytes != keyword_header_bytes) {
    return make_error(error_code::bad_header, "keyword directory header size field is " +
                                                  describe(header.header_bytes) + ", expected 64");
  }
  // Any nonzero analysis is a valid file; whether this client can query it is keyword_search's call.
  if (header.analysis == 0) return make_error(error_code::bad_header, "keyword directory analysis 0 is invalid");
  if (header.field_count == 0 || header.field_count > max_keyword_fields) {
    return make_error(error_code::bad_header, "keyword directory field count " + describe(header.field_count) +
                                                  " is outside 1 ... 8");
  }
  if (header.term_file_count > max_term_files) {
    return make_error(error_code::bad_header, "keyword directory term file count " +
                                                  describe(header.term_file_count) + " exceeds 2^20");
  }
  if (header.reserved32 != 0 || !is_zero(header.reserved)) {
    return make_error(error_code::bad_header, "reserved keyword directory header bytes (20-23, 40-55) must be zero");
  }
  if (header.payload_bytes > std::numeric_limits<std::uint64_t>::max() - keyword_header_bytes ||
      header.payload_bytes + keyword_header_bytes > std::numeric_limits<std::size_t>::max()) {
    return make_error(error_code::size_overflow, "keyword directory payload of " + describe(header.payload_bytes) +
                                                     " bytes does not fit in this target's address space");
  }
  const std::uint64_t total_bytes = keyword_header_bytes + header.payload_bytes;
  if (total_bytes > bytes.size()) {
    return make_error(error_code::truncated_payload, "keyword directory header describes " + describe(total_bytes) +
                                                         " bytes but only " + describe(bytes.size()) + " are present");
  }
  if (total_bytes < bytes.size()) {
    return make_error(error_code::trailing_bytes, "keyword directory has " + describe(bytes.size() - total_bytes) +
                                                      " bytes after its payload");
  }
  if (keyword_file_checksum(bytes) != header.checksum) {
    return make_error(error_code::checksum_mismatch, "keyword directory checksum does not match its contents");
  }

  keyword_directory directory;
  directory.analysis = header.analysis;
  directory.item_count = header.item_count;
  block_reader reader(bytes, keyword_header_bytes, bytes.size());

  directory.fields.reserve(header.field_count);
  for (std::size_t field = 0; field < header.field_count; ++field) {
    const std::string where = "keyword directory field " + describe(field);
    std::uint64_t name_length = 0;
    if (!reader.read_varint(name_length)) return payload_error(where + ": " + std::string(reader.problem()));
    if (name_length == 0 || name_length > max_field_name_bytes) {
      return payload_error(where + ": name length " + describe(name_length) + " is outside 1 ... 32");
    }
    std::span<const std::uint8_t> name;
    keyword_field decoded;
    if (!reader.read_bytes(static_cast<std::size_t>(name_length), name) || !reader.read_float(decoded.average_length) ||
        !reader.read_varint(decoded.item_count)) {
      return payload_error(where + ": " + std::string(reader.problem()));
    }
    if (!text::is_valid_utf8(name)) return payload_error(where + ": the name is not valid UTF-8");
    decoded.name = std::string(as_text(name));
    if (!std::isfinite(decoded.average_length) || decoded.average_length < 0) {
      return payload_error(where + " (" + decoded.name + "): average length " +
                           std::to_string(decoded.average_length) + " is not a finite number >= 0");
    }
    if (decoded.item_count > directory.item_count) {
      return payload_error(where + " (" + decoded.name + "): " + describe(decoded.item_count) +
                           " items have it, but the directory counts " + describe(directory.item_count) + " items");
    }
    directory.fields.push_back(std::move(decoded));
  }

  if (header.term_file_count > reader.remaining() / min_term_file_entry_bytes) {
    return payload_error("keyword directory claims " + describe(header.term_file_count) + " term files but " +
                         describe(reader.remaining()) + " bytes cannot hold them");
  }
  directory.term_files.reserve(header.term_file_count);
  for (std::size_t file = 0; file < header.term_file_count; ++file) {
    const std::string where = "keyword directory term file " + describe(file);
    std::uint64_t term_length = 0;
    if (!reader.read_varint(term_length)) return payload_error(where + ": " + std::string(reader.problem()));
    if (term_length == 0 || term_length > max_term_bytes) {
      return payload_error(where + ": first term length " + describe(term_length) + " is outside 1 ... 128");
    }
    std::span<const std::uint8_t> first_term;
    std::uint64_t term_count = 0, size = 0;
    std::span<const std::uint8_t> digest;
    if (!reader.read_bytes(static_cast<std::size_t>(term_length), first_term) || !reader.read_varint(term_count) ||
        !reader.read_fixed(8, size) || !reader.read_bytes(32, digest)) {
      return payload_error(where + ": " + std::string(reader.problem()));
    }
    if (!text::is_valid_utf8(first_term)) return payload_error(where + ": the first term is not valid UTF-8");
    term_file_entry entry;
    entry.first_term = std::string(as_text(first_term));
    if (!directory.term_files.empty() && !(directory.term_files.back().first_term < entry.first_term)) {
      return payload_error(where + ": first term " + quoted_term(entry.first_term) +
                           " does not follow the previous file's " +
                           quoted_term(directory.term_files.back().first_term));
    }
    if (term_count == 0 || term_count > std::numeric_limits<std::uint32_t>::max()) {
      return payload_error(where + ": term count " + describe(term_count) + " is outside 1 ... 2^32 - 1");
    }
    if (size < keyword_header_bytes) {
      return payload_error(where + ": " + describe(size) + " bytes cannot hold a term file's 64-byte header");
    }
    entry.term_count = static_cast<std::uint32_t>(term_count);
    entry.bytes = size;
    entry.hash = hash::to_hex(digest);
    directory.term_files.push_back(std::move(entry));
  }
  if (!reader.at_end()) {
    return make_error(error_code::trailing_bytes, "keyword directory payload has " + describe(reader.remaining()) +
                                                      " bytes after its last term file");
  }
  return directory;
}

result<std::vector<std::uint8_t>> encode_keyword_directory(const keyword_directory& directory) {
  auto refuse = [](std::string message) { return make_error(error_code::invalid_argument, std::move(message)); };
  if (directory.analysis == 0) return refuse("keyword directory analysis 0 is invalid");
  if (directory.fields.empty() || directory.fields.size() > max_keyword_fields) {
    return refuse("a keyword directory has 1 ... 8 fields, not " + describe(directory.fields.size()));
  }
  if (directory.term_files.size() > max_term_files) return refuse("a keyword directory has at most 2^20 term files");

  std::vector<std::uint8_t> bytes(keyword_header_bytes, 0);
  for (const keyword_field& field : directory.fields) {
    if (field.name.empty() || field.name.size() > max_field_name_bytes || !text::is_valid_utf8(field.name)) {
      return refuse("field name '" + field.name + "' is not 1 ... 32 bytes of UTF-8");
    }
    if (!std::isfinite(field.average_length) || field.average_length < 0 || field.item_count > directory.item_count) {
      return refuse("field '" + field.name + "' has an invalid average length or item count");
    }
    append_varint(bytes, field.name.size());
    bytes.insert(bytes.end(), field.name.begin(), field.name.end());
    append_little_endian(bytes, field.average_length);
    append_varint(bytes, field.item_count);
  }
  for (std::size_t file = 0; file < directory.term_files.size(); ++file) {
    const term_file_entry& entry = directory.term_files[file];
    if (entry.first_term.empty() || entry.first_term.size() > max_term_bytes || !text::is_valid_utf8(entry.first_term) ||
        (file > 0 && !(directory.term_files[file - 1].first_term < entry.first_term))) {
      return refuse("term file " + describe(file) + ": first terms must be 1 ... 128 bytes of UTF-8, strictly increasing");
    }
    if (entry.term_count == 0 || entry.bytes < keyword_header_bytes || entry.hash.size() != 64) {
      return refuse("term file " + describe(file) + ": needs a term count, a size and a 64-digit SHA-256");
    }
    append_varint(bytes, entry.first_term.size());
    bytes.insert(bytes.end(), entry.first_term.begin(), entry.first_term.end());
    append_varint(bytes, entry.term_count);
    append_little_endian(bytes, entry.bytes);
    for (std::size_t digit = 0; digit < 64; digit += 2) {
      const int high = hex_digit_value(entry.hash[digit]), low = hex_digit_value(entry.hash[digit + 1]);
      if (high < 0 || low < 0) return refuse("term file " + describe(file) + ": hash is not lower-case hex");
      bytes.push_back(static_cast<std::uint8_t>(high * 16 + low));
    }
  }

  keyword_directory_header header{};
  header.magic = keyword_directory_magic;
  header.format_version = keyword_format_version;
  header.header_bytes = static_cast<std::uint16_t>(keyword_header_bytes);
  header.analysis = directory.analysis;
  header.field_count = static_cast<std::uint16_t>(directory.fields.size());
  header.term_file_count = static_cast<std::uint32_t>(directory.term_files.size());
  header.item_count = directory.item_count;
  header.payload_bytes = bytes.size() - keyword_header_bytes;
  std::memcpy(bytes.data(), &header, sizeof header);
  const std::uint64_t checksum = keyword_file_checksum(bytes);
  std::memcpy(bytes.data() + keyword_checksum_offset, &checksum, sizeof checksum);
  return bytes;
}

}  // namespace mosaic::keywords
