#pragma once
// Helpers shared by the server unit tests: a temporary folder that removes itself (also when a
// REQUIRE throws), and whole-file writing and reading.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unistd.h>

namespace mosaic::server::testing {

// A fresh folder under the system's temporary folder, removed with everything in it when the guard
// goes out of scope. The name joins the process id, a counter and a random number, so parallel ctest
// runs of the same binary never share a folder.
class temporary_folder {
 public:
  explicit temporary_folder(std::string_view purpose) {
    static std::atomic<unsigned> counter{0};
    std::random_device random;
    const std::string name = "mosaic-" + std::string(purpose) + "-" + std::to_string(::getpid()) + "-" +
                             std::to_string(counter.fetch_add(1)) + "-" + std::to_string(random());
    path_ = std::filesystem::temp_directory_path() / name;
    std::filesystem::create_directories(path_);
  }
  ~temporary_folder() {
    std::error_code ignored;  // a destructor must not throw; a leftover folder is harmless
    std::filesystem::remove_all(path_, ignored);
  }
  temporary_folder(const temporary_folder&) = delete;
  temporary_folder& operator=(const temporary_folder&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

inline void write_text_file(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream stream(path, std::ios::binary);
  stream.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!stream) throw std::runtime_error("cannot write " + path.string());
}

inline std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) throw std::runtime_error("cannot read " + path.string());
  return {std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>()};
}

}  // namespace mosaic::server::testing
