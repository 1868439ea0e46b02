#include "embed/gemini_request_size.hpp"

#include <cstdint>
#include <span>

#include <nlohmann/json.hpp>

#include "text/utf8.hpp"

namespace mosaic::server {
namespace {

constexpr std::size_t mebibyte = 1024 * 1024;

// The pieces build_gemini_batch_body writes, in the order nlohmann's (sorted) objects put them.
constexpr std::string_view request_opening = R"({"content":{"parts":[)";
constexpr std::string_view parts_closing = "]}";
constexpr std::string_view model_field = R"(,"model":)";
constexpr std::string_view model_resource_prefix = "models/";
constexpr std::string_view dimensions_field = R"(,"outputDimensionality":)";
constexpr std::string_view task_type_field = R"(,"taskType":)";
constexpr std::string_view title_field = R"(,"title":)";
constexpr std::string_view request_closing = "}";
constexpr std::string_view text_part_opening = R"({"text":)";
constexpr std::string_view text_part_closing = "}";
constexpr std::string_view inline_part_opening = R"({"inlineData":{"data":")";
constexpr std::string_view inline_part_middle = R"(","mimeType":)";
constexpr std::string_view inline_part_closing = "}}";

// A string as nlohmann's dump writes it (ensure_ascii off, invalid UTF-8 replaced), quotes included.
// Valid UTF-8 is counted byte by byte with the serializer's escapes; anything else (rare: texts are
// checked before they get here) is measured by serializing it, so the count stays exact.
std::size_t json_string_bytes(std::string_view text) {
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  if (!text::is_valid_utf8(bytes)) {
    return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size();
  }
  std::size_t size = 2;
  for (const std::uint8_t byte : bytes) {
    switch (byte) {
      case '"':
      case '\\':
      case '\b':
      case '\f':
      case '\n':
      case '\r':
      case '\t': size += 2; break;
      default: size += byte < 0x20 ? 6 : 1;  // \u00XX
    }
  }
  return size;
}

std::size_t decimal_digits(std::size_t value) noexcept {
  std::size_t digits = 1;
  while (value >= 10) {
    value /= 10;
    ++digits;
  }
  return digits;
}

// "16.2" for 16.2 MiB (nearest tenth, or the next tenth up), "20" for exactly 20 MiB.
std::string megabytes_text(std::size_t bytes, bool round_up) {
  if (bytes % mebibyte == 0) return std::to_string(bytes / mebibyte);
  const std::size_t tenths = round_up ? (bytes * 10 + mebibyte - 1) / mebibyte : (bytes * 10 + mebibyte / 2) / mebibyte;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10);
}

}  // namespace

std::size_t gemini_request_bytes(const embedding_input& input, const gemini_request_settings& settings) {
  std::size_t size = request_opening.size();
  std::size_t parts = 0;
  bool prefixed = settings.text_prefix.empty();
  for (const embedding_part& part : input.parts) {
    if (parts++ > 0) size += 1;  // the comma between parts
    if (part.is_text()) {
      size += text_part_opening.size() + text_part_closing.size();
      if (!prefixed) {
        // The prefix and the text are one JSON string: escaped together, as the body writes them.
        size += json_string_bytes(std::string(settings.text_prefix) + part.text);
        prefixed = true;
      } else {
        size += json_string_bytes(part.text);
      }
    } else {
      size += inline_part_opening.size() + base64_encoded_bytes(part.bytes.size()) + inline_part_middle.size() +
              json_string_bytes(part.mime_type) + inline_part_closing.size();
    }
  }
  // No text part carried the prefix: it is a text part of its own, before the others.
  if (!prefixed) {
    size += text_part_opening.size() + json_string_bytes(settings.text_prefix) + text_part_closing.size();
    if (parts > 0) size += 1;
  }
  size += parts_closing.size();
  size += model_field.size() + json_string_bytes(std::string(model_resource_prefix) + std::string(settings.model));
  if (settings.dimensions > 0) size += dimensions_field.size() + decimal_digits(settings.dimensions);
  if (settings.send_task_type && settings.task != embedding_task::unspecified) {
    size += task_type_field.size() + json_string_bytes(embedding_task_api_name(settings.task));
  }
  if (!input.title.empty() && settings.task == embedding_task::retrieval_document) {
    size += title_field.size() + json_string_bytes(input.title);
  }
  size += request_closing.size();
  return size;
}

error request_too_large_error(std::string_view where, std::size_t media_bytes, std::size_t request_bytes,
                              std::size_t max_request_bytes) {
  return make_error(error_code::media_too_large,
                    std::string(where) + ": " + megabytes_text(media_bytes, false) + " MB of media is " +
                        megabytes_text(request_bytes, true) + " MB once base64-encoded; one Gemini request holds at most " +
                        megabytes_text(max_request_bytes, false) + " MB");
}

}  // namespace mosaic::server
