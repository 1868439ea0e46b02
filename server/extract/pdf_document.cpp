#include "extract/pdf_document.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <memory>
#include <mutex>

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-image.h>
#include <poppler-page-renderer.h>
#include <poppler-page.h>

#include "text/utf8.hpp"

// LeakSanitizer (the ASan tests, the fuzz targets) reads this hook of the process. Poppler draws
// text through fontconfig, which keeps its font configuration for the life of the process and never
// frees it: a one-time allocation in a system library, not a leak of ours (288 bytes, whatever the
// number of PDFs). Only fontconfig's own allocations are excused; any other leak still fails.
extern "C" const char* __lsan_default_suppressions();
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }

namespace mosaic::extract {
namespace {

// Poppler prints every syntax error of a damaged file to stderr; the caller reports one reason per
// file instead, so the messages are dropped once for the whole process.
void silence_poppler() {
  static std::once_flag once;
  std::call_once(once, [] { poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr); });
}

std::string trimmed(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n\f");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n\f");
  return text.substr(first, last - first + 1);
}

// Poppler's text is UTF-8 already; a damaged font map can still yield stray bytes, which the index
// must never hold (it is JSON and keyword postings): those become U+FFFD.
std::string valid_utf8(const std::string& text) {
  if (text::is_valid_utf8({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()})) return text;
  std::string repaired;
  repaired.reserve(text.size());
  std::size_t position = 0;
  while (position < text.size()) {
    const auto lead = static_cast<unsigned char>(text[position]);
    const std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
    if (length != 0 && position + length <= text.size() &&
        text::is_valid_utf8({reinterpret_cast<const std::uint8_t*>(text.data() + position), length})) {
      repaired.append(text, position, length);
      position += length;
    } else {
      repaired += "\xEF\xBF\xBD";
      ++position;
    }
  }
  return repaired;
}

// The first page at a resolution that makes its longest side `longest_side` pixels, as RGB.
void render_first_page(const poppler::page& page, std::uint32_t longest_side, pdf_contents& contents) {
  const poppler::rectf box = page.page_rect();
  const double longest_points = std::max(box.width(), box.height());
  if (!(longest_points > 1.0) || !std::isfinite(longest_points)) return;  // a degenerate page has no picture
  // Never above 300 dpi: a page a few points wide would otherwise be rendered enormous.
  const double dots_per_inch = std::min(300.0, 72.0 * longest_side / longest_points);
  poppler::page_renderer renderer;
  renderer.set_render_hint(poppler::page_renderer::antialiasing, true);
  renderer.set_render_hint(poppler::page_renderer::text_antialiasing, true);
  renderer.set_image_format(poppler::image::format_argb32);
  const poppler::image picture = renderer.render_page(&page, dots_per_inch, dots_per_inch);
  if (!picture.is_valid() || picture.width() <= 0 || picture.height() <= 0 ||
      picture.format() != poppler::image::format_argb32) {
    return;
  }
  const auto width = static_cast<std::uint32_t>(picture.width());
  const auto height = static_cast<std::uint32_t>(picture.height());
  if (width > 4 * longest_side || height > 4 * longest_side) return;  // Poppler ignored the resolution
  if (picture.bytes_per_row() < 0 || static_cast<std::size_t>(picture.bytes_per_row()) < std::size_t{width} * 4) return;
  const auto row_bytes = static_cast<std::size_t>(picture.bytes_per_row());
  contents.first_page_rgb.resize(std::size_t{width} * height * 3);
  for (std::uint32_t row = 0; row < height; ++row) {
    // argb32 is 0xAARRGGBB in native (little-endian) order, so B, G, R, A in memory, alpha premultiplied
    // over the opaque white paper Poppler draws first.
    const auto* source = reinterpret_cast<const std::uint8_t*>(picture.const_data()) + std::size_t{row} * row_bytes;
    std::uint8_t* target = contents.first_page_rgb.data() + std::size_t{row} * width * 3;
    for (std::uint32_t column = 0; column < width; ++column) {
      target[column * 3 + 0] = source[column * 4 + 2];
      target[column * 3 + 1] = source[column * 4 + 1];
      target[column * 3 + 2] = source[column * 4 + 0];
    }
  }
  contents.picture_width = width;
  contents.picture_height = height;
}

}  // namespace

result<pdf_contents> read_pdf(std::span<const std::uint8_t> bytes, const pdf_reading_limits& limits) {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    return make_error(error_code::media_too_large, "PDF files over 2 GiB are not read");
  }
  if (bytes.size() < 5 || std::string_view(reinterpret_cast<const char*>(bytes.data()), 5) != "%PDF-") {
    return make_error(error_code::invalid_media, "not a PDF (no %PDF- header)");
  }
  silence_poppler();
  const std::unique_ptr<poppler::document> document(poppler::document::load_from_raw_data(
      reinterpret_cast<const char*>(bytes.data()), static_cast<int>(bytes.size())));
  if (!document) {
    // Poppler says only "could not load"; a locked file loads (and reports is_locked), so this is damage.
    return make_error(error_code::invalid_media, "a damaged PDF that Poppler cannot open (truncated or corrupt)");
  }
  if (document->is_locked()) {
    return make_error(error_code::unsupported_media, "an encrypted PDF that needs a password to open");
  }
  const int pages = document->pages();
  if (pages <= 0) return make_error(error_code::invalid_media, "a damaged PDF: no pages");
  pdf_contents contents;
  contents.page_count = static_cast<std::size_t>(pages);
  const std::size_t pages_to_read = std::min(contents.page_count, limits.max_pages);
  contents.text_cut = pages_to_read < contents.page_count;
  std::size_t text_bytes = 0;
  for (std::size_t index = 0; index < pages_to_read; ++index) {
    const std::unique_ptr<poppler::page> page(document->create_page(static_cast<int>(index)));
    if (!page) {
      contents.page_texts.emplace_back();
      continue;
    }
    if (index == 0 && limits.picture_longest_side > 0) render_first_page(*page, limits.picture_longest_side, contents);
    if (text_bytes >= limits.max_text_bytes) {
      contents.text_cut = true;
      contents.page_texts.emplace_back();
      continue;
    }
    const poppler::byte_array utf8 = page->text().to_utf8();
    std::string text = trimmed(valid_utf8(std::string(utf8.begin(), utf8.end())));
    if (text_bytes + text.size() > limits.max_text_bytes) {
      text.resize(limits.max_text_bytes - text_bytes);
      while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();
      if (!text.empty() && static_cast<unsigned char>(text.back()) >= 0xC0) text.pop_back();
      contents.text_cut = true;
    }
    text_bytes += text.size();
    contents.page_texts.push_back(std::move(text));
  }
  return contents;
}

}  // namespace mosaic::extract
