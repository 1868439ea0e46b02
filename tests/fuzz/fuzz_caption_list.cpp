// The captions list of `mosaic index --captions FILE.jsonl` (server/cli/caption_list): one JSON object
// per line, from anyone. The reader takes a file, so each input is written to one scratch file per
// process. An accepted list holds only safe relative paths with non-empty captions within the limit,
// each from a line that exists; a refusal names bad lines.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

#include "cli/caption_list.hpp"
#include "fuzz_support.hpp"

namespace {

// The file's name lives on the heap and is never freed: the atexit handler that removes the file runs
// after function-local statics are destroyed.
const std::filesystem::path& scratch_file() {
  static const std::filesystem::path* const path = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "mosaic-fuzz-captions-XXXXXX").string();
    const int descriptor = mkstemp(pattern.data());
    if (descriptor < 0) {
      std::perror("fuzz_caption_list: mkstemp");
      std::abort();
    }
    close(descriptor);
    // Removed when the fuzzer exits normally; a crash leaves one small file in the temporary folder.
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove(scratch_file(), ignored);
    });
    return new std::filesystem::path(pattern);
  }();
  return *path;
}

// What the reader promises of a path: relative, no NUL, no empty, "." or ".." part (backslashes
// and other characters are legitimate in file names here, unlike in an index's own paths).
bool stays_inside_collection(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.find('\0') != std::string::npos) return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view part(path.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::filesystem::path& file = scratch_file();
  {
    std::ofstream stream(file, std::ios::binary | std::ios::trunc);
    stream.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  mosaic::server::caption_list_limits limits;
  limits.max_caption_bytes = 64;  // small limits, so the fuzzer reaches the refusals of long lines
  limits.max_line_bytes = 512;
  auto list = mosaic::server::read_caption_list(file, limits);
  if (!list) {
    MOSAIC_FUZZ_CHECK(!list.failure().message.empty(), "a refusal must say why");
    return 0;
  }
  const std::size_t lines = static_cast<std::size_t>(std::count(data, data + size, std::uint8_t{'\n'})) + 1;
  for (const auto& [path, caption] : list->by_path) {
    MOSAIC_FUZZ_CHECK(stays_inside_collection(path), path);
    MOSAIC_FUZZ_CHECK(!caption.caption.empty() && caption.caption.size() <= limits.max_caption_bytes, path);
    MOSAIC_FUZZ_CHECK(caption.line >= 1 && caption.line <= lines, path);
  }
  return 0;
}
