// Term files (shared/keywords/term_file_codec): terms/<hash>.bin, the postings and positions of a term
// range, decoded against the directory that names them. Setup builds a real index with the builder
// (several small term files) and decodes its directory; each input picks a file of it by its first
// byte and is that file's bytes. The checksum and the directory's size and SHA-256 are made to match
// the input, so mutations reach the term, posting and position checks. An accepted file must give every
// term's postings and positions, find each of its terms, and survive a search that uses it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "hash/sha256.hpp"
#include "keywords/keyword_analysis.hpp"
#include "keywords/keyword_directory.hpp"
#include "keywords/keyword_file_headers.hpp"
#include "keywords/keyword_index_builder.hpp"
#include "keywords/keyword_query.hpp"
#include "keywords/keyword_search.hpp"
#include "keywords/term_file.hpp"

using namespace mosaic::keywords;

namespace {

struct fuzz_setup {
  keyword_directory directory;
  mosaic::text::text_analyzer analyzer;
  keyword_query query;
};

[[noreturn]] void setup_failed(const std::string& message) {
  std::fprintf(stderr, "fuzz_term_file setup: %s\n", message.c_str());
  std::abort();
}

fuzz_setup make_setup() {
  const std::vector<keyword_document> documents = {
      {1, "Green frog", "a green frog sits on a leaf by the pond"},
      {2, "Error codes", "error AB-1234 means the disk is full; error 500 is the server"},
      {3, "東京 2024年", "the trip to Tokyo: trains, temples and ramen"},
      {4, "Frogs and toads", "toads are frogs with dry skin; the frog jumps"},
      {5, "", "zebra crossing at the quiet road near the pond"},
  };
  keyword_build_options options;
  options.target_term_file_bytes = 64;  // several term files from a few documents
  auto built = build_keyword_index(documents, options);
  if (!built) setup_failed(built.failure().message);
  auto directory = decode_keyword_directory(built->directory.bytes);
  if (!directory) setup_failed(directory.failure().message);
  auto analyzer = analyzer_for(directory->analysis);
  if (!analyzer) setup_failed(analyzer.failure().message);
  auto query = parse_keyword_query("frog \"green frog\" error zebra -toad", analyzer.value());
  if (!query) setup_failed(query.failure().message);
  return {std::move(directory).value(), std::move(analyzer).value(), std::move(query).value()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static fuzz_setup setup = make_setup();
  if (size == 0) return 0;
  keyword_directory directory = setup.directory;
  const std::size_t file_index = data[0] % directory.term_files.size();
  std::vector<std::uint8_t> bytes(data + 1, data + size);
  if (bytes.size() >= keyword_header_bytes) {
    mosaic::fuzz::write_little_endian(bytes, keyword_checksum_offset, keyword_file_checksum(bytes));
  }
  directory.term_files[file_index].bytes = bytes.size();
  directory.term_files[file_index].hash = mosaic::hash::sha256_hex(bytes);
  auto decoded = term_file::decode(bytes, directory, file_index);
  if (!decoded) {
    MOSAIC_FUZZ_CHECK(!decoded.failure().message.empty(), "a refusal must say why");
    return 0;
  }
  const term_file& file = decoded.value();
  for (std::size_t term = 0; term < file.term_count(); ++term) {
    const auto found = file.find_term(file.term(term));
    MOSAIC_FUZZ_CHECK(found.has_value() && *found == term, "a term of the file is not found in it");
    const term_postings postings = file.postings(term);
    MOSAIC_FUZZ_CHECK(postings.size() == file.document_frequency(term), "postings disagree with the document frequency");
    const term_positions positions = file.positions(term, postings);
    for (std::size_t posting = 0; posting < postings.size(); ++posting) {
      for (std::size_t field = 0; field < postings.field_count; ++field) {
        MOSAIC_FUZZ_CHECK(positions.of(posting, field).size() == postings.term_frequency(posting, field),
                          "positions disagree with the term frequency");
      }
    }
  }
  // A search over this file alone: terms of other files are reported missing, which is an error, not a crash.
  const std::vector<const term_file*> files = {&file};
  (void)search_keywords(setup.query, directory, files, 10, {}, {});
  return 0;
}
