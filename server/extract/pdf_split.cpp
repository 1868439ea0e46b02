#include "extract/pdf_split.hpp"

#include <algorithm>
#include <climits>
#include <string>
#include <string_view>

#include "extract/pdf_split_qpdf.hpp"

namespace mosaic::extract {

result<std::vector<pdf_part>> split_pdf(std::span<const std::uint8_t> bytes, const pdf_split_limits& limits) {
  if (limits.pages_per_part == 0) return make_error(error_code::invalid_argument, "a PDF part needs at least one page");
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    return make_error(error_code::media_too_large, "PDF files over 2 GiB are not split");
  }
  if (bytes.size() < 5 || std::string_view(reinterpret_cast<const char*>(bytes.data()), 5) != "%PDF-") {
    return make_error(error_code::invalid_media, "not a PDF (no %PDF- header)");
  }
  qpdf_detail::split_outcome outcome =
      qpdf_detail::split_with_qpdf(bytes.data(), bytes.size(), limits.pages_per_part, limits.max_pages);
  switch (outcome.failure) {
    case qpdf_detail::split_failure::none: break;
    case qpdf_detail::split_failure::password:
      return make_error(error_code::unsupported_media, "an encrypted PDF that needs a password to open");
    case qpdf_detail::split_failure::damaged:
      return make_error(error_code::invalid_media, "a damaged PDF that QPDF cannot split: " + outcome.detail);
    case qpdf_detail::split_failure::no_pages: return make_error(error_code::invalid_media, "a damaged PDF: no pages");
    case qpdf_detail::split_failure::too_many_pages:
      return make_error(error_code::media_too_large, "a PDF of " + std::to_string(outcome.page_count) +
                                                         " pages, over the " + std::to_string(limits.max_pages) +
                                                         " pages split into parts");
    case qpdf_detail::split_failure::out_of_memory:
      return make_error(error_code::media_too_large, "a PDF too large to split in memory");
  }
  std::vector<pdf_part> parts;
  for (std::size_t index = 0; index < outcome.parts.size(); ++index) {
    const std::size_t first = index * limits.pages_per_part;
    const std::size_t last = std::min(outcome.page_count, first + limits.pages_per_part);
    parts.push_back({first + 1, last, std::move(outcome.parts[index])});
  }
  return parts;
}

}  // namespace mosaic::extract
