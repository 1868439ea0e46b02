// The coalescer's request-size arithmetic (server/embed/gemini_request_size): the byte count of each
// input's part of a batchEmbedContents body, computed without building it, is what the coalescer packs
// calls by and what refuses an input too large for one call. It must equal the body that
// build_gemini_batch_body writes, exactly, for any inputs and settings: envelope + the inputs' sizes +
// one comma between each two.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "embed/embedding_request.hpp"
#include "embed/gemini_protocol.hpp"
#include "embed/gemini_request_size.hpp"
#include "fuzz_support.hpp"

using namespace mosaic::server;

namespace {

constexpr const char* mime_types[] = {"image/png", "image/jpeg", "audio/wav", "audio/mpeg", "video/mp4",
                                      "application/pdf", "text/plain", "x/\"quoted\\type\""};

embedding_input make_input(FuzzedDataProvider& provider) {
  embedding_input input;
  const std::size_t parts = provider.ConsumeIntegralInRange<std::size_t>(1, 4);
  for (std::size_t part = 0; part < parts; ++part) {
    embedding_part made;
    if (provider.ConsumeBool()) {
      made.mime_type = provider.PickValueInArray(mime_types);
      made.bytes = provider.ConsumeRandomLengthString(300);
    } else {
      made.text = provider.ConsumeRandomLengthString(300);
    }
    input.parts.push_back(std::move(made));
  }
  if (provider.ConsumeBool()) input.title = provider.ConsumeRandomLengthString(60);
  return input;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  const std::string model = provider.ConsumeRandomLengthString(100);
  const std::string prefix = provider.ConsumeRandomLengthString(40);
  gemini_request_settings settings;
  settings.model = model;
  settings.text_prefix = prefix;
  settings.task = static_cast<embedding_task>(provider.ConsumeIntegralInRange<int>(0, 8));
  settings.dimensions = provider.ConsumeBool() ? 0 : provider.ConsumeIntegralInRange<std::size_t>(1, 100000);
  settings.send_task_type = provider.ConsumeBool();
  std::vector<embedding_input> inputs;
  const std::size_t count = provider.ConsumeIntegralInRange<std::size_t>(1, 3);
  for (std::size_t index = 0; index < count; ++index) inputs.push_back(make_input(provider));

  std::vector<const embedding_input*> pointers;
  std::size_t counted = gemini_batch_envelope_bytes + (count - 1);
  for (const embedding_input& input : inputs) {
    pointers.push_back(&input);
    counted += gemini_request_bytes(input, settings);
  }
  const std::string body = build_gemini_batch_body(settings.model, pointers, settings.task, settings.dimensions,
                                                   settings.text_prefix, settings.send_task_type);
  MOSAIC_FUZZ_CHECK(counted == body.size(), "counted " + std::to_string(counted) + " bytes, the body has " +
                                                std::to_string(body.size()) + ":\n" + body);
  return 0;
}
