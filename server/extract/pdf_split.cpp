#include "extract/pdf_split.hpp"

#include <algorithm>
#include <climits>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>

#include <qpdf/Buffer.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFExc.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFPageObjectHelper.hh>
#include <qpdf/QPDFWriter.hh>

namespace mosaic::extract {
namespace {

// One part: an empty PDF given copies of pages [first, last) of the source. The source must outlive
// the write (QPDF copies stream data from it while writing).
std::vector<std::uint8_t> write_part(std::vector<QPDFPageObjectHelper>& pages, std::size_t first, std::size_t last) {
  QPDF part;
  part.setSuppressWarnings(true);
  part.emptyPDF();
  QPDFPageDocumentHelper part_pages(part);
  for (std::size_t index = first; index < last; ++index) part_pages.addPage(pages[index], false);
  // Pages often share one resource dictionary naming every font and image of the document: a part
  // keeps only what its pages draw. Trimming is an economy, so a content stream QPDF cannot parse
  // leaves the part with all of them rather than failing it.
  try {
    part_pages.removeUnreferencedResources();
  } catch (const std::exception&) {
  }
  QPDFWriter writer(part);
  writer.setOutputMemory();
  writer.setDeterministicID(true);
  writer.write();
  const std::shared_ptr<Buffer> buffer = writer.getBufferSharedPointer();
  const unsigned char* data = buffer->getBuffer();
  return std::vector<std::uint8_t>(data, data + buffer->getSize());
}

}  // namespace

result<std::vector<pdf_part>> split_pdf(std::span<const std::uint8_t> bytes, const pdf_split_limits& limits) {
  if (limits.pages_per_part == 0) return make_error(error_code::invalid_argument, "a PDF part needs at least one page");
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    return make_error(error_code::media_too_large, "PDF files over 2 GiB are not split");
  }
  if (bytes.size() < 5 || std::string_view(reinterpret_cast<const char*>(bytes.data()), 5) != "%PDF-") {
    return make_error(error_code::invalid_media, "not a PDF (no %PDF- header)");
  }
  // QPDF reports every failure by exception: they end here, as values.
  try {
    QPDF source;
    source.setSuppressWarnings(true);
    source.processMemoryFile("PDF", reinterpret_cast<const char*>(bytes.data()), bytes.size());
    std::vector<QPDFPageObjectHelper> pages = QPDFPageDocumentHelper(source).getAllPages();
    if (pages.empty()) return make_error(error_code::invalid_media, "a damaged PDF: no pages");
    if (pages.size() > limits.max_pages) {
      return make_error(error_code::media_too_large, "a PDF of " + std::to_string(pages.size()) + " pages, over the " +
                                                         std::to_string(limits.max_pages) + " pages split into parts");
    }
    std::vector<pdf_part> parts;
    for (std::size_t first = 0; first < pages.size(); first += limits.pages_per_part) {
      const std::size_t last = std::min(pages.size(), first + limits.pages_per_part);
      parts.push_back({first + 1, last, write_part(pages, first, last)});
    }
    return parts;
  } catch (const QPDFExc& failure) {
    if (failure.getErrorCode() == qpdf_e_password) {
      return make_error(error_code::unsupported_media, "an encrypted PDF that needs a password to open");
    }
    return make_error(error_code::invalid_media, "a damaged PDF that QPDF cannot split: " + failure.getMessageDetail());
  } catch (const std::bad_alloc&) {
    return make_error(error_code::media_too_large, "a PDF too large to split in memory");
  } catch (const std::exception& failure) {
    return make_error(error_code::invalid_media, std::string("a damaged PDF that QPDF cannot split: ") + failure.what());
  }
}

}  // namespace mosaic::extract
