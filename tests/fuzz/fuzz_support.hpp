#pragma once
// What every fuzz target shares: an invariant check that crashes (so libFuzzer records the input and
// the run fails), and the "re-seal" that recomputes a checksum after the fuzzer's mutation, without
// which nearly every mutated file would stop at the checksum and the fuzzer would never reach the
// checks behind it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace mosaic::fuzz {

// An invariant the parser promises was broken: print it and abort (libFuzzer saves the input).
[[noreturn]] inline void invariant_broken(const char* condition, const char* file, int line, std::string_view detail) {
  std::fprintf(stderr, "%s:%d: fuzz invariant broken: %s %.*s\n", file, line, condition,
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// Writes `value` little-endian at `offset` (the formats are little-endian; so is every target we run on).
template <typename Value>
void write_little_endian(std::vector<std::uint8_t>& bytes, std::size_t offset, Value value) {
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace mosaic::fuzz

#define MOSAIC_FUZZ_CHECK(condition, detail)                                                   \
  do {                                                                                         \
    if (!(condition)) ::mosaic::fuzz::invariant_broken(#condition, __FILE__, __LINE__, detail); \
  } while (false)
