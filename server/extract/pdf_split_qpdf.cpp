#include "extract/pdf_split_qpdf.hpp"

#include <algorithm>
#include <exception>
#include <memory>
#include <new>

#include <qpdf/Buffer.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFExc.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFPageObjectHelper.hh>
#include <qpdf/QPDFWriter.hh>

namespace mosaic::extract::qpdf_detail {
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

split_outcome split_with_qpdf(const std::uint8_t* data, std::size_t size, std::size_t pages_per_part,
                              std::size_t max_pages) {
  split_outcome outcome;
  // QPDF reports every failure by exception: they end here.
  try {
    QPDF source;
    source.setSuppressWarnings(true);
    source.processMemoryFile("PDF", reinterpret_cast<const char*>(data), size);
    std::vector<QPDFPageObjectHelper> pages = QPDFPageDocumentHelper(source).getAllPages();
    outcome.page_count = pages.size();
    if (pages.empty()) {
      outcome.failure = split_failure::no_pages;
      return outcome;
    }
    if (pages.size() > max_pages) {
      outcome.failure = split_failure::too_many_pages;
      return outcome;
    }
    for (std::size_t first = 0; first < pages.size(); first += pages_per_part) {
      outcome.parts.push_back(write_part(pages, first, std::min(pages.size(), first + pages_per_part)));
    }
  } catch (const QPDFExc& failure) {
    outcome.parts.clear();
    outcome.failure = failure.getErrorCode() == qpdf_e_password ? split_failure::password : split_failure::damaged;
    outcome.detail = failure.getMessageDetail();
  } catch (const std::bad_alloc&) {
    outcome.parts.clear();
    outcome.failure = split_failure::out_of_memory;
  } catch (const std::exception& failure) {
    outcome.parts.clear();
    outcome.failure = split_failure::damaged;
    outcome.detail = failure.what();
  }
  return outcome;
}

}  // namespace mosaic::extract::qpdf_detail
