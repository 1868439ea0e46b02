#include "core/result.hpp"

namespace mosaic {

std::string_view error_code_name(error_code code) noexcept {
  switch (code) {
    case error_code::invalid_argument: return "invalid_argument";
    case error_code::dimension_mismatch: return "dimension_mismatch";
    case error_code::zero_vector: return "zero_vector";
    case error_code::non_finite_value: return "non_finite_value";
    case error_code::unsupported_kernel: return "unsupported_kernel";
    case error_code::truncated_header: return "truncated_header";
    case error_code::bad_magic: return "bad_magic";
    case error_code::unsupported_version: return "unsupported_version";
    case error_code::bad_header: return "bad_header";
    case error_code::unsupported_quantization: return "unsupported_quantization";
    case error_code::bad_dimensions: return "bad_dimensions";
    case error_code::size_overflow: return "size_overflow";
    case error_code::offset_out_of_range: return "offset_out_of_range";
    case error_code::truncated_payload: return "truncated_payload";
    case error_code::trailing_bytes: return "trailing_bytes";
    case error_code::misaligned_buffer: return "misaligned_buffer";
    case error_code::checksum_mismatch: return "checksum_mismatch";
    case error_code::bad_payload_value: return "bad_payload_value";
    case error_code::invalid_json: return "invalid_json";
    case error_code::invalid_manifest: return "invalid_manifest";
    case error_code::unsupported_manifest_version: return "unsupported_manifest_version";
    case error_code::invalid_metadata: return "invalid_metadata";
    case error_code::invalid_model: return "invalid_model";
    case error_code::invalid_utf8: return "invalid_utf8";
    case error_code::model_not_installed: return "model_not_installed";
    case error_code::io_error: return "io_error";
    case error_code::invalid_media: return "invalid_media";
    case error_code::unsupported_media: return "unsupported_media";
    case error_code::media_too_large: return "media_too_large";
    case error_code::upstream_unavailable: return "upstream_unavailable";
    case error_code::upstream_rejected: return "upstream_rejected";
    case error_code::rate_limited: return "rate_limited";
  }
  return "unknown_error";
}

}  // namespace mosaic
