#include "request_parsing.hpp"

#include <array>
#include <cmath>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "embed/base64.hpp"
#include "media_captions.hpp"

namespace mosaic::gemini_double {
namespace {

using json = nlohmann::json;

// nlohmann parses iteratively, but a 64 MB body of '[' still builds a huge tree for nothing: refuse
// absurd nesting before parsing. Google's own limit is 100 levels.
constexpr std::size_t maximum_json_depth = 100;

constexpr std::array<std::string_view, 10> supported_mime_types = {
    "image/png", "image/jpeg", "audio/mpeg", "audio/mp3", "audio/wav",
    "audio/x-wav", "video/mp4", "video/quicktime", "application/pdf", "text/plain"};

constexpr std::array<std::string_view, 9> task_types = {
    "TASK_TYPE_UNSPECIFIED", "RETRIEVAL_QUERY",    "RETRIEVAL_DOCUMENT",
    "SEMANTIC_SIMILARITY",   "CLASSIFICATION",     "CLUSTERING",
    "QUESTION_ANSWERING",    "FACT_VERIFICATION",  "CODE_RETRIEVAL_QUERY"};

error invalid(std::string message) { return make_error(error_code::invalid_argument, std::move(message)); }

// A field's two proto3 JSON spellings; Google's error paths use the snake_case one.
struct field_name {
  std::string_view camel;
  std::string_view snake;
};

std::string join_path(std::string_view path, std::string_view field) {
  if (path.empty()) return std::string(field);
  return std::string(path) + "." + std::string(field);
}

// A short rendering of a rejected value for messages: never a whole 20 MB string.
std::string describe_value(const json& value) {
  constexpr std::size_t shown_characters = 40;
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (text.size() <= shown_characters) return "\"" + text + "\"";
    // Cut on a UTF-8 boundary so the error body stays valid JSON text.
    std::size_t cut = shown_characters;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return "\"" + text.substr(0, cut) + "...\"";
  }
  if (value.is_object()) return "{...}";
  if (value.is_array()) return "[...]";
  return value.dump();
}

std::string invalid_value_message(std::string_view path, std::string_view type, const json& value) {
  return "Invalid value at '" + std::string(path) + "' (" + std::string(type) + "), " + describe_value(value);
}

// The fields of one JSON object that stands for a proto message at `path`.
class message_reader {
 public:
  message_reader(const json& object, std::string path) : object_(object), path_(std::move(path)) {}

  // Every key must be one of `known` (either spelling); Google answers unknown names with a 400.
  status check_known(std::initializer_list<field_name> known) const {
    for (const auto& entry : object_.items()) {
      bool found = false;
      for (const field_name& name : known) found = found || entry.key() == name.camel || entry.key() == name.snake;
      if (!found) {
        return invalid("Invalid JSON payload received. Unknown name \"" + entry.key() + "\"" +
                       (path_.empty() ? "" : " at '" + path_ + "'") + ": Cannot find field.");
      }
    }
    return success{};
  }

  // The value under either spelling; nullptr when absent or null. Both spellings at once is an error.
  result<const json*> find(field_name name) const {
    const json* camel = lookup(name.camel);
    const json* snake = name.snake == name.camel ? nullptr : lookup(name.snake);
    if (camel != nullptr && snake != nullptr) {
      return invalid("Invalid JSON payload received. Field '" + field_path(name) + "' is set twice, as \"" +
                     std::string(name.camel) + "\" and as \"" + std::string(name.snake) + "\".");
    }
    return camel != nullptr ? camel : snake;
  }

  result<std::optional<std::string>> optional_string(field_name name) const {
    auto value = find(name);
    if (!value) return std::move(value).failure();
    if (*value == nullptr) return std::optional<std::string>{};
    if (!(*value)->is_string()) return invalid(invalid_value_message(field_path(name), "TYPE_STRING", **value));
    return std::optional<std::string>{(*value)->get_ref<const std::string&>()};
  }

  [[nodiscard]] std::string field_path(field_name name) const { return join_path(path_, name.snake); }

 private:
  [[nodiscard]] const json* lookup(std::string_view key) const {
    const auto found = object_.find(key);
    if (found == object_.end() || found->is_null()) return nullptr;
    return &*found;
  }

  const json& object_;
  std::string path_;
};

bool nesting_within_limit(std::string_view body) noexcept {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char character : body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (character == '\\') {
        escaped = true;
      } else if (character == '"') {
        in_string = false;
      }
    } else if (character == '"') {
      in_string = true;
    } else if (character == '[' || character == '{') {
      if (++depth > maximum_json_depth) return false;
    } else if ((character == ']' || character == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

result<json> parse_json_object(std::string_view body, std::string_view message_name) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return json::object();  // proto: empty = defaults
  if (!nesting_within_limit(body)) {
    return invalid("Invalid JSON payload received. Nesting deeper than " + std::to_string(maximum_json_depth) +
                   " levels.");
  }
  json document;
  try {
    document = json::parse(body);
  } catch (const json::parse_error& failure) {
    return invalid("Invalid JSON payload received. Unexpected token at byte " + std::to_string(failure.byte) + ".");
  } catch (const json::exception&) {
    return invalid("Invalid JSON payload received.");
  }
  if (!document.is_object()) {
    return invalid("Invalid JSON payload received. Expected an object for " + std::string(message_name) + ".");
  }
  return document;
}

std::string lower_case_media_type(std::string_view mime_type) {
  // "Text/Plain; charset=utf-8" names the same type as "text/plain".
  std::string_view essence = mime_type.substr(0, mime_type.find(';'));
  while (!essence.empty() && (essence.back() == ' ' || essence.back() == '\t')) essence.remove_suffix(1);
  while (!essence.empty() && (essence.front() == ' ' || essence.front() == '\t')) essence.remove_prefix(1);
  std::string lowered(essence);
  for (char& character : lowered) {
    if (character >= 'A' && character <= 'Z') character = static_cast<char>(character - 'A' + 'a');
  }
  return lowered;
}

bool is_image(std::string_view mime_type) noexcept { return mime_type.starts_with("image/"); }

constexpr std::string_view unprocessable_image_message =
    "Unable to process input image. Please retry or report in "
    "https://developers.generativeai.google/guide/troubleshooting";

result<std::string> parse_mime_type(const message_reader& reader, bool required) {
  auto mime_type = reader.optional_string({"mimeType", "mime_type"});
  if (!mime_type) return std::move(mime_type).failure();
  if (!mime_type->has_value()) {
    if (required) return invalid(reader.field_path({"mimeType", "mime_type"}) + ": mime_type is required.");
    return std::string{};
  }
  std::string lowered = lower_case_media_type(**mime_type);
  if (!is_supported_mime_type(lowered)) {
    return invalid("Unsupported MIME type: " + describe_value(json(**mime_type)) + " at '" +
                   reader.field_path({"mimeType", "mime_type"}) +
                   "'. Supported: image/png, image/jpeg, audio/mpeg, audio/mp3, audio/wav, audio/x-wav, "
                   "video/mp4, video/quicktime, application/pdf, text/plain.");
  }
  return lowered;
}

result<content_part> parse_inline_data(const json& value, const std::string& path) {
  if (!value.is_object()) return invalid(invalid_value_message(path, "TYPE_MESSAGE", value));
  const message_reader reader(value, path);
  if (auto known = reader.check_known({{"mimeType", "mime_type"}, {"data", "data"}}); !known) {
    return std::move(known).failure();
  }
  content_part part;
  part.kind = part_kind::inline_data;
  auto mime_type = parse_mime_type(reader, true);
  if (!mime_type) return std::move(mime_type).failure();
  part.mime_type = std::move(*mime_type);

  auto encoded = reader.optional_string({"data", "data"});
  if (!encoded) return std::move(encoded).failure();
  if (!encoded->has_value() || (*encoded)->empty()) {
    return invalid(join_path(path, "data") + ": inline data is empty; the part carries no bytes to embed.");
  }
  auto decoded = server::decode_base64(**encoded);
  if (!decoded) {
    return invalid("Invalid value at '" + join_path(path, "data") + "' (TYPE_BYTES), Base64 decoding failed for " +
                   describe_value(json(**encoded)));
  }
  part.data.assign(decoded->begin(), decoded->end());
  if (part.data.empty()) {
    return invalid(join_path(path, "data") + ": inline data is empty; the part carries no bytes to embed.");
  }
  // Google decodes images and refuses what it cannot read; the double checks the magic numbers.
  const bool unreadable_image = (part.mime_type == "image/png" && !has_png_signature(part.data)) ||
                                (part.mime_type == "image/jpeg" && !has_jpeg_signature(part.data));
  if (unreadable_image) return invalid(std::string(unprocessable_image_message));
  const bool unreadable_wav = (part.mime_type == "audio/wav" || part.mime_type == "audio/x-wav") &&
                              !has_wav_header(part.data);
  if (unreadable_wav) {
    return invalid("Unable to process input audio at '" + path + "': " + part.mime_type +
                   " data does not start with a RIFF/WAVE header.");
  }
  return part;
}

result<content_part> parse_file_data(const json& value, const std::string& path) {
  if (!value.is_object()) return invalid(invalid_value_message(path, "TYPE_MESSAGE", value));
  const message_reader reader(value, path);
  if (auto known = reader.check_known({{"mimeType", "mime_type"}, {"fileUri", "file_uri"}}); !known) {
    return std::move(known).failure();
  }
  content_part part;
  part.kind = part_kind::file_data;
  auto mime_type = parse_mime_type(reader, false);
  if (!mime_type) return std::move(mime_type).failure();
  part.mime_type = std::move(*mime_type);
  auto file_uri = reader.optional_string({"fileUri", "file_uri"});
  if (!file_uri) return std::move(file_uri).failure();
  if (!file_uri->has_value() || (*file_uri)->empty()) {
    return invalid(join_path(path, "file_uri") + ": file_uri is required.");
  }
  part.file_uri = std::move(**file_uri);
  return part;
}

result<content_part> parse_part(const json& value, const std::string& path) {
  if (!value.is_object()) return invalid(invalid_value_message(path, "TYPE_MESSAGE", value));
  const message_reader reader(value, path);
  // Every field of google.ai.generativelanguage.v1beta.Part, so that valid-but-unembeddable parts get
  // a precise message instead of "Cannot find field".
  const auto known = reader.check_known({{"text", "text"},
                                         {"inlineData", "inline_data"},
                                         {"fileData", "file_data"},
                                         {"functionCall", "function_call"},
                                         {"functionResponse", "function_response"},
                                         {"executableCode", "executable_code"},
                                         {"codeExecutionResult", "code_execution_result"},
                                         {"videoMetadata", "video_metadata"},
                                         {"thought", "thought"},
                                         {"thoughtSignature", "thought_signature"},
                                         {"partMetadata", "part_metadata"},
                                         {"mediaResolution", "media_resolution"}});
  if (!known) return std::move(known).failure();

  // The `data` oneof: exactly one member may be set.
  constexpr std::array<field_name, 7> data_fields = {{{"text", "text"},
                                                      {"inlineData", "inline_data"},
                                                      {"fileData", "file_data"},
                                                      {"functionCall", "function_call"},
                                                      {"functionResponse", "function_response"},
                                                      {"executableCode", "executable_code"},
                                                      {"codeExecutionResult", "code_execution_result"}}};
  std::optional<field_name> chosen;
  const json* chosen_value = nullptr;
  for (const field_name& name : data_fields) {
    auto found = reader.find(name);
    if (!found) return std::move(found).failure();
    if (*found == nullptr) continue;
    if (chosen) {
      return invalid("Invalid JSON payload received. Oneof field 'data' is already set. Cannot set '" +
                     std::string(name.camel) + "' at '" + path + "'.");
    }
    chosen = name;
    chosen_value = *found;
  }
  if (!chosen) return invalid(path + ": a part must hold text, inline_data or file_data.");

  if (chosen->camel == "text") {
    if (!chosen_value->is_string()) {
      return invalid(invalid_value_message(join_path(path, "text"), "TYPE_STRING", *chosen_value));
    }
    const auto& text = chosen_value->get_ref<const std::string&>();
    if (text.empty()) return invalid(join_path(path, "text") + ": text must not be empty.");
    content_part part;
    part.kind = part_kind::text;
    part.text = text;
    return part;
  }
  if (chosen->camel == "inlineData") return parse_inline_data(*chosen_value, join_path(path, "inline_data"));
  if (chosen->camel == "fileData") return parse_file_data(*chosen_value, join_path(path, "file_data"));
  return invalid(join_path(path, chosen->snake) + ": " + std::string(chosen->snake) +
                 " parts cannot be embedded; use text, inline_data or file_data.");
}

result<std::vector<content_part>> parse_content(const json& value, const std::string& path) {
  if (!value.is_object()) return invalid(invalid_value_message(path, "TYPE_MESSAGE", value));
  const message_reader reader(value, path);
  if (auto known = reader.check_known({{"role", "role"}, {"parts", "parts"}}); !known) return std::move(known).failure();
  if (auto role = reader.optional_string({"role", "role"}); !role) return std::move(role).failure();
  auto parts_value = reader.find({"parts", "parts"});
  if (!parts_value) return std::move(parts_value).failure();
  if (*parts_value == nullptr) return invalid(path + ": content must have at least one part.");
  if (!(*parts_value)->is_array()) {
    return invalid(invalid_value_message(join_path(path, "parts"), "TYPE_MESSAGE", **parts_value));
  }
  const json& parts_array = **parts_value;
  if (parts_array.empty()) return invalid(path + ": content must have at least one part.");

  std::vector<content_part> parts;
  parts.reserve(parts_array.size());
  std::size_t images = 0;
  for (std::size_t index = 0; index < parts_array.size(); ++index) {
    auto part = parse_part(parts_array[index], join_path(path, "parts[" + std::to_string(index) + "]"));
    if (!part) return std::move(part).failure();
    if (part->kind != part_kind::text && is_image(part->mime_type)) ++images;
    parts.push_back(std::move(*part));
  }
  if (images > maximum_images_per_content) {
    return invalid(path + ": the content has " + std::to_string(images) + " images; at most " +
                   std::to_string(maximum_images_per_content) + " images are allowed in one content.");
  }
  return parts;
}

result<std::size_t> parse_output_dimensionality(const message_reader& reader) {
  constexpr field_name name = {"outputDimensionality", "output_dimensionality"};
  auto value = reader.find(name);
  if (!value) return std::move(value).failure();
  if (*value == nullptr) return default_output_dimensionality;
  const json& number = **value;
  // proto3 JSON takes an int32 as a number or as a decimal string.
  std::optional<long long> dimensions;
  if (number.is_number_integer()) {
    dimensions = number.get<long long>();
  } else if (number.is_number_float()) {
    const double real = number.get<double>();
    if (std::isfinite(real) && std::trunc(real) == real && std::fabs(real) < 1e9) {
      dimensions = static_cast<long long>(real);
    }
  } else if (number.is_string()) {
    const auto& text = number.get_ref<const std::string&>();
    if (!text.empty() && text.size() <= 9 && text.find_first_not_of("0123456789") == std::string::npos) {
      dimensions = std::stoll(text);
    }
  }
  if (!dimensions) return invalid(invalid_value_message(reader.field_path(name), "TYPE_INT32", number));
  if (*dimensions < static_cast<long long>(minimum_output_dimensionality) ||
      *dimensions > static_cast<long long>(maximum_output_dimensionality)) {
    return invalid(reader.field_path(name) + ": output_dimensionality must be between " +
                   std::to_string(minimum_output_dimensionality) + " and " +
                   std::to_string(maximum_output_dimensionality) + ", got " + std::to_string(*dimensions) + ".");
  }
  return static_cast<std::size_t>(*dimensions);
}

// One EmbedContentRequest, at the top level (`path` empty) or as requests[i] of a batch.
result<embed_content_request> parse_request(const json& value, const std::string& path,
                                            std::string_view model_resource, bool model_required) {
  if (!value.is_object()) return invalid(invalid_value_message(path, "TYPE_MESSAGE", value));
  const message_reader reader(value, path);
  const auto known = reader.check_known({{"model", "model"},
                                         {"content", "content"},
                                         {"taskType", "task_type"},
                                         {"title", "title"},
                                         {"outputDimensionality", "output_dimensionality"}});
  if (!known) return std::move(known).failure();

  auto model = reader.optional_string({"model", "model"});
  if (!model) return std::move(model).failure();
  if (!model->has_value() && model_required) {
    return invalid("BatchEmbedContentsRequest." + reader.field_path({"model", "model"}) +
                   ": model is required and must be " + std::string(model_resource) + ".");
  }
  if (model->has_value() && **model != model_resource) {
    return invalid((model_required ? "BatchEmbedContentsRequest." : "EmbedContentRequest.") +
                   reader.field_path({"model", "model"}) + ": the model " + describe_value(json(**model)) +
                   " does not match the model in the URL, " + std::string(model_resource) + ".");
  }

  embed_content_request request;
  auto content = reader.find({"content", "content"});
  if (!content) return std::move(content).failure();
  if (*content == nullptr) {
    return invalid((model_required ? "BatchEmbedContentsRequest." : "EmbedContentRequest.") +
                   reader.field_path({"content", "content"}) + ": content is not specified.");
  }
  auto parts = parse_content(**content, reader.field_path({"content", "content"}));
  if (!parts) return std::move(parts).failure();
  request.parts = std::move(*parts);

  auto task_type = reader.optional_string({"taskType", "task_type"});
  if (!task_type) return std::move(task_type).failure();
  if (task_type->has_value()) {
    bool known_task = false;
    for (const std::string_view name : task_types) known_task = known_task || **task_type == name;
    if (!known_task) {
      return invalid(invalid_value_message(reader.field_path({"taskType", "task_type"}),
                                           "type.googleapis.com/google.ai.generativelanguage.v1beta.TaskType",
                                           json(**task_type)));
    }
    request.task_type = std::move(**task_type);
  }
  auto title = reader.optional_string({"title", "title"});
  if (!title) return std::move(title).failure();
  if (title->has_value()) request.title = std::move(**title);

  auto dimensions = parse_output_dimensionality(reader);
  if (!dimensions) return std::move(dimensions).failure();
  request.output_dimensionality = *dimensions;
  return request;
}

}  // namespace

bool is_supported_mime_type(std::string_view mime_type) noexcept {
  for (const std::string_view supported : supported_mime_types) {
    if (mime_type == supported) return true;
  }
  return false;
}

result<embed_content_request> parse_embed_content_body(std::string_view body, std::string_view model_resource) {
  auto document = parse_json_object(body, "EmbedContentRequest");
  if (!document) return std::move(document).failure();
  return parse_request(*document, "", model_resource, false);
}

result<std::vector<embed_content_request>> parse_batch_embed_contents_body(std::string_view body,
                                                                          std::string_view model_resource) {
  auto document = parse_json_object(body, "BatchEmbedContentsRequest");
  if (!document) return std::move(document).failure();
  const message_reader reader(*document, "");
  if (auto known = reader.check_known({{"model", "model"}, {"requests", "requests"}}); !known) {
    return std::move(known).failure();
  }
  auto model = reader.optional_string({"model", "model"});
  if (!model) return std::move(model).failure();
  if (model->has_value() && **model != model_resource) {
    return invalid("BatchEmbedContentsRequest.model: the model " + describe_value(json(**model)) +
                   " does not match the model in the URL, " + std::string(model_resource) + ".");
  }
  auto requests_value = reader.find({"requests", "requests"});
  if (!requests_value) return std::move(requests_value).failure();
  if (*requests_value == nullptr) return invalid("BatchEmbedContentsRequest.requests: requests is not specified.");
  if (!(*requests_value)->is_array()) {
    return invalid(invalid_value_message("requests", "TYPE_MESSAGE", **requests_value));
  }
  const json& items = **requests_value;
  if (items.empty()) return invalid("BatchEmbedContentsRequest.requests: requests is not specified.");
  if (items.size() > maximum_requests_per_batch) {
    // Google's exact wording: clients match on it.
    return invalid("BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch");
  }
  std::vector<embed_content_request> requests;
  requests.reserve(items.size());
  for (std::size_t index = 0; index < items.size(); ++index) {
    auto request = parse_request(items[index], "requests[" + std::to_string(index) + "]", model_resource, true);
    if (!request) return std::move(request).failure();
    requests.push_back(std::move(*request));
  }
  return requests;
}

result<async_batch_body> parse_async_batch_embed_body(std::string_view body, std::string_view model_resource) {
  auto document = parse_json_object(body, "AsyncBatchEmbedContentRequest");
  if (!document) return std::move(document).failure();
  const message_reader top(*document, "");
  if (auto known = top.check_known({{"batch", "batch"}}); !known) return std::move(known).failure();
  auto batch_value = top.find({"batch", "batch"});
  if (!batch_value) return std::move(batch_value).failure();
  if (*batch_value == nullptr) return invalid("AsyncBatchEmbedContentRequest.batch: batch is not specified.");
  if (!(*batch_value)->is_object()) return invalid(invalid_value_message("batch", "TYPE_MESSAGE", **batch_value));
  const message_reader batch(**batch_value, "batch");
  if (auto known = batch.check_known({{"displayName", "display_name"}, {"model", "model"}, {"inputConfig", "input_config"}});
      !known) {
    return std::move(known).failure();
  }
  async_batch_body parsed;
  auto display_name = batch.optional_string({"displayName", "display_name"});
  if (!display_name) return std::move(display_name).failure();
  if (display_name->has_value()) parsed.display_name = std::move(**display_name);
  auto model = batch.optional_string({"model", "model"});
  if (!model) return std::move(model).failure();
  if (model->has_value() && **model != model_resource) {
    return invalid("EmbedContentBatch.model: the model " + describe_value(json(**model)) +
                   " does not match the model in the URL, " + std::string(model_resource) + ".");
  }
  auto input_value = batch.find({"inputConfig", "input_config"});
  if (!input_value) return std::move(input_value).failure();
  if (*input_value == nullptr) return invalid("EmbedContentBatch.input_config: input_config is not specified.");
  if (!(*input_value)->is_object()) {
    return invalid(invalid_value_message("batch.input_config", "TYPE_MESSAGE", **input_value));
  }
  const message_reader input(**input_value, "batch.input_config");
  if (auto known = input.check_known({{"requests", "requests"}, {"fileName", "file_name"}}); !known) {
    return std::move(known).failure();
  }
  auto file_name = input.optional_string({"fileName", "file_name"});
  if (!file_name) return std::move(file_name).failure();
  if (file_name->has_value()) {
    return invalid("batch.input_config.file_name: the test double has no Files API; send the requests inline.");
  }
  auto requests_value = input.find({"requests", "requests"});
  if (!requests_value) return std::move(requests_value).failure();
  if (*requests_value == nullptr) return invalid("EmbedContentBatch.input_config: requests or file_name is required.");
  if (!(*requests_value)->is_object()) {
    return invalid(invalid_value_message("batch.input_config.requests", "TYPE_MESSAGE", **requests_value));
  }
  const message_reader wrapper(**requests_value, "batch.input_config.requests");
  if (auto known = wrapper.check_known({{"requests", "requests"}}); !known) return std::move(known).failure();
  auto items_value = wrapper.find({"requests", "requests"});
  if (!items_value) return std::move(items_value).failure();
  if (*items_value == nullptr || !(*items_value)->is_array() || (*items_value)->empty()) {
    return invalid("batch.input_config.requests.requests: at least one request is required.");
  }
  const json& items = **items_value;
  parsed.items.reserve(items.size());
  for (std::size_t index = 0; index < items.size(); ++index) {
    const std::string path = "batch.input_config.requests.requests[" + std::to_string(index) + "]";
    if (!items[index].is_object()) return invalid(invalid_value_message(path, "TYPE_MESSAGE", items[index]));
    const message_reader item(items[index], path);
    if (auto known = item.check_known({{"request", "request"}, {"metadata", "metadata"}}); !known) {
      return std::move(known).failure();
    }
    auto request_value = item.find({"request", "request"});
    if (!request_value) return std::move(request_value).failure();
    if (*request_value == nullptr) return invalid(path + ".request: request is not specified.");
    auto request = parse_request(**request_value, path + ".request", model_resource, false);
    if (!request) return std::move(request).failure();
    async_batch_item entry;
    entry.request = std::move(*request);
    auto metadata = item.find({"metadata", "metadata"});
    if (!metadata) return std::move(metadata).failure();
    if (*metadata != nullptr) {
      if (!(*metadata)->is_object()) return invalid(invalid_value_message(path + ".metadata", "TYPE_MESSAGE", **metadata));
      entry.metadata_json = (*metadata)->dump(-1, ' ', false, json::error_handler_t::replace);
    }
    parsed.items.push_back(std::move(entry));
  }
  return parsed;
}

}  // namespace mosaic::gemini_double
