#include "embed/gemini_protocol.hpp"

#include "embed/base64.hpp"
#include "embed/embedding_values_scanner.hpp"
#include "embed/float_json.hpp"

#include <charconv>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>

namespace mosaic::server {
namespace {

using json = nlohmann::json;

// proto3 JSON names a field two ways; error paths use the snake_case one, as Google's do.
struct field_name {
  std::string_view camel;
  std::string_view snake;
};

// Output sizes outside this range are not a size any model has; the provider applies its own range.
constexpr std::size_t largest_dimensions = 65'536;

error invalid(std::string message) { return make_error(error_code::invalid_argument, std::move(message)); }

std::string join_path(std::string_view path, std::string_view field) {
  if (path.empty()) return std::string(field);
  return std::string(path) + "." + std::string(field);
}

// A short rendering of a rejected value: never a 20 MB string, never broken UTF-8.
std::string describe_value(const json& value) {
  constexpr std::size_t shown_characters = 40;
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (text.size() <= shown_characters) return json(text).dump(-1, ' ', false, json::error_handler_t::replace);
    std::size_t cut = shown_characters;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return json(text.substr(0, cut) + "...").dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (value.is_object()) return "an object";
  if (value.is_array()) return "an array";
  return value.dump();
}

std::string type_message(std::string_view path, std::string_view expected, const json& value) {
  return std::string(path) + " must be " + std::string(expected) + ", got " + describe_value(value);
}

// The fields of one JSON object standing for a proto message at `path`.
class message_reader {
 public:
  message_reader(const json& object, std::string path) : object_(object), path_(std::move(path)) {}

  [[nodiscard]] status check_known(std::initializer_list<field_name> known) const {
    for (const auto& entry : object_.items()) {
      bool found = false;
      for (const field_name& name : known) found = found || entry.key() == name.camel || entry.key() == name.snake;
      if (!found) {
        return invalid("unknown field " + describe_value(json(entry.key())) +
                       (path_.empty() ? std::string{} : " in " + path_));
      }
    }
    return success{};
  }

  // The value under either spelling; nullptr when absent or null. Both spellings at once is an error.
  [[nodiscard]] result<const json*> find(field_name name) const {
    const json* camel = lookup(name.camel);
    const json* snake = name.snake == name.camel ? nullptr : lookup(name.snake);
    if (camel != nullptr && snake != nullptr) {
      return invalid(field_path(name) + " is set twice, as \"" + std::string(name.camel) + "\" and as \"" +
                     std::string(name.snake) + "\"");
    }
    return camel != nullptr ? camel : snake;
  }

  [[nodiscard]] result<std::optional<std::string>> optional_string(field_name name) const {
    auto value = find(name);
    if (!value) return std::move(value).failure();
    if (*value == nullptr) return std::optional<std::string>{};
    if (!(*value)->is_string()) return invalid(type_message(field_path(name), "a string", **value));
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

// "Image/PNG; charset=x" names the same type as "image/png".
std::string media_type_essence(std::string_view mime_type) {
  std::string_view essence = mime_type.substr(0, mime_type.find(';'));
  while (!essence.empty() && (essence.back() == ' ' || essence.back() == '\t')) essence.remove_suffix(1);
  while (!essence.empty() && (essence.front() == ' ' || essence.front() == '\t')) essence.remove_prefix(1);
  std::string lowered(essence);
  for (char& character : lowered) {
    if (character >= 'A' && character <= 'Z') character = static_cast<char>(character - 'A' + 'a');
  }
  return lowered;
}

result<embedding_part> parse_inline_data(const json& value, const std::string& path) {
  if (!value.is_object()) return invalid(type_message(path, "an object", value));
  const message_reader reader(value, path);
  if (auto known = reader.check_known({{"mimeType", "mime_type"}, {"data", "data"}}); !known) {
    return std::move(known).failure();
  }
  auto mime_type = reader.optional_string({"mimeType", "mime_type"});
  if (!mime_type) return std::move(mime_type).failure();
  embedding_part part;
  part.mime_type = mime_type->has_value() ? media_type_essence(**mime_type) : std::string{};
  if (part.mime_type.empty()) return invalid(join_path(path, "mime_type") + " is required");
  auto encoded = reader.optional_string({"data", "data"});
  if (!encoded) return std::move(encoded).failure();
  if (!encoded->has_value() || (*encoded)->empty()) return invalid(join_path(path, "data") + " is empty");
  auto decoded = decode_base64(**encoded);
  if (!decoded) return invalid(join_path(path, "data") + ": " + decoded.failure().message);
  part.bytes = std::move(*decoded);
  return part;
}

result<embedding_part> parse_part(const json& value, const std::string& path) {
  if (!value.is_object()) return invalid(type_message(path, "an object", value));
  const message_reader reader(value, path);
  if (auto known = reader.check_known({{"text", "text"}, {"inlineData", "inline_data"}, {"fileData", "file_data"}});
      !known) {
    return std::move(known).failure();
  }
  auto text = reader.find({"text", "text"});
  auto inline_data = reader.find({"inlineData", "inline_data"});
  auto file_data = reader.find({"fileData", "file_data"});
  if (!text) return std::move(text).failure();
  if (!inline_data) return std::move(inline_data).failure();
  if (!file_data) return std::move(file_data).failure();
  const int chosen = (*text != nullptr ? 1 : 0) + (*inline_data != nullptr ? 1 : 0) + (*file_data != nullptr ? 1 : 0);
  if (chosen == 0) return invalid(path + " must hold text or inline_data");
  if (chosen > 1) return invalid(path + " holds more than one of text, inline_data and file_data");
  if (*file_data != nullptr) {
    return invalid(join_path(path, "file_data") +
                   " is not supported: this proxy cannot read Google's file store for you; send the bytes as "
                   "inline_data");
  }
  if (*inline_data != nullptr) return parse_inline_data(**inline_data, join_path(path, "inline_data"));
  if (!(*text)->is_string()) return invalid(type_message(join_path(path, "text"), "a string", **text));
  embedding_part part;
  part.text = (*text)->get_ref<const std::string&>();
  if (part.text.empty()) return invalid(join_path(path, "text") + " is empty");
  return part;
}

result<embedding_input> parse_content(const json& value, const std::string& path) {
  if (!value.is_object()) return invalid(type_message(path, "an object", value));
  const message_reader reader(value, path);
  if (auto known = reader.check_known({{"role", "role"}, {"parts", "parts"}}); !known) return std::move(known).failure();
  if (auto role = reader.optional_string({"role", "role"}); !role) return std::move(role).failure();
  auto parts = reader.find({"parts", "parts"});
  if (!parts) return std::move(parts).failure();
  if (*parts == nullptr) return invalid(join_path(path, "parts") + " is missing");
  if (!(*parts)->is_array()) return invalid(type_message(join_path(path, "parts"), "an array", **parts));
  if ((*parts)->empty()) return invalid(join_path(path, "parts") + " is empty");
  embedding_input input;
  input.parts.reserve((*parts)->size());
  for (std::size_t index = 0; index < (*parts)->size(); ++index) {
    auto part = parse_part((**parts)[index], join_path(path, "parts[" + std::to_string(index) + "]"));
    if (!part) return std::move(part).failure();
    input.parts.push_back(std::move(*part));
  }
  return input;
}

// proto3 JSON takes an int32 as a number or as a decimal string.
result<std::size_t> parse_dimensions(const message_reader& reader) {
  constexpr field_name name = {"outputDimensionality", "output_dimensionality"};
  auto value = reader.find(name);
  if (!value) return std::move(value).failure();
  if (*value == nullptr) return std::size_t{0};
  const json& number = **value;
  std::optional<double> dimensions;
  if (number.is_number()) {
    dimensions = number.get<double>();
  } else if (number.is_string()) {
    const auto& text = number.get_ref<const std::string&>();
    std::uint32_t parsed = 0;
    const auto [stop, failure] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (!text.empty() && text.size() <= 9 && failure == std::errc{} && stop == text.data() + text.size()) {
      dimensions = static_cast<double>(parsed);
    }
  }
  const std::string expected = "a whole number from 1 to " + std::to_string(largest_dimensions);
  if (!dimensions || !std::isfinite(*dimensions) || std::trunc(*dimensions) != *dimensions || *dimensions < 1.0 ||
      *dimensions > static_cast<double>(largest_dimensions)) {
    return invalid(type_message(reader.field_path(name), expected, number));
  }
  return static_cast<std::size_t>(*dimensions);
}

bool names_model(std::string_view given, std::string_view model) noexcept {
  if (given.starts_with("models/")) given.remove_prefix(7);
  return given == model;
}

result<gemini_embed_request> parse_request_at(const json& body, std::string_view model, const std::string& path) {
  if (!body.is_object()) return invalid(type_message(path.empty() ? "the request" : path, "an object", body));
  const message_reader reader(body, path);
  const auto known = reader.check_known({{"model", "model"},
                                         {"content", "content"},
                                         {"taskType", "task_type"},
                                         {"title", "title"},
                                         {"outputDimensionality", "output_dimensionality"}});
  if (!known) return std::move(known).failure();
  auto given_model = reader.optional_string({"model", "model"});
  if (!given_model) return std::move(given_model).failure();
  if (given_model->has_value() && !names_model(**given_model, model)) {
    return invalid(reader.field_path({"model", "model"}) + " " + describe_value(json(**given_model)) +
                   " does not match the model in the URL, models/" + std::string(model));
  }
  auto content = reader.find({"content", "content"});
  if (!content) return std::move(content).failure();
  if (*content == nullptr) return invalid(reader.field_path({"content", "content"}) + " is missing");
  auto input = parse_content(**content, reader.field_path({"content", "content"}));
  if (!input) return std::move(input).failure();

  gemini_embed_request request;
  request.input = std::move(*input);
  auto task = reader.optional_string({"taskType", "task_type"});
  if (!task) return std::move(task).failure();
  if (task->has_value()) {
    // Only Gemini's own spelling on the wire: Mosaic's short names are not part of Google's API.
    auto parsed = parse_embedding_task(**task);
    if (!parsed || embedding_task_api_name(*parsed) != **task) {
      return invalid(reader.field_path({"taskType", "task_type"}) + " " + describe_value(json(**task)) +
                     " is not one of Gemini's task types");
    }
    request.task = *parsed;
  }
  auto title = reader.optional_string({"title", "title"});
  if (!title) return std::move(title).failure();
  if (title->has_value()) request.input.title = std::move(**title);
  auto dimensions = parse_dimensions(reader);
  if (!dimensions) return std::move(dimensions).failure();
  request.dimensions = *dimensions;
  return request;
}

void append_values(std::string& output, const std::vector<float>& vector) {
  output += "{\"values\":";
  append_json_float_array(output, vector);
  output += '}';
}

std::string_view canonical_status(unsigned http_status) noexcept {
  switch (http_status) {
    case 400: return "INVALID_ARGUMENT";
    case 401: return "UNAUTHENTICATED";
    case 403: return "PERMISSION_DENIED";
    case 404: return "NOT_FOUND";
    case 409: return "ABORTED";
    case 413: return "INVALID_ARGUMENT";
    case 429: return "RESOURCE_EXHAUSTED";
    case 499: return "CANCELLED";
    case 500: return "INTERNAL";
    case 501: return "UNIMPLEMENTED";
    case 502: return "UNAVAILABLE";
    case 503: return "UNAVAILABLE";
    case 504: return "DEADLINE_EXCEEDED";
    default: return http_status >= 500 ? "UNKNOWN" : "FAILED_PRECONDITION";
  }
}

// Google's error object from an answer body, when the body is one.
const json* error_object(const json& document) {
  if (!document.is_object()) return nullptr;
  const auto found = document.find("error");
  if (found == document.end() || !found->is_object()) return nullptr;
  return &*found;
}

json parse_quietly(std::string_view body) {
  return json::parse(body.begin(), body.end(), nullptr, false);  // discarded on any syntax error
}

// Error text from upstream goes into logs and client answers: keep it printable and bounded.
std::string bounded_printable(std::string_view text) {
  constexpr std::size_t longest_message = 1'000;
  std::string cleaned;
  cleaned.reserve(std::min(text.size(), longest_message));
  for (const char character : text) {
    if (cleaned.size() >= longest_message) {
      while (!cleaned.empty() && (static_cast<unsigned char>(cleaned.back()) & 0xC0) == 0x80) cleaned.pop_back();
      if (!cleaned.empty() && (static_cast<unsigned char>(cleaned.back()) & 0x80) != 0) cleaned.pop_back();
      cleaned += "...";
      break;
    }
    const auto code = static_cast<unsigned char>(character);
    cleaned += code < 0x20 || code == 0x7F ? ' ' : character;
  }
  return cleaned;
}

}  // namespace

result<gemini_embed_request> parse_gemini_embed_request(const nlohmann::json& body, std::string_view model) {
  return parse_request_at(body, model, "");
}

result<std::vector<gemini_embed_request>> parse_gemini_batch_request(const nlohmann::json& body,
                                                                     std::string_view model) {
  if (!body.is_object()) return invalid(type_message("the request", "an object", body));
  const message_reader reader(body, "");
  if (auto known = reader.check_known({{"model", "model"}, {"requests", "requests"}}); !known) {
    return std::move(known).failure();
  }
  auto given_model = reader.optional_string({"model", "model"});
  if (!given_model) return std::move(given_model).failure();
  if (given_model->has_value() && !names_model(**given_model, model)) {
    return invalid("model " + describe_value(json(**given_model)) + " does not match the model in the URL, models/" +
                   std::string(model));
  }
  auto requests = reader.find({"requests", "requests"});
  if (!requests) return std::move(requests).failure();
  if (*requests == nullptr) return invalid("requests is missing");
  if (!(*requests)->is_array()) return invalid(type_message("requests", "an array", **requests));
  if ((*requests)->empty()) return invalid("requests is empty");
  if ((*requests)->size() > 100) {
    // Google's exact wording: clients match on it.
    return invalid("BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch");
  }
  std::vector<gemini_embed_request> parsed;
  parsed.reserve((*requests)->size());
  for (std::size_t index = 0; index < (*requests)->size(); ++index) {
    auto request = parse_request_at((**requests)[index], model, "requests[" + std::to_string(index) + "]");
    if (!request) return std::move(request).failure();
    parsed.push_back(std::move(*request));
  }
  return parsed;
}

std::string build_gemini_batch_body(std::string_view model, const std::vector<const embedding_input*>& inputs,
                                    embedding_task task, std::size_t dimensions, std::string_view text_prefix,
                                    bool send_task_type) {
  const std::string model_resource = "models/" + std::string(model);
  json requests = json::array();
  for (const embedding_input* input : inputs) {
    json parts = json::array();
    bool prefixed = text_prefix.empty();
    for (const embedding_part& part : input->parts) {
      if (part.is_text()) {
        if (!prefixed) {
          parts.push_back({{"text", std::string(text_prefix) + part.text}});
          prefixed = true;
        } else {
          parts.push_back({{"text", part.text}});
        }
      } else {
        parts.push_back({{"inlineData", {{"mimeType", part.mime_type}, {"data", encode_base64(part.bytes)}}}});
      }
    }
    // No text part to carry the instruction: it becomes a text part of its own, first.
    if (!prefixed) parts.insert(parts.begin(), json{{"text", std::string(text_prefix)}});
    json request = {{"model", model_resource}, {"content", {{"parts", std::move(parts)}}}};
    if (send_task_type && task != embedding_task::unspecified) request["taskType"] = embedding_task_api_name(task);
    // Gemini reads a title for documents only.
    if (!input->title.empty() && task == embedding_task::retrieval_document) request["title"] = input->title;
    if (dimensions > 0) request["outputDimensionality"] = dimensions;
    requests.push_back(std::move(request));
  }
  // Invalid UTF-8 in a text is replaced rather than thrown on: the upstream sees U+FFFD.
  return json{{"requests", std::move(requests)}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

result<std::vector<std::vector<float>>> parse_gemini_batch_response(std::string_view body, std::size_t expected,
                                                                    std::size_t dimensions) {
  const auto protocol_error = [](std::string message) {
    return make_error(error_code::invalid_json, "the batchEmbedContents answer " + std::move(message));
  };
  // The plain shape Gemini sends goes the fast way; anything else (and every error) the general way.
  if (auto scanned = scan_embedding_values(body, expected, dimensions)) return std::move(*scanned);
  const json document = parse_quietly(body);
  if (document.is_discarded()) return protocol_error("is not JSON");
  if (!document.is_object()) return protocol_error("is not a JSON object");
  const auto embeddings = document.find("embeddings");
  if (embeddings == document.end() || !embeddings->is_array()) return protocol_error("has no \"embeddings\" array");
  if (embeddings->size() != expected) {
    return protocol_error("holds " + std::to_string(embeddings->size()) + " embeddings for " +
                          std::to_string(expected) + " requests");
  }
  std::vector<std::vector<float>> vectors;
  vectors.reserve(expected);
  for (std::size_t index = 0; index < expected; ++index) {
    const json& embedding = (*embeddings)[index];
    const std::string where = "embeddings[" + std::to_string(index) + "]";
    if (!embedding.is_object()) return protocol_error("has a non-object " + where);
    const auto values = embedding.find("values");
    if (values == embedding.end() || !values->is_array()) return protocol_error("has no values array in " + where);
    if (values->size() != dimensions) {
      return protocol_error("has " + std::to_string(values->size()) + " values in " + where + ", expected " +
                            std::to_string(dimensions));
    }
    std::vector<float> vector;
    vector.reserve(dimensions);
    for (std::size_t component = 0; component < dimensions; ++component) {
      const json& value = (*values)[component];
      // 1e999 parses to infinity; anything a float cannot hold would become one.
      const double number = value.is_number() ? value.get<double>() : std::numeric_limits<double>::quiet_NaN();
      if (!std::isfinite(number) || std::fabs(number) > static_cast<double>(std::numeric_limits<float>::max())) {
        return protocol_error("has a value that is not a finite float at " + where + ".values[" +
                              std::to_string(component) + "]");
      }
      vector.push_back(static_cast<float>(number));
    }
    vectors.push_back(std::move(vector));
  }
  return vectors;
}

std::string gemini_error_message(unsigned http_status, std::string_view body) {
  const json document = parse_quietly(body);
  if (!document.is_discarded()) {
    if (const json* error = error_object(document)) {
      const auto message = error->find("message");
      if (message != error->end() && message->is_string() && !message->get_ref<const std::string&>().empty()) {
        return bounded_printable(message->get_ref<const std::string&>());
      }
    }
  }
  return "HTTP " + std::to_string(http_status) + " " + std::string(canonical_status(http_status)) +
         " with no error message";
}

std::string gemini_error_status(unsigned http_status, std::string_view body) {
  const json document = parse_quietly(body);
  if (!document.is_discarded()) {
    if (const json* error = error_object(document)) {
      const auto status_name = error->find("status");
      if (status_name != error->end() && status_name->is_string()) {
        const auto& name = status_name->get_ref<const std::string&>();
        const bool well_formed = !name.empty() && name.size() <= 40 &&
                                 name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == std::string::npos;
        if (well_formed) return name;
      }
    }
  }
  return std::string(canonical_status(http_status));
}

std::string gemini_embed_response(const std::vector<float>& vector) {
  std::string output = "{\"embedding\":";
  append_values(output, vector);
  output += '}';
  return output;
}

std::string gemini_batch_response(const std::vector<std::vector<float>>& vectors) {
  std::string output = "{\"embeddings\":[";
  for (std::size_t index = 0; index < vectors.size(); ++index) {
    if (index > 0) output += ',';
    append_values(output, vectors[index]);
  }
  output += "]}";
  return output;
}

std::string gemini_error_body(unsigned http_status, std::string_view message) {
  const nlohmann::ordered_json body = {
      {"error", {{"code", http_status}, {"message", message}, {"status", canonical_status(http_status)}}}};
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace mosaic::server
