#pragma once
// Gemini Embedding 2's media rules, written once (../shared/docs/gemini-api.md, "Limits"): the inline
// MIME types it takes, the other spellings callers send for them, and how much of each one input may
// hold. detect_media_kind's accepted_by_gemini, the server's input checks (prepare_input), the gemini
// provider's accepts_mime_type and the indexer all read this table, so they cannot disagree.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "media/media_kind.hpp"

namespace mosaic::media {

// What a rule's limit counts.
enum class gemini_limit_unit : std::uint8_t { images_per_input, seconds, pages };

struct gemini_media_rule {
  std::string_view mime_type;  // the canonical spelling, sent upstream
  media_kind kind;
  std::uint32_t limit;         // the most Gemini embeds, in `unit`
  gemini_limit_unit unit;
};

inline constexpr std::array<gemini_media_rule, 7> gemini_media_rules = {{
    {"image/png", media_kind::image, 6, gemini_limit_unit::images_per_input},
    {"image/jpeg", media_kind::image, 6, gemini_limit_unit::images_per_input},
    {"audio/wav", media_kind::audio, 80, gemini_limit_unit::seconds},
    {"audio/mpeg", media_kind::audio, 80, gemini_limit_unit::seconds},
    {"video/mp4", media_kind::video, 120, gemini_limit_unit::seconds},  // the cookbook says 128 s
    {"video/quicktime", media_kind::video, 120, gemini_limit_unit::seconds},
    {"application/pdf", media_kind::pdf, 6, gemini_limit_unit::pages},
}};

// Other spellings of the same types, rewritten to the canonical one before anything is sent.
struct gemini_mime_alias {
  std::string_view alias;
  std::string_view mime_type;
};
inline constexpr std::array<gemini_mime_alias, 4> gemini_mime_aliases = {{
    {"image/jpg", "image/jpeg"},
    {"audio/x-wav", "audio/wav"},
    {"audio/wave", "audio/wav"},
    {"audio/mp3", "audio/mpeg"},
}};

// The rule for a declared MIME type, an alias included; nullptr when Gemini does not take it (text
// is sent as text, never as inline data, so "text/plain" has no rule).
constexpr const gemini_media_rule* find_gemini_media_rule(std::string_view declared) noexcept {
  for (const gemini_mime_alias& alias : gemini_mime_aliases) {
    if (alias.alias == declared) declared = alias.mime_type;
  }
  for (const gemini_media_rule& rule : gemini_media_rules) {
    if (rule.mime_type == declared) return &rule;
  }
  return nullptr;
}

// The limit Gemini puts on one kind of media (every rule of a kind has the same); 0 for text and unknown.
constexpr std::uint32_t gemini_limit(media_kind kind) noexcept {
  for (const gemini_media_rule& rule : gemini_media_rules) {
    if (rule.kind == kind) return rule.limit;
  }
  return 0;
}

// "image/png, image/jpeg, audio/wav, ...": the canonical types, in the table's order, for messages.
std::string gemini_mime_types_text();

}  // namespace mosaic::media
