#pragma once
// A pseudo-random generator whose output is defined by this file alone: splitmix64 (Steele, Lea and
// Flood, "Fast splittable pseudorandom number generators", 2014; the seeding generator of xoshiro).
// Index building must give the same partitions natively and in WebAssembly, and the standard
// library's distributions (std::uniform_int_distribution and friends) are allowed to differ between
// implementations, so every random choice of k-means goes through here.
#include <cstdint>

namespace mosaic::partition {

class seeded_random {
 public:
  explicit seeded_random(std::uint64_t seed) noexcept : state_(seed) {}

  std::uint64_t next() noexcept {
    state_ += 0x9E3779B97F4A7C15ULL;
    std::uint64_t mixed = state_;
    mixed = (mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9ULL;
    mixed = (mixed ^ (mixed >> 27)) * 0x94D049BB133111EBULL;
    return mixed ^ (mixed >> 31);
  }

  // Uniform in [0, bound) for bound >= 1, without modulo bias: draws that fall in the incomplete last
  // block of 2^64 are redrawn (fewer than one in two draws, whatever the bound).
  std::uint64_t next_below(std::uint64_t bound) noexcept {
    const std::uint64_t rejected_below = (0 - bound) % bound;  // 2^64 mod bound
    for (;;) {
      const std::uint64_t value = next();
      if (value >= rejected_below) return value % bound;
    }
  }

  // Uniform in [0, 1) with 53 random bits: exactly representable, so the same on every target.
  double next_unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

}  // namespace mosaic::partition
