// Text read out of media by mosaic index, end to end with the local model: words in a screenshot
// (Tesseract OCR) and on a PDF's pages (Poppler) are found by `mosaic query`, a photo gets no OCR
// text, a PDF's thumbnail is a picture of its first page, and an encrypted and a truncated PDF are
// skipped with their reasons while the rest of the folder is indexed. Images are rendered in the
// test by ImageMagick, PDFs written byte by byte (tests/support/pdf_fixtures.mjs) and encrypted by
// qpdf. Run by ctest with MOSAIC_CLI.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { makePdf } from '../../support/pdf_fixtures.mjs';
import { queryResults, siteItems } from '../../support/site_reading.mjs';

const cli = process.env.MOSAIC_CLI;
assert.ok(cli && fs.existsSync(cli), 'MOSAIC_CLI must point at the built mosaic binary (run through ctest)');
// Debian's ImageMagick (scripts/install-dependencies.sh), not a stand-in earlier on the PATH.
const convert = '/usr/bin/convert';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-extraction-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function run(program, args) {
  const outcome = spawnSync(program, args, { encoding: 'utf8' });
  assert.equal(outcome.status, 0, `${program} ${args.join(' ')}: ${outcome.stderr}`);
  return outcome.stdout;
}

function mosaic(...args) {
  return spawnSync(cli, args, { encoding: 'utf8' });
}

const query = (site, text, ...options) => queryResults(cli, site, text, ...options);

// The mean brightness (0 black .. 1 white) of an image file, by ImageMagick.
const meanBrightness = (file) => Number(run(convert, [file, '-colorspace', 'Gray', '-format', '%[fx:mean]', 'info:']));

function makeCollection() {
  const collection = path.join(scratch, 'collection');
  for (const folder of ['tickets', 'photos', 'docs']) fs.mkdirSync(path.join(collection, folder), { recursive: true });
  // A screenshot-like error dialog: dark red heading and grey body text on white, 96 dpi sizes.
  run(convert, ['-size', '900x300', 'xc:white', '-font', 'DejaVu-Sans', '-pointsize', '28', '-fill', '#b00020',
    '-annotate', '+40+80', 'Error 500: session expired', '-fill', '#333333', '-pointsize', '20',
    '-annotate', '+40+140', 'Please sign in again to continue.', path.join(collection, 'tickets/dialog.png')]);
  // A small, noisy screenshot of a terminal: light text on dark, Gaussian noise.
  run(convert, ['-size', '700x160', 'xc:#1e1e1e', '-font', 'DejaVu-Sans-Mono', '-pointsize', '16', '-fill', '#d4d4d4',
    '-annotate', '+20+50', 'connection refused on port 8080', '-annotate', '+20+80', 'retrying the upstream request now',
    '-attenuate', '0.4', '+noise', 'Gaussian', path.join(collection, 'tickets/terminal.png')]);
  // Photo-like pictures: a plasma fractal (clouds, texture) and a blurred one, no text at all.
  run(convert, ['-size', '640x480', '-seed', '7', 'plasma:fractal', '-blur', '0x1', path.join(collection, 'photos/clouds.png')]);
  run(convert, ['-size', '512x512', '-seed', '3', 'plasma:green-blue', path.join(collection, 'photos/meadow.jpg')]);
  fs.writeFileSync(path.join(collection, 'docs/guide.pdf'), makePdf([
    ['Installation guide', 'Unpack the archive into an empty folder.'],
    ['Troubleshooting', 'A flickering lighthouse lamp means the fuse is loose.'],
  ]));
  fs.writeFileSync(path.join(collection, 'docs/memo.pdf'), makePdf([['Memo to the harbour master', 'Paint the pier.']]));
  const whole = makePdf([['Quarterly figures', 'Revenue grew.'], ['Appendix']]);
  fs.writeFileSync(path.join(collection, 'docs/truncated.pdf'), whole.subarray(0, 120));
  const plain = path.join(scratch, 'plain.pdf');
  fs.writeFileSync(plain, makePdf([['Salary table of the zeppelin crew']]));
  run('qpdf', ['--encrypt', 'reader-secret', 'owner-secret', '256', '--', plain, path.join(collection, 'docs/locked.pdf')]);
  return collection;
}

const collection = makeCollection();
const site = path.join(scratch, 'site');
// A cache of the test's own: OCR's words are kept by image, and the first run must read them.
const cache = path.join(scratch, 'cache');
const indexed = mosaic('index', collection, '--out', site, '--cache-dir', cache, '--json');
const report = indexed.status === 0 ? JSON.parse(indexed.stdout) : null;

test('an encrypted and a truncated PDF are skipped with their reasons and the rest is indexed', () => {
  assert.equal(indexed.status, 0, indexed.stderr);
  const reasons = Object.fromEntries(report.skipped.map((file) => [file.path, file.reason]));
  assert.deepEqual(Object.keys(reasons).sort(), ['docs/locked.pdf', 'docs/truncated.pdf']);
  assert.match(reasons['docs/locked.pdf'], /encrypted.*password/);
  assert.match(reasons['docs/truncated.pdf'], /damaged|truncated/);
  assert.equal(report.files_indexed, 6);
  assert.equal(report.extraction.ocr_images, 4);
  assert.equal(report.extraction.ocr_cache_hits, 0);
  assert.equal(report.extraction.pdf_pages, 3);
  assert.ok(report.extraction.ocr_seconds > 0);
});

test("a re-run takes OCR's words from the cache and keeps the same text; another cache reads again", () => {
  const kept = fs.readdirSync(path.join(cache, 'image-text')).filter((name) => name.endsWith('.json'));
  assert.equal(kept.length, 4, 'one file per image read');
  const againSite = path.join(scratch, 'site-again');
  const again = mosaic('index', collection, '--out', againSite, '--cache-dir', cache, '--json');
  assert.equal(again.status, 0, again.stderr);
  const extraction = JSON.parse(again.stdout).extraction;
  assert.equal(extraction.ocr_images, 4);
  assert.equal(extraction.ocr_cache_hits, 4);
  assert.equal(extraction.ocr_seconds, 0, 'no image read again');
  assert.equal(extraction.ocr_images_with_text, report.extraction.ocr_images_with_text);
  const snippets = (folder) => siteItems(folder).filter((item) => item.text_from === 'ocr')
    .map((item) => [item.source, item.snippet]).sort();
  assert.deepEqual(snippets(againSite), snippets(site));
  // A damaged cache file is a miss: that image is read again and its file rewritten.
  const damaged = path.join(cache, 'image-text', kept[0]);
  fs.writeFileSync(damaged, '{"format":"mosaic-image-text","version":1,"words":[["cut');
  const repaired = mosaic('index', collection, '--out', path.join(scratch, 'site-repaired'), '--cache-dir', cache, '--json');
  assert.equal(repaired.status, 0, repaired.stderr);
  assert.equal(JSON.parse(repaired.stdout).extraction.ocr_cache_hits, 3);
  assert.equal(JSON.parse(fs.readFileSync(damaged, 'utf8')).format, 'mosaic-image-text', 'rewritten whole');
  // --no-cache keeps nothing and reads every image.
  const uncached = mosaic('index', collection, '--out', path.join(scratch, 'site-uncached'), '--no-cache', '--json');
  assert.equal(uncached.status, 0, uncached.stderr);
  assert.equal(JSON.parse(uncached.stdout).extraction.ocr_cache_hits, 0);
  assert.ok(JSON.parse(uncached.stdout).extraction.ocr_seconds > 0);
});

test('words in a screenshot are its OCR text and find it; photos get none', () => {
  const items = siteItems(site);
  const dialog = items.find((item) => item.source === 'tickets/dialog.png');
  assert.equal(dialog.text_from, 'ocr');
  assert.match(dialog.snippet, /Error 500: session expired/);
  const terminal = items.find((item) => item.source === 'tickets/terminal.png');
  assert.equal(terminal.text_from, 'ocr');
  assert.match(terminal.snippet, /connection refused on port 8080/);
  for (const photo of ['photos/clouds.png', 'photos/meadow.jpg']) {
    const item = items.find((candidate) => candidate.source === photo);
    assert.equal(item.text_from, undefined, `${photo} must get no OCR text`);
    assert.ok(!/\n/.test(item.snippet ?? ''), `${photo}: its snippet is its name's words, not OCR noise`);
  }
  // The keyword index and the local model (vector search) both find the screenshot by its words.
  assert.equal(query(site, 'session expired', '--mode', 'keyword')[0].item.source, 'tickets/dialog.png');
  assert.equal(query(site, 'session expired', '--mode', 'vector')[0].item.source, 'tickets/dialog.png');
  assert.equal(query(site, 'session expired')[0].item.source, 'tickets/dialog.png');
  assert.equal(query(site, 'port 8080 refused', '--mode', 'keyword')[0].item.source, 'tickets/terminal.png');
});

test("a PDF's pages are items found by their words, with a rendered first page as the thumbnail", () => {
  const items = siteItems(site);
  const pages = items.filter((item) => item.source === 'docs/guide.pdf').sort((a, b) => a.source_offset - b.source_offset);
  assert.deepEqual(pages.map((page) => page.source_offset), [1, 2]);
  assert.deepEqual(pages.map((page) => page.title), ['guide.pdf (page 1 of 2)', 'guide.pdf (page 2 of 2)']);
  assert.ok(pages.every((page) => page.text_from === 'pdf' && page.media && page.thumbnail));
  assert.match(pages[1].snippet, /flickering lighthouse lamp/);
  const secondPage = query(site, 'flickering lighthouse', '--mode', 'keyword')[0].item;
  assert.equal(secondPage.source, 'docs/guide.pdf');
  assert.equal(secondPage.source_offset, 2);
  assert.equal(query(site, 'lighthouse lamp fuse', '--mode', 'vector')[0].item.source, 'docs/guide.pdf');
  // The thumbnail is the first page drawn: mostly white paper with dark text, and another PDF's
  // first page gives another picture (not one icon for every PDF).
  const memo = items.find((item) => item.source === 'docs/memo.pdf');
  assert.notEqual(memo.thumbnail, pages[0].thumbnail);
  const brightness = meanBrightness(path.join(site, pages[0].thumbnail));
  assert.ok(brightness > 0.9 && brightness < 0.999, `a white page with some text, mean brightness ${brightness}`);
  const size = run(convert, [path.join(site, pages[0].thumbnail), '-format', '%w %h', 'info:']).split(' ').map(Number);
  assert.equal(Math.max(...size), 256);
  assert.ok(Math.abs(size[0] / size[1] - 612 / 792) < 0.02, `the page's shape, got ${size}`);
});

test('a listed description is the snippet of an image with words in it, and its words still find it', () => {
  const captions = path.join(scratch, 'described.jsonl');
  fs.writeFileSync(captions, `${JSON.stringify({ path: 'tickets/dialog.png', caption: 'an error dialog', description: 'The login error dialog.' })}\n`);
  const describedSite = path.join(scratch, 'site-described');
  const described = mosaic('index', collection, '--out', describedSite, '--cache-dir', cache, '--captions', captions);
  assert.equal(described.status, 0, described.stderr);
  const dialog = siteItems(describedSite).find((item) => item.source === 'tickets/dialog.png');
  assert.equal(dialog.text_from, 'ocr');
  assert.equal(dialog.snippet, 'The login error dialog.', 'the description, not the words read');
  assert.equal(query(describedSite, 'session expired', '--mode', 'keyword')[0].item.source, 'tickets/dialog.png');
});

test('--ocr off reads no image text and --ocr with a wrong value is refused', () => {
  const offSite = path.join(scratch, 'site-off');
  const off = mosaic('index', collection, '--out', offSite, '--cache-dir', cache, '--json', '--ocr', 'off');
  assert.equal(off.status, 0, off.stderr);
  assert.equal(JSON.parse(off.stdout).extraction.ocr_images, 0);
  const dialog = siteItems(offSite).find((item) => item.source === 'tickets/dialog.png');
  assert.equal(dialog.text_from, undefined);
  assert.equal(query(offSite, 'session expired', '--mode', 'keyword').length, 0);
  const wrong = mosaic('index', collection, '--out', offSite, '--ocr', 'sometimes');
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /--ocr must be auto, on or off/);
});
