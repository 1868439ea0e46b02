// Small valid PDFs written byte by byte for the tests: one page per entry of `pages`, each page's
// lines drawn in Helvetica (a standard font, so no font file is embedded) with a real text layer,
// a cross-reference table whose offsets are exact, and a trailer. What Poppler reads from them is
// what a PDF from any word processor gives.
export function makePdf(pages, { width = 612, height = 792 } = {}) {
  const objects = [];  // object number - 1 -> body
  const pageCount = pages.length;
  // 1: catalog, 2: page tree, 3: font, then per page: the page and its content stream.
  objects.push('<< /Type /Catalog /Pages 2 0 R >>');
  const kids = pages.map((_, index) => `${4 + index * 2} 0 R`).join(' ');
  objects.push(`<< /Type /Pages /Kids [${kids}] /Count ${pageCount} >>`);
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  for (const [index, lines] of pages.entries()) {
    const escaped = lines.map((line) => line.replace(/[\\()]/g, (character) => `\\${character}`));
    const drawing = ['BT', '/F1 18 Tf', '72 720 Td', '24 TL', ...escaped.map((line) => `(${line}) Tj T*`), 'ET'].join('\n');
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${width} ${height}] ` +
                 `/Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + index * 2} 0 R >>`);
    objects.push(`<< /Length ${Buffer.byteLength(drawing, 'latin1')} >>\nstream\n${drawing}\nendstream`);
  }
  let body = '%PDF-1.4\n%\xE2\xE3\xCF\xD3\n';
  const offsets = [];
  for (const [index, object] of objects.entries()) {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${index + 1} 0 obj\n${object}\nendobj\n`;
  }
  const crossReference = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${crossReference}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}
