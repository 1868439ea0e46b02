#pragma once
// Helpers shared by the embedding cache tests: a temporary folder, keys and vectors that are a pure
// function of an index (so a reader can check any vector it gets back), and raw file access for
// damaging cache files on purpose.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "embed/embedding_cache.hpp"

namespace cache_test {

// Mirrors embedding_cache.hpp's file format description.
constexpr std::size_t file_header_size = 32;
constexpr std::size_t record_header_size = 48;
inline std::size_t record_size(std::size_t dimensions) { return record_header_size + 4 * dimensions; }

class temporary_folder {
 public:
  temporary_folder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mosaic-cache-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~temporary_folder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temporary_folder(const temporary_folder&) = delete;
  temporary_folder& operator=(const temporary_folder&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline mosaic::server::embedding_cache_key key_for(std::uint64_t index) {
  mosaic::server::embedding_input input;
  input.parts.push_back({"item " + std::to_string(index), {}, {}});
  return mosaic::server::make_embedding_cache_key("test-model", 8, mosaic::server::embedding_task::retrieval_document,
                                                  input);
}

inline std::vector<float> vector_for(std::uint64_t index, std::size_t dimensions) {
  std::vector<float> vector(dimensions);
  for (std::size_t i = 0; i < dimensions; ++i) vector[i] = static_cast<float>(index) + static_cast<float>(i) / 64.0f;
  return vector;
}

inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
}

inline void write_bytes(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream stream(path, std::ios::binary | std::ios::trunc);
  stream.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Changes one byte in place through a separate descriptor, as a failing disk or another program would.
inline void flip_byte_on_disk(const std::filesystem::path& path, std::uint64_t offset) {
  const int descriptor = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (descriptor < 0) throw std::runtime_error("cannot open " + path.string());
  std::uint8_t byte = 0;
  if (::pread(descriptor, &byte, 1, static_cast<off_t>(offset)) != 1) throw std::runtime_error("pread failed");
  byte = static_cast<std::uint8_t>(byte ^ 0x40);
  if (::pwrite(descriptor, &byte, 1, static_cast<off_t>(offset)) != 1) throw std::runtime_error("pwrite failed");
  ::close(descriptor);
}

}  // namespace cache_test
