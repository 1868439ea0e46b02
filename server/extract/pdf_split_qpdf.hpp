#pragma once
// The QPDF half of pdf_split (extract/pdf_split.hpp), behind a C++17 interface: QPDF 11's JSON.hh
// holds a std::vector of its own incomplete class, which clang 14 with libstdc++ 12 refuses in C++20
// (the vector's destructor is constexpr there and is checked at once), so the one file that includes
// QPDF's headers is compiled as C++17 (server/CMakeLists.txt) and speaks plain types; pdf_split.cpp
// turns them into result values.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mosaic::extract::qpdf_detail {

enum class split_failure { none, password, damaged, no_pages, too_many_pages, out_of_memory };

struct split_outcome {
  split_failure failure = split_failure::none;
  std::string detail;       // QPDF's words for a damaged file
  std::size_t page_count = 0;
  std::vector<std::vector<std::uint8_t>> parts;  // pages [i * pages_per_part, ...) each
};

split_outcome split_with_qpdf(const std::uint8_t* data, std::size_t size, std::size_t pages_per_part,
                              std::size_t max_pages);

}  // namespace mosaic::extract::qpdf_detail
