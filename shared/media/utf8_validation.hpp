#pragma once
// A strict UTF-8 validator (RFC 3629): overlong forms, UTF-16 surrogates (U+D800..U+DFFF), code
// points above U+10FFFF, stray continuation bytes and sequences cut short are all refused. It reports
// where and why the bytes stop being UTF-8, so a caller can say more than "binary data".
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mosaic::media {

struct utf8_error {
  std::size_t offset;       // of the first byte of the offending sequence
  std::string_view reason;  // a static description: "overlong encoding", "surrogate code point", ...
};

// nullopt when every byte belongs to a well-formed UTF-8 sequence.
std::optional<utf8_error> find_utf8_error(std::span<const std::uint8_t> bytes) noexcept;

inline bool is_valid_utf8(std::span<const std::uint8_t> bytes) noexcept { return !find_utf8_error(bytes); }

// Latin-1 bytes as UTF-8: what RIFF INFO and PNG tEXt captions hold when they are not UTF-8 already.
std::string latin1_to_utf8(std::span<const std::uint8_t> bytes);

}  // namespace mosaic::media
