// XXH64 (shard checksums) and SHA-256 (content-addressed names) against values computed by independent
// implementations, so a shard written here can be verified with standard tools and the browser build
// names files exactly as the server does.
//
// Where the values come from:
// - xxhash64 without a seed: `xxh64sum` of xxhsum 0.8.1 (Debian package xxhash) run on files holding
//   the same bytes as the inputs below.
// - xxhash64 with a seed: the sanity-check table in xxHash's own xxhsum.c (Cyan4973/xxHash), whose
//   unseeded entries xxh64sum reproduces for the same generated buffer.
// - sha256: `sha256sum` (GNU coreutils) on the same files, and the FIPS 180-2 / NIST example vectors.
#include <catch2/catch.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hash/sha256.hpp"
#include "hash/xxhash64.hpp"

namespace {

std::vector<std::uint8_t> bytes_of(std::string_view text) { return std::vector<std::uint8_t>(text.begin(), text.end()); }

// byte i = (i * 31 + 7) mod 256: every byte value appears and no run repeats within a hash block.
std::vector<std::uint8_t> pattern(std::size_t size) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>((i * 31 + 7) & 0xFF);
  return bytes;
}

// The buffer of xxHash's sanity check: the top byte of a 64-bit generator that starts at PRIME32_1 and
// is multiplied by PRIME64_1 each step.
std::vector<std::uint8_t> xxhash_sanity_buffer(std::size_t size) {
  std::vector<std::uint8_t> bytes(size);
  std::uint64_t generator = 2654435761u;
  for (std::uint8_t& byte : bytes) {
    byte = static_cast<std::uint8_t>(generator >> 56);
    generator *= 11400714785074694797ull;
  }
  return bytes;
}

struct pattern_digest {
  std::size_t size;
  std::uint64_t xxhash64;
  const char* sha256;
};

// Sizes around the 32-byte stripes and the 8/4/1-byte tails of XXH64, and around the 55/56-byte point
// where SHA-256 padding needs a second block and the 64-byte block boundary.
constexpr std::array<pattern_digest, 13> pattern_digests = {{
    {1, 0xa96c7f0ce858bbb7ull, "ca358758f6d27e6cf45272937977a748fd88391db679ceda7dc7bf1f005ee879"},
    {31, 0x4a74f3a1a39ad4a1ull, "5e5f9fa56d6337115e86a2508477e87c7d5296d0b0743ecfde2d0caeed2db37d"},
    {32, 0x8d57d6a4671cc43dull, "8e889f10b21cdd1b3ad72f740317a827d76e1b5b3f721e33c566f06d1deff8ea"},
    {33, 0x62c9fd21ed857664ull, "93462e85c42aa037bc727a8c283497594aa5c844f0e5bccaa52fec34dee9f44e"},
    {55, 0x2471440903895716ull, "8aa994584139d128848eeebc4e815639ba5ab6e6e39574195a63ac4f14f7c43b"},
    {56, 0x69aea7699abf3484ull, "ad574708f75c044c9b85de64cb568ee7711ff4f36448c6242f053ba8f6cc2b63"},
    {63, 0x5c320a0d2707057full, "280ed3e8ff1df845b2e7dfe6ac6cee817bef20e783cc65abc41b818b4d2fe076"},
    {64, 0x7bbabbc45729d17eull, "c6ab9724ade5b6a7a1edfffb12f3aa9181351355af8fd08c919952ad211339dd"},
    {65, 0xf3980c34bae65dc1ull, "788367c73c7ddf4c53f65e68cc0d943e6227ab55b0e78ba63ace822b1c6301c0"},
    {100, 0xefa0ad2d3e70c151ull, "c22e490daa445fb2fba44278c022df135310fd278cabca4ad7919eddcccd1dce"},
    {119, 0x5716afc04d8efbebull, "3d610547d68216dedf7435a4fb6260353911f6b3fd3f18805ddb8be285d726fe"},
    {120, 0x389e4f4e71648711ull, "1f80156a804cb7862ad113e8200e9d74499723e7c7854d5f48776d3148e09656"},
    {1000, 0x99594f4828043d35ull, "5097e7d587352f5097062ae679f37bda5802d9f875aba14c8cb4d1a188ada179"},
}};

}  // namespace

TEST_CASE("xxhash64 matches xxh64sum", "[hash][xxhash64]") {
  SECTION("empty input and short strings") {
    REQUIRE(mosaic::hash::xxhash64(std::span<const std::uint8_t>()) == 0xef46db3751d8e999ull);
    REQUIRE(mosaic::hash::xxhash64(bytes_of("abc")) == 0x44bc2cf5ad770999ull);
    REQUIRE(mosaic::hash::xxhash64(bytes_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
            0xf06103773e8585dfull);
  }

  SECTION("the byte pattern at sizes around every block and tail boundary") {
    for (const pattern_digest& expected : pattern_digests) {
      INFO(expected.size << " bytes");
      REQUIRE(mosaic::hash::xxhash64(pattern(expected.size)) == expected.xxhash64);
    }
  }

  SECTION("a million bytes") {
    const std::vector<std::uint8_t> million_a(1000000, std::uint8_t{'a'});
    REQUIRE(mosaic::hash::xxhash64(million_a) == 0xdc483aaa9b4fdc40ull);
  }

  SECTION("the input may start at any address") {
    // The hash reads 8- and 4-byte words; a shard's payload is not necessarily aligned in memory.
    const std::vector<std::uint8_t> reference = pattern(1000);
    for (std::size_t offset = 1; offset < 8; ++offset) {
      std::vector<std::uint8_t> shifted(offset, std::uint8_t{0xAA});
      shifted.insert(shifted.end(), reference.begin(), reference.end());
      REQUIRE(mosaic::hash::xxhash64(std::span<const std::uint8_t>(shifted).subspan(offset)) == 0x99594f4828043d35ull);
    }
  }
}

TEST_CASE("xxhash64 with a seed matches xxHash's sanity-check table", "[hash][xxhash64]") {
  constexpr std::uint64_t prime32 = 2654435761u;
  const std::vector<std::uint8_t> buffer = xxhash_sanity_buffer(222);
  const std::span<const std::uint8_t> bytes(buffer);

  // Unseeded entries of the table, also reproduced with xxh64sum: they show the buffer is the same.
  REQUIRE(mosaic::hash::xxhash64(bytes.first(1)) == 0xE934A84ADB052768ull);
  REQUIRE(mosaic::hash::xxhash64(bytes.first(4)) == 0x9136A0DCA57457EEull);
  REQUIRE(mosaic::hash::xxhash64(bytes.first(14)) == 0x8282DCC4994E35C8ull);
  REQUIRE(mosaic::hash::xxhash64(bytes.first(222)) == 0xB641AE8CB691C174ull);

  REQUIRE(mosaic::hash::xxhash64(bytes.first(0), prime32) == 0xAC75FDA2929B17EFull);
  REQUIRE(mosaic::hash::xxhash64(bytes.first(1), prime32) == 0x5014607643A9B4C3ull);
  REQUIRE(mosaic::hash::xxhash64(bytes.first(14), prime32) == 0xC3BD6BF63DEB6DF0ull);
  REQUIRE(mosaic::hash::xxhash64(bytes.first(222), prime32) == 0x20CB8AB7AE10C14Aull);
}

TEST_CASE("sha256 matches the NIST vectors and sha256sum", "[hash][sha256]") {
  SECTION("NIST examples") {
    REQUIRE(mosaic::hash::sha256_hex(std::span<const std::uint8_t>()) ==
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    REQUIRE(mosaic::hash::sha256_hex(bytes_of("abc")) ==
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // The 448-bit message: 56 bytes, so the padding needs a second block.
    REQUIRE(mosaic::hash::sha256_hex(bytes_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const std::vector<std::uint8_t> million_a(1000000, std::uint8_t{'a'});
    REQUIRE(mosaic::hash::sha256_hex(million_a) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }

  SECTION("the byte pattern at sizes around the padding and block boundaries") {
    for (const pattern_digest& expected : pattern_digests) {
      INFO(expected.size << " bytes");
      REQUIRE(mosaic::hash::sha256_hex(pattern(expected.size)) == expected.sha256);
    }
  }

  SECTION("the digest bytes are the hex string's bytes, in order") {
    const mosaic::hash::sha256_digest digest = mosaic::hash::sha256(bytes_of("abc"));
    REQUIRE(digest.size() == 32);
    REQUIRE(digest[0] == 0xba);
    REQUIRE(digest[1] == 0x78);
    REQUIRE(digest[31] == 0xad);
    REQUIRE(mosaic::hash::to_hex(digest) == mosaic::hash::sha256_hex(bytes_of("abc")));
  }
}

TEST_CASE("to_hex writes two lower-case digits per byte", "[hash]") {
  REQUIRE(mosaic::hash::to_hex(std::span<const std::uint8_t>()).empty());
  const std::array<std::uint8_t, 6> bytes = {0x00, 0x01, 0x0f, 0xab, 0xf0, 0xff};
  REQUIRE(mosaic::hash::to_hex(bytes) == "00010fabf0ff");

  // Every byte value once: each maps to its own two digits.
  std::vector<std::uint8_t> all_bytes(256);
  for (std::size_t i = 0; i < all_bytes.size(); ++i) all_bytes[i] = static_cast<std::uint8_t>(i);
  const std::string hex = mosaic::hash::to_hex(all_bytes);
  REQUIRE(hex.size() == 512);
  const std::string digits = "0123456789abcdef";
  for (std::size_t i = 0; i < all_bytes.size(); ++i) {
    INFO("byte " << i);
    REQUIRE(hex[2 * i] == digits[i / 16]);
    REQUIRE(hex[2 * i + 1] == digits[i % 16]);
  }
  REQUIRE(mosaic::hash::sha256_hex(bytes_of("abc")).size() == 64);
}
