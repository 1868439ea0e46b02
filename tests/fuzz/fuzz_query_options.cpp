// Query options as JSON (shared/search/result_json: k, mode, fusion, classify, filter) and named filters
// (shared/search/named_filter), which every /api/search body and every browser query carries. The input
// is tried as a whole options object, as a filter alone, and split at its first newline into a
// `key=value` condition (the CLI's --filter form); accepted options stay within their documented bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "search/named_filter.hpp"
#include "search/result_json.hpp"

using namespace mosaic::search;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = mosaic::fuzz::as_text(data, size);
  auto options = query_options_from_json_text(text);
  if (options) {
    MOSAIC_FUZZ_CHECK(options->k <= max_query_k, "k above its bound");
    MOSAIC_FUZZ_CHECK(options->k >= 1 || options->vote.has_value(), "k 0 without a vote");
    MOSAIC_FUZZ_CHECK(options->fusion.vector_weight >= 0.0f && options->fusion.vector_weight <= 1.0f,
                      "vector weight out of [0, 1]");
  } else {
    MOSAIC_FUZZ_CHECK(!options.failure().message.empty(), "a refusal must say why");
  }
  const nlohmann::json document = nlohmann::json::parse(text, nullptr, false);
  if (!document.is_discarded()) (void)named_filter_from_json(document);

  const std::size_t newline = text.find('\n');
  const std::string_view condition = text.substr(0, newline);
  const std::size_t equals = condition.find('=');
  if (equals != std::string_view::npos) {
    named_filter filter;
    (void)add_condition(filter, condition.substr(0, equals), condition.substr(equals + 1));
  }
  return 0;
}
