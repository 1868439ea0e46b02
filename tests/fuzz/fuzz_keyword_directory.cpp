// The keyword directory (shared/keywords/keyword_directory_codec): keywords/<hash>.bin, fetched by the
// browser before any term file. The checksum is recomputed first so mutations reach the payload checks.
// An accepted directory re-encodes to exactly its bytes (one encoding per content) and answers
// term_file_for for terms around its ranges.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "keywords/keyword_directory.hpp"
#include "keywords/keyword_file_headers.hpp"

using namespace mosaic::keywords;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> bytes(data, data + size);
  if (bytes.size() >= keyword_header_bytes) {
    mosaic::fuzz::write_little_endian(bytes, keyword_checksum_offset, keyword_file_checksum(bytes));
  }
  auto decoded = decode_keyword_directory(bytes);
  if (!decoded) {
    MOSAIC_FUZZ_CHECK(!decoded.failure().message.empty(), "a refusal must say why");
    return 0;
  }
  const keyword_directory& directory = decoded.value();
  for (std::size_t index = 0; index < directory.term_files.size(); ++index) {
    const std::string& first = directory.term_files[index].first_term;
    const auto found = directory.term_file_for(first);
    MOSAIC_FUZZ_CHECK(found.has_value() && *found == index, "a file's first term is not found in that file");
    (void)directory.term_file_for(first + "\xff");
  }
  (void)directory.term_file_for("");
  auto encoded = encode_keyword_directory(directory);
  MOSAIC_FUZZ_CHECK(encoded.ok(), encoded.ok() ? "" : encoded.failure().message);
  if (encoded.value() != bytes) {
    std::size_t offset = 0;
    while (offset < bytes.size() && offset < encoded->size() && bytes[offset] == (*encoded)[offset]) ++offset;
    MOSAIC_FUZZ_CHECK(false, "an accepted directory re-encodes to other bytes: " + std::to_string(bytes.size()) +
                                 " bytes in, " + std::to_string(encoded->size()) + " out, first difference at byte " +
                                 std::to_string(offset));
  }
  return 0;
}
