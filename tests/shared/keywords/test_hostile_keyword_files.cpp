// Keyword directories and term files are hostile input: they come over the network into a browser
// tab. Each check docs/format.md lists has a test here that breaks exactly that rule and expects its
// specific error (the checksum, and for term files the directory's SHA-256, re-sealed after the edit so
// the deeper check is reached). These tests also run under AddressSanitizer and UBSan, and every
// truncation is a buffer of exactly that size, so a read one byte too far is caught.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "keyword_test_support.hpp"
#include "keywords/item_reference.hpp"
#include "outcome_name.hpp"

using namespace mosaic::keywords;
using namespace mosaic::keywords::testing;
using mosaic::test::outcome_name;
using bytes = std::vector<std::uint8_t>;

namespace {

bytes prefix(const bytes& whole, std::size_t length) {
  return bytes(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(length));
}

// ---- Term files -------------------------------------------------------------------------------

// A term file written from raw blocks (encode_term_file checks nothing), and a directory naming it.
struct crafted_term_file {
  bytes file;
  keyword_directory directory;
};

keyword_directory two_field_directory() {
  keyword_directory directory;
  directory.fields = {{"title", 1.0f, 5}, {"body", 3.0f, 10}};
  directory.item_count = 10;
  return directory;
}

crafted_term_file craft(const std::vector<encoded_term>& terms, std::string first_term = "cat",
                        std::optional<std::string> next_first_term = std::nullopt) {
  crafted_term_file crafted;
  crafted.file = encode_term_file(2, terms);
  crafted.directory = two_field_directory();
  crafted.directory.term_files.push_back({std::move(first_term), static_cast<std::uint32_t>(terms.size()), 0, ""});
  if (next_first_term) crafted.directory.term_files.push_back({*next_first_term, 1, 64, std::string(64, '0')});
  name_in_directory(crafted.directory, 0, crafted.file);
  return crafted;
}

// "cat" in item 5: title tf 1 (length 3) at position 2, no body.
encoded_term cat_term() { return {"cat", 1, {0x05, 0x01, 0x00, 0x03}, {0x02}}; }
encoded_term term_with(std::string text, std::uint64_t frequency, bytes postings, bytes positions) {
  return {std::move(text), frequency, std::move(postings), std::move(positions)};
}

// Decodes after pointing the directory at exactly these bytes (unless `keep_directory`): the outcome's
// code name, or "empty message" when a rejection lost its cause.
std::string decode_term(const bytes& file, keyword_directory directory, bool keep_directory = false,
                        std::string* message = nullptr) {
  if (!keep_directory) name_in_directory(directory, 0, file);
  auto decoded = term_file::decode(file, directory, 0);
  if (decoded.ok()) return "ok";
  if (message != nullptr) *message = decoded.failure().message;
  if (decoded.failure().message.empty()) return "empty message";
  return outcome_name(decoded);
}

std::string decode_term(const crafted_term_file& crafted, std::string* message = nullptr) {
  return decode_term(crafted.file, crafted.directory, false, message);
}

// The file with a header field changed and the checksum recomputed.
template <typename Value>
bytes with_header_field(const bytes& file, std::size_t offset, Value value) {
  bytes changed = file;
  write_little_endian(changed, offset, value);
  reseal(changed);
  return changed;
}

// ---- Directories ------------------------------------------------------------------------------

// A directory file from a raw payload: the header's counts as given, the checksum correct.
bytes raw_directory(const bytes& payload, std::uint16_t field_count, std::uint32_t term_file_count,
                    std::uint64_t item_count = 10) {
  bytes file(keyword_header_bytes, 0);
  std::memcpy(file.data(), keyword_directory_magic.data(), 8);
  write_little_endian(file, 8, std::uint16_t{1});
  write_little_endian(file, 10, std::uint16_t{64});
  write_little_endian(file, 12, std::uint16_t{1});
  write_little_endian(file, 14, field_count);
  write_little_endian(file, 16, term_file_count);
  write_little_endian(file, 24, item_count);
  write_little_endian(file, 32, std::uint64_t{payload.size()});
  file.insert(file.end(), payload.begin(), payload.end());
  reseal(file);
  return file;
}

void append(bytes& out, std::initializer_list<std::uint8_t> values) { out.insert(out.end(), values); }
void append_text(bytes& out, std::string_view text) { out.insert(out.end(), text.begin(), text.end()); }
void append_float(bytes& out, float value) {
  std::uint8_t raw[4];
  std::memcpy(raw, &value, 4);
  out.insert(out.end(), raw, raw + 4);
}
void append_u64(bytes& out, std::uint64_t value) {
  std::uint8_t raw[8];
  std::memcpy(raw, &value, 8);
  out.insert(out.end(), raw, raw + 8);
}

// One field "body": name, average length, item count.
bytes body_field(float average = 2.0f, std::uint8_t items = 3) {
  bytes out;
  append(out, {4});
  append_text(out, "body");
  append_float(out, average);
  append(out, {items});
  return out;
}

// A term file entry: first term, term count, size, SHA-256.
bytes term_entry(std::string_view first_term, std::uint8_t term_count = 1, std::uint64_t size = 100) {
  bytes out;
  append(out, {static_cast<std::uint8_t>(first_term.size())});
  append_text(out, first_term);
  append(out, {term_count});
  append_u64(out, size);
  out.insert(out.end(), 32, 0xAB);
  return out;
}

bytes concatenated(std::initializer_list<bytes> parts) {
  bytes out;
  for (const bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

std::string decode_directory(const bytes& file, std::string* message = nullptr) {
  auto decoded = decode_keyword_directory(file);
  if (decoded.ok()) return "ok";
  if (message != nullptr) *message = decoded.failure().message;
  if (decoded.failure().message.empty()) return "empty message";
  return outcome_name(decoded);
}

}  // namespace

TEST_CASE("keywords hostile term files: the crafted baseline is valid", "[keywords][hostile]") {
  const crafted_term_file crafted = craft({cat_term(), term_with("dog", 2, {0x01, 0x00, 0x01, 0x02, 0x05, 0x01, 0x01, 0x01, 0x04}, {0x01, 0x00, 0x03})});
  REQUIRE(decode_term(crafted) == "ok");
  auto decoded = term_file::decode(crafted.file, crafted.directory, 0);
  REQUIRE(decoded.ok());
  const auto dog = decoded->find_term("dog");
  REQUIRE(dog.has_value());
  const term_postings postings = decoded->postings(*dog);
  CHECK(postings.references == std::vector<item_reference>{1, 6});
  CHECK(postings.term_frequency(1, 0) == 1);
  CHECK(postings.field_length(1, 1) == 4);
  const term_positions positions = decoded->positions(*dog, postings);
  CHECK(std::vector<std::uint32_t>(positions.of(1, 1).begin(), positions.of(1, 1).end()) == std::vector<std::uint32_t>{3});
  CHECK(outcome_name(term_file::decode(crafted.file, crafted.directory, 1)) == "invalid_argument");
}

TEST_CASE("keywords hostile term files: truncated anywhere, or with bytes after the end", "[keywords][hostile]") {
  const crafted_term_file crafted = craft({cat_term()});
  for (std::size_t length = 0; length < keyword_header_bytes; ++length) {
    INFO("cut to " << length);
    CHECK(decode_term(prefix(crafted.file, length), crafted.directory) == "truncated_header");
  }
  for (std::size_t length = keyword_header_bytes; length < crafted.file.size(); ++length) {
    INFO("cut to " << length);
    CHECK(decode_term(prefix(crafted.file, length), crafted.directory) == "truncated_payload");
  }
  bytes longer = crafted.file;
  longer.push_back(0);
  CHECK(decode_term(longer, crafted.directory) == "trailing_bytes");
}

TEST_CASE("keywords hostile term files: header fields", "[keywords][hostile]") {
  const crafted_term_file crafted = craft({cat_term()});
  const bytes& file = crafted.file;
  for (std::size_t at = 0; at < 8; ++at) {
    bytes changed = file;
    changed[at] ^= 0x20;
    reseal(changed);
    CHECK(decode_term(changed, crafted.directory) == "bad_magic");
  }
  CHECK(decode_term(with_header_field(file, 8, std::uint16_t{0}), crafted.directory) == "bad_header");
  CHECK(decode_term(with_header_field(file, 8, std::uint16_t{2}), crafted.directory) == "unsupported_version");
  CHECK(decode_term(with_header_field(file, 10, std::uint16_t{63}), crafted.directory) == "bad_header");
  CHECK(decode_term(with_header_field(file, 12, std::uint16_t{3}), crafted.directory) == "bad_header");  // field count
  CHECK(decode_term(with_header_field(file, 14, std::uint16_t{1}), crafted.directory) == "bad_header");  // reserved
  CHECK(decode_term(with_header_field(file, 20, std::uint32_t{1}), crafted.directory) == "bad_header");  // reserved
  CHECK(decode_term(with_header_field(file, 48, std::uint64_t{1} << 40U), crafted.directory) == "bad_header");
  CHECK(decode_term(with_header_field(file, 16, std::uint32_t{0}), crafted.directory) == "bad_header");  // no term
  CHECK(decode_term(with_header_field(file, 16, std::uint32_t{2}), crafted.directory) == "bad_header");  // ≠ directory
  // Block sizes whose sum overflows, or that describe more bytes than there are.
  CHECK(decode_term(with_header_field(file, 24, std::numeric_limits<std::uint64_t>::max() - 8), crafted.directory) ==
        "size_overflow");
  CHECK(decode_term(with_header_field(file, 40, std::numeric_limits<std::uint64_t>::max()), crafted.directory) ==
        "size_overflow");
  CHECK(decode_term(with_header_field(file, 32, std::uint64_t{1} << 20U), crafted.directory) == "truncated_payload");
  // 2^40 bytes fit in 64 bits but not in wasm's 32-bit size_t.
  const std::string beyond_address_space = sizeof(std::size_t) < 8 ? "size_overflow" : "truncated_payload";
  CHECK(decode_term(with_header_field(file, 32, std::uint64_t{1} << 40U), crafted.directory) == beyond_address_space);
  CHECK(decode_term(with_header_field(file, 40, std::uint64_t{0}), crafted.directory) == "trailing_bytes");
}

TEST_CASE("keywords hostile term files: checksum and the directory's SHA-256", "[keywords][hostile]") {
  const crafted_term_file crafted = craft({cat_term()});
  for (std::size_t at = 0; at < crafted.file.size(); ++at) {
    bytes changed = crafted.file;
    changed[at] ^= 0x01;
    if (at < keyword_checksum_offset) continue;  // header fields have their own tests above
    INFO("byte " << at);
    CHECK(decode_term(changed, crafted.directory, true) == "checksum_mismatch");
  }
  // A valid term file that is not the one the directory names: same size, another hash; another size.
  keyword_directory wrong_hash = crafted.directory;
  wrong_hash.term_files[0].hash[5] = wrong_hash.term_files[0].hash[5] == 'a' ? 'b' : 'a';
  std::string message;
  CHECK(decode_term(crafted.file, wrong_hash, true, &message) == "checksum_mismatch");
  CHECK(message.find("not the file the directory names") != std::string::npos);
  keyword_directory wrong_size = crafted.directory;
  wrong_size.term_files[0].bytes += 1;
  CHECK(decode_term(crafted.file, wrong_size, true) == "checksum_mismatch");
  CHECK(decode_term(crafted.file, crafted.directory, true) == "ok");
}

TEST_CASE("keywords hostile term files: varints overlong or past their block", "[keywords][hostile]") {
  std::string message;
  // Reference delta 5 written as 85 00.
  CHECK(decode_term(craft({term_with("cat", 1, {0x85, 0x00, 0x01, 0x00, 0x03}, {0x02})}), &message) == "bad_payload_value");
  CHECK(message.find("overlong") != std::string::npos);
  CHECK(message.find("'cat'") != std::string::npos);
  // A position written as 82 80 00.
  CHECK(decode_term(craft({term_with("cat", 1, {0x05, 0x01, 0x00, 0x03}, {0x82, 0x80, 0x00})}), &message) == "bad_payload_value");
  CHECK(message.find("overlong") != std::string::npos);
  // Eleven bytes of continuation.
  CHECK(decode_term(craft({term_with("cat", 1, {0x05, 0x01, 0x00, 0x03}, bytes(10, 0x80))})) == "bad_payload_value");
  // The postings block ends inside the field length; the next term's bytes are not read as its end.
  CHECK(decode_term(craft({term_with("cat", 1, {0x05, 0x01, 0x00, 0x83}, {0x02}),
                           term_with("dog", 1, {0x01, 0x01, 0x00, 0x01}, {0x00})}), &message) == "bad_payload_value");
  CHECK(message.find("past the end of its block") != std::string::npos);
  // The positions block is too short for the term frequencies.
  CHECK(decode_term(craft({term_with("cat", 1, {0x05, 0x02, 0x00, 0x03}, {0x00})}), &message) == "bad_payload_value");
  CHECK(message.find("past the end of its block") != std::string::npos);

  // The term table: an overlong term length, and a table that ends inside an entry.
  crafted_term_file crafted = craft({cat_term()});
  bytes overlong = crafted.file;
  // Table: 03 'c' 'a' 't' 01 04 01. Make the postings length 04 into 84 00 by rewriting the table by hand.
  REQUIRE(overlong[64] == 0x03);
  REQUIRE(overlong[69] == 0x04);
  overlong[69] = 0x84;
  overlong.insert(overlong.begin() + 70, 0x00);
  write_little_endian(overlong, 24, std::uint64_t{8});
  reseal(overlong);
  CHECK(decode_term(overlong, crafted.directory, false, &message) == "bad_payload_value");
  CHECK(message.find("overlong") != std::string::npos);
  bytes cut_table = crafted.file;
  write_little_endian(cut_table, 24, std::uint64_t{6});  // the last byte of the table becomes a postings byte
  write_little_endian(cut_table, 32, std::uint64_t{5});
  reseal(cut_table);
  CHECK(decode_term(cut_table, crafted.directory, false, &message) == "bad_payload_value");
  CHECK(message.find("past the end of its block") != std::string::npos);
}

TEST_CASE("keywords hostile term files: term order, range, length and UTF-8", "[keywords][hostile]") {
  std::string message;
  const encoded_term dog = term_with("dog", 1, {0x01, 0x01, 0x00, 0x01}, {0x00});
  CHECK(decode_term(craft({dog, cat_term()}, "cat"), &message) == "bad_payload_value");  // unsorted
  CHECK(message.find("strictly increasing") != std::string::npos);
  CHECK(decode_term(craft({cat_term(), cat_term()})) == "bad_payload_value");  // repeated
  // Byte-wise order: "Z" (0x5A) < "a" < "é" (0xC3 0xA9), whatever a locale says.
  CHECK(decode_term(craft({term_with("Z", 1, {0x01, 0x01, 0x00, 0x01}, {0x00}), term_with("a", 1, {0x01, 0x01, 0x00, 0x01}, {0x00}),
                           term_with("\xC3\xA9", 1, {0x01, 0x01, 0x00, 0x01}, {0x00})}, "Z")) == "ok");
  // Outside the directory's range: before the file's first term, or at/after the next file's.
  CHECK(decode_term(craft({cat_term()}, "cow"), &message) == "bad_payload_value");
  CHECK(message.find("outside the file's range") != std::string::npos);
  CHECK(decode_term(craft({cat_term(), dog}, "cat", std::string("dog")), &message) == "bad_payload_value");
  CHECK(message.find("outside the file's range") != std::string::npos);
  CHECK(decode_term(craft({cat_term(), dog}, "cat", std::string("doe"))) == "bad_payload_value");
  CHECK(decode_term(craft({cat_term(), dog}, "cat", std::string("dog!"))) == "ok");
  // Invalid UTF-8 and impossible lengths.
  CHECK(decode_term(craft({term_with("c\xFFt", 1, {0x01, 0x01, 0x00, 0x01}, {0x00})}, "c"), &message) == "bad_payload_value");
  CHECK(message.find("UTF-8") != std::string::npos);
  CHECK(decode_term(craft({term_with("\xE6\x9D", 1, {0x01, 0x01, 0x00, 0x01}, {0x00})}, "\xE6")) == "bad_payload_value");
  CHECK(decode_term(craft({term_with("", 1, {0x01, 0x01, 0x00, 0x01}, {0x00})}, "")) == "bad_payload_value");
  const std::string long_term(129, 'x');
  CHECK(decode_term(craft({term_with(long_term, 1, {0x01, 0x01, 0x00, 0x01}, {0x00})}, "x")) == "bad_payload_value");
  CHECK(decode_term(craft({term_with(std::string(128, 'x'), 1, {0x01, 0x01, 0x00, 0x01}, {0x00})}, "x")) == "ok");
}

TEST_CASE("keywords hostile term files: postings", "[keywords][hostile]") {
  std::string message;
  // df says 2, the block holds 1 (and could not hold 2; then with a long first reference, it could).
  CHECK(decode_term(craft({term_with("cat", 2, {0x05, 0x01, 0x00, 0x03}, {0x02})}), &message) == "bad_payload_value");
  CHECK(message.find("document frequency 2") != std::string::npos);
  CHECK(decode_term(craft({term_with("cat", 2, {0x80, 0x80, 0x01, 0x01, 0x00, 0x03}, {0x02})}), &message) ==
        "bad_payload_value");
  CHECK(message.find("holds 1 postings") != std::string::npos);
  // df says 1, the block holds 2.
  CHECK(decode_term(craft({term_with("cat", 1, {0x05, 0x01, 0x00, 0x03, 0x01, 0x01, 0x00, 0x03}, {0x02, 0x02})}),
                    &message) == "bad_payload_value");
  CHECK(message.find("document frequency mismatch") != std::string::npos);
  CHECK(decode_term(craft({term_with("cat", 0, {}, {})})) == "bad_payload_value");
  // A df far beyond what the block could hold is refused before anything is decoded.
  CHECK(decode_term(craft({term_with("cat", std::uint64_t{1} << 40U, {0x05, 0x01, 0x00, 0x03}, {0x02})})) ==
        "bad_payload_value");
  // References must increase: a second delta of 0.
  CHECK(decode_term(craft({term_with("cat", 2, {0x05, 0x01, 0x00, 0x03, 0x00, 0x01, 0x00, 0x03}, {0x02, 0x02})}),
                    &message) == "bad_payload_value");
  CHECK(message.find("references must increase") != std::string::npos);
  // A reference past 2^64.
  bytes huge = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x01, 0x00, 0x03,
                0x01, 0x01, 0x00, 0x03};
  CHECK(decode_term(craft({term_with("cat", 2, huge, {0x02, 0x02})})) == "bad_payload_value");
  // The largest reference is fine.
  CHECK(decode_term(craft({term_with("cat", 1, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x01, 0x00, 0x03}, {0x02})})) == "ok");
  // tf > length, a length of 0 where tf > 0, and a posting without any term frequency.
  CHECK(decode_term(craft({term_with("cat", 1, {0x05, 0x04, 0x00, 0x03}, {0x00, 0x01, 0x02, 0x03})}), &message) ==
        "bad_payload_value");
  CHECK(message.find("term frequency 4 but length 3") != std::string::npos);
  CHECK(decode_term(craft({term_with("cat", 1, {0x05, 0x01, 0x00, 0x00}, {0x00})})) == "bad_payload_value");
  CHECK(decode_term(craft({term_with("cat", 1, {0x05, 0x00, 0x00}, {})}), &message) == "bad_payload_value");
  CHECK(message.find("0 in every field") != std::string::npos);
  // A term frequency beyond 32 bits.
  CHECK(decode_term(craft({term_with("cat", 1, {0x05, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00, 0x03}, {0x02})})) ==
        "bad_payload_value");
  // Postings blocks that do not add up: a term's block past the postings, or bytes no term owns.
  bytes orphan = craft({cat_term()}).file;
  orphan.insert(orphan.begin() + 64 + 7 + 4, 0x00);  // one more postings byte
  write_little_endian(orphan, 32, std::uint64_t{5});
  reseal(orphan);
  CHECK(decode_term(orphan, craft({cat_term()}).directory, false, &message) == "bad_payload_value");
  CHECK(message.find("belong to no term") != std::string::npos);
}

TEST_CASE("keywords hostile term files: positions", "[keywords][hostile]") {
  std::string message;
  // A position equal to the field's length (3), and beyond it.
  CHECK(decode_term(craft({term_with("cat", 1, {0x05, 0x01, 0x00, 0x03}, {0x03})}), &message) == "bad_payload_value");
  CHECK(message.find("beyond its length") != std::string::npos);
  CHECK(decode_term(craft({term_with("cat", 1, {0x05, 0x01, 0x00, 0x03}, {0x7F})})) == "bad_payload_value");
  // Positions 1 then 1 + 2 = 3 with length 3; a repeated position (delta 0).
  CHECK(decode_term(craft({term_with("cat", 1, {0x05, 0x02, 0x00, 0x03}, {0x01, 0x02})})) == "bad_payload_value");
  CHECK(decode_term(craft({term_with("cat", 1, {0x05, 0x02, 0x00, 0x03}, {0x01, 0x00})}), &message) == "bad_payload_value");
  CHECK(message.find("positions must increase") != std::string::npos);
  CHECK(decode_term(craft({term_with("cat", 1, {0x05, 0x02, 0x00, 0x03}, {0x01, 0x01})})) == "ok");
  // A delta that would overflow 64 bits when added.
  CHECK(decode_term(craft({term_with("cat", 1, {0x05, 0x02, 0x00, 0x03},
                                     {0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01})})) ==
        "bad_payload_value");
  // Extra bytes after the last position.
  CHECK(decode_term(craft({term_with("cat", 1, {0x05, 0x01, 0x00, 0x03}, {0x02, 0x00})}), &message) == "bad_payload_value");
  CHECK(message.find("after the last position") != std::string::npos);
}

TEST_CASE("keywords hostile term files: random corruption never crashes", "[keywords][hostile]") {
  // Every single-byte change of a real term file, re-sealed and re-named: rejected or still valid,
  // never a crash or an out-of-bounds read.
  const auto built = build({{make_item_reference(0, 1), "Quick brown fox", "lazy dog AB-1234"},
                            {make_item_reference(3, 9), "", "brown dogs run"}});
  REQUIRE(built.term_files.size() == 1);
  keyword_directory directory = load(built).directory;
  const bytes& file = built.term_files[0].bytes;
  std::size_t rejected = 0;
  for (std::size_t at = keyword_header_bytes; at < file.size(); ++at) {
    for (std::uint8_t value : {std::uint8_t{0x00}, std::uint8_t{0x01}, std::uint8_t{0x7F}, std::uint8_t{0x80},
                               std::uint8_t{0xFF}}) {
      if (file[at] == value) continue;
      bytes changed = file;
      changed[at] = value;
      reseal(changed);
      const std::string outcome = decode_term(changed, directory);
      CHECK((outcome == "ok" || outcome == "bad_payload_value"));
      rejected += outcome != "ok";
    }
  }
  CHECK(rejected > 0);
}

TEST_CASE("keywords hostile directories: the builder's directory is the baseline", "[keywords][hostile]") {
  const auto built = build({{make_item_reference(0, 1), "Fox", "red fox"}});
  REQUIRE(decode_directory(built.directory.bytes) == "ok");
  const bytes& file = built.directory.bytes;
  for (std::size_t length = 0; length < keyword_header_bytes; ++length) {
    CHECK(decode_directory(prefix(file, length)) == "truncated_header");
  }
  for (std::size_t length = keyword_header_bytes; length < file.size(); ++length) {
    CHECK(decode_directory(prefix(file, length)) == "truncated_payload");
  }
  bytes longer = file;
  longer.push_back(0);
  CHECK(decode_directory(longer) == "trailing_bytes");
  for (std::size_t at = keyword_header_bytes; at < file.size(); ++at) {
    bytes changed = file;
    changed[at] ^= 0x10;
    CHECK(decode_directory(changed) == "checksum_mismatch");
  }
}

TEST_CASE("keywords hostile directories: header fields", "[keywords][hostile]") {
  const bytes file = build({{make_item_reference(0, 1), "Fox", "red fox"}}).directory.bytes;
  for (std::size_t at = 0; at < 8; ++at) {
    bytes changed = file;
    changed[at] ^= 0x20;
    reseal(changed);
    CHECK(decode_directory(changed) == "bad_magic");
  }
  CHECK(decode_directory(with_header_field(file, 8, std::uint16_t{0})) == "bad_header");
  CHECK(decode_directory(with_header_field(file, 8, std::uint16_t{2})) == "unsupported_version");
  CHECK(decode_directory(with_header_field(file, 10, std::uint16_t{128})) == "bad_header");
  CHECK(decode_directory(with_header_field(file, 12, std::uint16_t{0})) == "bad_header");   // analysis
  CHECK(decode_directory(with_header_field(file, 12, std::uint16_t{7})) == "ok");           // refused at query time
  CHECK(decode_directory(with_header_field(file, 14, std::uint16_t{0})) == "bad_header");   // field count
  CHECK(decode_directory(with_header_field(file, 14, std::uint16_t{9})) == "bad_header");
  CHECK(decode_directory(with_header_field(file, 16, (std::uint32_t{1} << 20U) + 1)) == "bad_header");
  CHECK(decode_directory(with_header_field(file, 20, std::uint32_t{1})) == "bad_header");  // reserved
  for (std::size_t at = 40; at < 56; ++at) {
    bytes changed = file;
    changed[at] = 1;
    reseal(changed);
    CHECK(decode_directory(changed) == "bad_header");
  }
  CHECK(decode_directory(with_header_field(file, 32, std::numeric_limits<std::uint64_t>::max() - 10)) == "size_overflow");
  CHECK(decode_directory(with_header_field(file, 32, std::uint64_t{1} << 20U)) == "truncated_payload");
  const std::string beyond_address_space = sizeof(std::size_t) < 8 ? "size_overflow" : "truncated_payload";
  CHECK(decode_directory(with_header_field(file, 32, std::uint64_t{1} << 40U)) == beyond_address_space);
}

TEST_CASE("keywords hostile directories: payload", "[keywords][hostile]") {
  const bytes entry = term_entry("cat");
  REQUIRE(decode_directory(raw_directory(concatenated({body_field(), entry}), 1, 1)) == "ok");
  std::string message;
  // Fields: an overlong name length (04 as 84 00), a name cut by the end, lengths 0 and 33, bad UTF-8.
  bytes overlong_name = body_field();
  overlong_name[0] = 0x84;
  overlong_name.insert(overlong_name.begin() + 1, 0x00);
  CHECK(decode_directory(raw_directory(concatenated({overlong_name, entry}), 1, 1), &message) == "bad_payload_value");
  CHECK(message.find("overlong") != std::string::npos);
  CHECK(decode_directory(raw_directory({0x84}, 1, 0), &message) == "bad_payload_value");
  CHECK(message.find("past the end") != std::string::npos);
  CHECK(decode_directory(raw_directory({0x04, 'b', 'o'}, 1, 0)) == "bad_payload_value");
  bytes empty_name = {0x00};
  append_float(empty_name, 1.0f);
  append(empty_name, {1});
  CHECK(decode_directory(raw_directory(empty_name, 1, 0)) == "bad_payload_value");
  bytes long_name = {33};
  long_name.insert(long_name.end(), 33, 'n');
  append_float(long_name, 1.0f);
  append(long_name, {1});
  CHECK(decode_directory(raw_directory(long_name, 1, 0)) == "bad_payload_value");
  bytes bad_name = body_field();
  bad_name[2] = 0xC0;
  CHECK(decode_directory(raw_directory(bad_name, 1, 0), &message) == "bad_payload_value");
  CHECK(message.find("UTF-8") != std::string::npos);
  // Average lengths that are not finite or negative; more items with the field than in the index.
  for (float average : {std::nanf(""), std::numeric_limits<float>::infinity(), -1.0f}) {
    CHECK(decode_directory(raw_directory(body_field(average), 1, 0)) == "bad_payload_value");
  }
  CHECK(decode_directory(raw_directory(body_field(2.0f, 11), 1, 0)) == "bad_payload_value");
  // A field count the payload does not hold.
  CHECK(decode_directory(raw_directory(body_field(), 2, 0)) == "bad_payload_value");

  // Term files: order, first term length and UTF-8, term count, size, an entry cut short.
  CHECK(decode_directory(raw_directory(concatenated({body_field(), term_entry("cat"), term_entry("dog")}), 1, 2)) == "ok");
  CHECK(decode_directory(raw_directory(concatenated({body_field(), term_entry("dog"), term_entry("cat")}), 1, 2),
                         &message) == "bad_payload_value");
  CHECK(message.find("does not follow") != std::string::npos);
  CHECK(decode_directory(raw_directory(concatenated({body_field(), term_entry("cat"), term_entry("cat")}), 1, 2)) ==
        "bad_payload_value");
  CHECK(decode_directory(raw_directory(concatenated({body_field(), term_entry("")}), 1, 1)) == "bad_payload_value");
  CHECK(decode_directory(raw_directory(concatenated({body_field(), term_entry(std::string(129, 'x'))}), 1, 1)) ==
        "bad_payload_value");
  CHECK(decode_directory(raw_directory(concatenated({body_field(), term_entry("\xFF")}), 1, 1)) == "bad_payload_value");
  CHECK(decode_directory(raw_directory(concatenated({body_field(), term_entry("cat", 0)}), 1, 1)) == "bad_payload_value");
  CHECK(decode_directory(raw_directory(concatenated({body_field(), term_entry("cat", 1, 63)}), 1, 1)) ==
        "bad_payload_value");
  const bytes cut = concatenated({body_field(), term_entry("cat")});
  CHECK(decode_directory(raw_directory(prefix(cut, cut.size() - 1), 1, 1), &message) == "bad_payload_value");
  CHECK(message.find("past the end") != std::string::npos);
  // A term file count the bytes cannot hold is refused before anything is reserved.
  CHECK(decode_directory(raw_directory(concatenated({body_field(), entry}), 1, 1U << 20U), &message) ==
        "bad_payload_value");
  // Bytes after the last entry.
  CHECK(decode_directory(raw_directory(concatenated({body_field(), entry, {0x00}}), 1, 1)) == "trailing_bytes");
  CHECK(decode_directory(raw_directory(concatenated({body_field(), entry}), 1, 0)) == "trailing_bytes");
}

TEST_CASE("keywords hostile directories: encode refuses what decode would", "[keywords][hostile]") {
  keyword_directory directory = two_field_directory();
  CHECK(encode_keyword_directory(directory).ok());
  directory.term_files.push_back({"dog", 1, 100, std::string(64, 'a')});
  directory.term_files.push_back({"cat", 1, 100, std::string(64, 'a')});
  CHECK(outcome_name(encode_keyword_directory(directory)) == "invalid_argument");
  directory.term_files.pop_back();
  directory.term_files[0].hash = std::string(64, 'G');
  CHECK(outcome_name(encode_keyword_directory(directory)) == "invalid_argument");
  directory.fields.clear();
  CHECK(outcome_name(encode_keyword_directory(directory)) == "invalid_argument");
}
