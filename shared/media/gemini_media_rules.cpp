#include "media/gemini_media_rules.hpp"

namespace mosaic::media {

std::string gemini_mime_types_text() {
  std::string text;
  for (const gemini_media_rule& rule : gemini_media_rules) {
    if (!text.empty()) text += ", ";
    text += rule.mime_type;
  }
  return text;
}

}  // namespace mosaic::media
