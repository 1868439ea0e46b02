#pragma once
// Small valid PDFs written byte by byte for the C++ tests (tests/support/pdf_fixtures.mjs is the Node
// twin): one Helvetica page per entry, its line drawn with a real text layer, an exact
// cross-reference table and a trailer.
#include <cstdint>
#include <string>
#include <vector>

namespace mosaic::testing {

inline std::vector<std::uint8_t> pdf_bytes(const std::string& text) { return {text.begin(), text.end()}; }

// Objects 1..n (their text between "N 0 obj" and "endobj", binary allowed), object 1 the catalog,
// with an exact cross-reference table.
inline std::string pdf_from_objects(const std::vector<std::string>& objects) {
  std::string pdf = "%PDF-1.4\n";
  std::vector<std::size_t> offsets;
  for (std::size_t index = 0; index < objects.size(); ++index) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(index + 1) + " 0 obj\n" + objects[index] + "\nendobj\n";
  }
  const std::size_t cross_reference = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (const std::size_t offset : offsets) {
    std::string number = std::to_string(offset);
    pdf += std::string(10 - number.size(), '0') + number + " 00000 n \n";
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
         std::to_string(cross_reference) + "\n%%EOF\n";
  return pdf;
}

inline std::string make_text_pdf(const std::vector<std::string>& page_lines) {
  std::vector<std::string> objects{"<< /Type /Catalog /Pages 2 0 R >>", "",
                                   "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"};
  std::string kids;
  for (std::size_t page = 0; page < page_lines.size(); ++page) {
    kids += std::to_string(4 + page * 2) + " 0 R ";
    const std::string drawing = "BT /F1 24 Tf 72 700 Td (" + page_lines[page] + ") Tj ET";
    objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                      "/Contents " + std::to_string(5 + page * 2) + " 0 R >>");
    objects.push_back("<< /Length " + std::to_string(drawing.size()) + " >>\nstream\n" + drawing + "\nendstream");
  }
  objects[1] = "<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(page_lines.size()) + " >>";
  return pdf_from_objects(objects);
}

}  // namespace mosaic::testing
