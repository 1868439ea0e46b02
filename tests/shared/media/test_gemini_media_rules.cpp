// The one table of Gemini's media rules (shared/media/gemini_media_rules.hpp): canonical types and
// their aliases, the limit of each kind as gemini-api.md states it, and that detection's
// accepted_by_gemini agrees with the table for every type detection can name.
#include <catch2/catch.hpp>

#include <string_view>

#include "media/gemini_media_rules.hpp"

using namespace mosaic::media;

TEST_CASE("gemini media rules: canonical types, aliases and nothing else", "[media][gemini_rules]") {
  for (const gemini_media_rule& rule : gemini_media_rules) {
    const gemini_media_rule* found = find_gemini_media_rule(rule.mime_type);
    REQUIRE(found == &rule);
  }
  const std::pair<std::string_view, std::string_view> aliases[] = {
      {"image/jpg", "image/jpeg"}, {"audio/x-wav", "audio/wav"}, {"audio/wave", "audio/wav"}, {"audio/mp3", "audio/mpeg"}};
  for (const auto& [alias, canonical] : aliases) {
    const gemini_media_rule* found = find_gemini_media_rule(alias);
    REQUIRE(found != nullptr);
    CHECK(found->mime_type == canonical);
  }
  for (const std::string_view refused : {"", "text/plain", "image/webp", "image/gif", "image/heic", "audio/mp4",
                                         "video/3gpp", "IMAGE/PNG", "image/png ", "application/octet-stream"}) {
    INFO(refused);
    CHECK(find_gemini_media_rule(refused) == nullptr);
  }
  CHECK(gemini_mime_types_text() ==
        "image/png, image/jpeg, audio/wav, audio/mpeg, video/mp4, video/quicktime, application/pdf");
}

TEST_CASE("gemini media rules: one limit per kind, as gemini-api.md states them", "[media][gemini_rules]") {
  CHECK(gemini_limit(media_kind::image) == 6);    // images per input
  CHECK(gemini_limit(media_kind::audio) == 80);   // seconds
  CHECK(gemini_limit(media_kind::video) == 120);  // seconds
  CHECK(gemini_limit(media_kind::pdf) == 6);      // pages
  CHECK(gemini_limit(media_kind::text) == 0);
  CHECK(gemini_limit(media_kind::unknown) == 0);
  for (const gemini_media_rule& rule : gemini_media_rules) {
    INFO(rule.mime_type);
    CHECK(rule.limit == gemini_limit(rule.kind));  // every rule of a kind agrees
    const gemini_limit_unit expected = rule.kind == media_kind::image ? gemini_limit_unit::images_per_input
                                       : rule.kind == media_kind::pdf ? gemini_limit_unit::pages
                                                                      : gemini_limit_unit::seconds;
    CHECK(rule.unit == expected);
  }
}
