#pragma once
// Errors are values in the core: nothing in shared/ throws across its API. Every fallible function
// returns a [[nodiscard]] result<T> that holds either the value or an error with a code (for
// programs: the server maps codes to HTTP statuses, the wasm API to JS error objects) and a message
// (for people: it names what was wrong and where, so the cause is never lost).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace mosaic {

enum class error_code : std::uint8_t {
  invalid_argument,
  dimension_mismatch,
  zero_vector,
  non_finite_value,
  unsupported_kernel,
  // Shard decoding, in the order the reader checks them.
  truncated_header,
  bad_magic,
  unsupported_version,
  bad_header,
  unsupported_quantization,
  bad_dimensions,
  size_overflow,
  offset_out_of_range,
  truncated_payload,
  trailing_bytes,
  misaligned_buffer,
  checksum_mismatch,
  bad_payload_value,
  // Manifest and item metadata.
  invalid_json,
  invalid_manifest,
  unsupported_manifest_version,
  invalid_metadata,
  // Local text model: its weights manifest and vocabulary, and the text handed to its tokenizer.
  invalid_model,
  invalid_utf8,
  model_not_installed,  // a model file is missing or unreadable: the message names the install command
  io_error,             // native side only: a file could not be read or written; the message names it
  // Media preparation (shared/media): images, audio.
  invalid_media,      // corrupt or truncated bytes of a format we handle (bad CRC, missing marker, broken chunk)
  unsupported_media,  // a valid file of a kind or variant we do not handle (WebP, ADPCM WAV, text given as an image)
  media_too_large,    // refused before decoding: over the pixel or memory budget (decompression bombs)
  // Embedding providers (native side): the upstream API and our own guard rails.
  upstream_unavailable,  // the upstream could not answer (network, timeouts, retries exhausted): try again later
  upstream_rejected,     // the upstream refused the request and retrying cannot help (400/403/404)
  rate_limited,          // this server's own per-client limit: try again after retry_after_seconds
};

// A stable, machine-readable name for each code ("checksum_mismatch"), used by the wasm API and logs.
std::string_view error_code_name(error_code code) noexcept;

struct error {
  error_code code;
  std::string message;
  // When to try again, for the codes that mean "later" (upstream_unavailable, rate_limited); 0: no hint.
  std::uint32_t retry_after_seconds = 0;
};

template <typename T>
class [[nodiscard]] result {
 public:
  result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  result(error failure) : state_(std::in_place_index<1>, std::move(failure)) {}  // NOLINT

  [[nodiscard]] bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  // Precondition: ok(). Reading the value of a failed result is a programming error.
  T& value() & { return *std::get_if<0>(&state_); }
  const T& value() const& { return *std::get_if<0>(&state_); }
  T&& value() && { return std::move(*std::get_if<0>(&state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return std::get_if<0>(&state_); }
  const T* operator->() const { return std::get_if<0>(&state_); }

  // Precondition: !ok().
  const error& failure() const& { return *std::get_if<1>(&state_); }
  error&& failure() && { return std::move(*std::get_if<1>(&state_)); }

 private:
  std::variant<T, error> state_;
};

struct success {};
using status = result<success>;

inline error make_error(error_code code, std::string message, std::uint32_t retry_after_seconds = 0) {
  return error{code, std::move(message), retry_after_seconds};
}

}  // namespace mosaic
