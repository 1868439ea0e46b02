// PDF parts and video segments in the web app (headless Chromium at 375 px): only a Gemini index has
// them, so `mosaic index --provider gemini` against the Gemini API test double builds the site here
// from files made in the test: a 20-page PDF with a text layer (parts of at most 6 pages) and a 300 s
// video made by ffmpeg that opens on black (segments of at most 120 s). A PDF part's card shows the
// PDF's first-page picture (the indexer draws page 1 for every part), its pages ("pages 7–12") and
// opens the PDF at the part's first page; a video segment shows its poster frame on the player and its
// start time, on the card and in the detail view (the poster once, on the player).
// Run by ctest in build-wasm; environment: see browser.mjs (this file also needs MOSAIC_GEMINI_DOUBLE).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { makePdf } from '../support/pdf_fixtures.mjs';
import { makeVideo } from '../support/video_fixtures.mjs';
import { browserTestEnvironment, openApp, pageRunner, readSiteItems, resultCard, searchFor, startGeminiSite } from './browser.mjs';

const { siteAppDirectory, nativeCli, modelDirectory, screenshotDirectory, playwright, geminiDouble } =
  browserTestEnvironment({ geminiDouble: true });
const phone = { width: 375, height: 667 };
// A key shaped like Google's, new in every run.
const apiKey = `AIzaSy${randomBytes(16).toString('hex')}`;

let root, double, server, items, withPage;

const clock = (milliseconds) => `${Math.floor(milliseconds / 60000)}:${String(Math.floor(milliseconds / 1000) % 60).padStart(2, '0')}`;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-media-parts-'));
  const collection = path.join(root, 'collection');
  for (const folder of ['docs', 'clips']) fs.mkdirSync(path.join(collection, folder), { recursive: true });
  const pages = Array.from({ length: 20 }, (_, index) => [`Service manual, page ${index + 1}`]);
  pages[8] = ['Service manual, page 9', 'The compressor reset switch is under the lid.'];
  fs.writeFileSync(path.join(collection, 'docs/service.pdf'), makePdf(pages));
  fs.writeFileSync(path.join(collection, 'clips/lecture.mp4'), makeVideo({ black: 2, seconds: 298, width: 160, height: 120 }));
  fs.writeFileSync(path.join(collection, 'clips/lecture.txt'), 'a recorded lecture');
  ({ double, server } = await startGeminiSite({
    nativeCli, geminiDouble, siteAppDirectory, modelDirectory, root, collection, apiKey, indexArguments: ['--transcribe', 'off'],
  }));
  items = readSiteItems(path.join(root, 'site'));
  withPage = pageRunner({ playwright, root, screenshotDirectory });
});

after(async () => {
  await server?.stop();
  await double?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

// A word search: a Gemini index's text queries would go to the proxy; the words need no embedding.
async function searchWords(page, text) {
  await page.selectOption('#search-mode', 'keyword');
  await searchFor(page, text);
}

const cardOf = (page, modality) => resultCard(page, modality, { includeWeaker: true });

test("a PDF part shows the PDF's first-page picture and its pages, and opens the PDF at the part's first page", async () => {
  const part = items.find((item) => item.source === 'docs/service.pdf' && item.source_offset === 7);
  assert.equal(part?.last_page, 12, JSON.stringify(items.filter((item) => item.modality === 'pdf')));
  assert.ok(part.thumbnail);
  await withPage('media-parts-pdf', async (page) => {
    await openApp(page, `http://127.0.0.1:${server.port}/`);
    await searchWords(page, 'compressor');
    const card = await cardOf(page, 'pdf');
    assert.equal(card.id, part.id);
    assert.equal(card.pageRange, 'pages 7–12');
    assert.equal(card.source, 'From the PDF, pages 7–12');
    assert.deepEqual(card.marked, ['compressor']);
    assert.ok(card.picture.endsWith(`/${part.thumbnail}`), card.picture);
    assert.ok(card.pictureLoaded, 'the first-page picture is shown');
    assert.match(card.pdfLink, /\/media\/[0-9a-f]{64}\.pdf#page=7$/);
    assert.equal(card.pdfLinkText, 'Open PDF at page 7');
  }, { viewport: phone });
});

test('a video segment shows its poster frame and its start time', async () => {
  const segments = items.filter((item) => item.source === 'clips/lecture.mp4');
  assert.ok(segments.length >= 3 && segments.every((segment) => segment.thumbnail && segment.media), JSON.stringify(segments));
  const later = segments.find((segment) => segment.source_offset > 0);
  await withPage('media-parts-video', async (page) => {
    await openApp(page, `http://127.0.0.1:${server.port}/`);
    // The card of the best segment: its player in the picture's place with the poster frame, and its
    // start when it is not the first.
    await searchWords(page, 'lecture');
    const card = await cardOf(page, 'video');
    const shown = segments.find((segment) => segment.id === card.id);
    assert.ok(shown, card.id);
    assert.ok(card.pictureLoaded, 'the poster frame loads');
    assert.ok(card.poster.endsWith(`/${shown.thumbnail}`), card.poster);
    assert.equal(card.players, 1);
    assert.equal(card.picture, undefined, 'the poster is shown once, on the player in the picture\'s place');
    assert.equal(card.startsAt, shown.source_offset ? `starts at ${clock(shown.source_offset)}` : undefined);
    // A later segment from the start page's grid: the detail view says where it starts, with its poster.
    await page.goto(`http://127.0.0.1:${server.port}/`);
    await page.waitForSelector('mosaic-search[data-loaded="complete"]');
    // Every segment's tile shows its whole title: they differ only in their times, at the end.
    const cutTitles = await page.$$eval('.browse-tile .browse-title', (titles) => titles
      .filter((title) => title.scrollHeight > title.clientHeight + 1 || title.scrollWidth > title.clientWidth + 1)
      .map((title) => title.textContent));
    assert.deepEqual(cutTitles, []);
    await page.click(`.browse-tile[data-item-id="${later.id}"] .browse-open`);
    await page.waitForSelector('#detail[open]');
    const detail = await page.$eval('#detail', (dialog) => ({
      facts: Object.fromEntries([...dialog.querySelectorAll('.detail-meta dt')].map((term) => [term.textContent, term.nextElementSibling.textContent])),
      poster: dialog.querySelector('video.detail-media')?.poster,
      pictures: dialog.querySelectorAll('img').length,
    }));
    assert.equal(detail.facts['Starts at'], clock(later.source_offset));
    assert.ok(detail.poster.endsWith(`/${later.thumbnail}`), detail.poster);
    assert.equal(detail.pictures, 0, 'the poster is shown on the player, not again as a picture above it');
  }, { viewport: phone });
});
