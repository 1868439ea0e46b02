#pragma once
// "ok" or the error code's name of a core result, so a failed comparison prints which code came back.
#include <string>

#include "core/result.hpp"

namespace mosaic::test {

template <typename Value>
std::string outcome_name(const result<Value>& outcome) {
  return outcome.ok() ? std::string("ok") : std::string(error_code_name(outcome.failure().code));
}

}  // namespace mosaic::test
