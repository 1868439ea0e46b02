#pragma once
// The shape every fallible wasm call returns to JavaScript: {ok: true, value} or {ok: false, error:
// {code, message}} with the core's error code names. Emscripten builds without exception support,
// so nothing may throw across the boundary, and the cause must reach the caller intact.
#include <emscripten/val.h>

#include <string>

#include "core/result.hpp"

namespace mosaic::wasm {

inline emscripten::val error_object(const error& cause) {
  emscripten::val object = emscripten::val::object();
  object.set("code", std::string(error_code_name(cause.code)));
  object.set("message", cause.message);
  return object;
}

inline emscripten::val failure(const error& cause) {
  emscripten::val outcome = emscripten::val::object();
  outcome.set("ok", false);
  outcome.set("error", error_object(cause));
  return outcome;
}

inline emscripten::val failure(error_code code, std::string message) { return failure(make_error(code, std::move(message))); }

inline emscripten::val success(const emscripten::val& value) {
  emscripten::val outcome = emscripten::val::object();
  outcome.set("ok", true);
  outcome.set("value", value);
  return outcome;
}

}  // namespace mosaic::wasm
