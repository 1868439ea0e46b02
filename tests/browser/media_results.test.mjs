// Audio, video and PDF results in the web app (headless Chromium, as in web_app.test.mjs), against
// `mosaic serve` over an index the native CLI builds here with the local model: a WAV and a PDF,
// each with a caption. The audio result gets an <audio controls> player on its media copy, the PDF a
// link that opens it, both reachable by keyboard; the media URLs answer 200 with their MIME type and
// honour Range requests (what <audio> and <video> use to seek).
// Run by ctest in build-wasm with the same environment as web_app.test.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { makeWav } from '../support/media_fixtures.mjs';
import { makePdf } from '../support/container_fixtures.mjs';
import { browserTestEnvironment, focusedClass, openApp, pageRunner, runMosaic, searchFor, startAppServer } from './browser.mjs';

const { siteAppDirectory, nativeCli, modelDirectory, screenshotDirectory, playwright } = browserTestEnvironment();

let root, site, server, withPage;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-media-results-'));
  const collection = path.join(root, 'collection');
  site = path.join(root, 'site');
  fs.mkdirSync(collection, { recursive: true });
  fs.writeFileSync(path.join(collection, 'birdsong.wav'), makeWav({ seconds: 1 }));
  fs.writeFileSync(path.join(collection, 'birdsong.txt'), 'a blackbird singing at dawn in the garden');
  fs.writeFileSync(path.join(collection, 'tax-form.pdf'), makePdf({ pages: 2 }));
  fs.writeFileSync(path.join(collection, 'tax-form.txt'), 'the annual income tax return form');
  runMosaic(nativeCli, ['index', collection, '--out', site, '--model-dir', modelDirectory,
    '--cache-dir', path.join(root, 'cache')]);
  withPage = pageRunner({ playwright, root, screenshotDirectory });
  server = await startAppServer({ nativeCli, site, siteAppDirectory, modelDirectory, root });
});

after(async () => {
  await server?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

test('an audio result plays its media copy and a PDF result links to the PDF', async () => {
  await withPage('media-results', async (page) => {
    await openApp(page, `http://127.0.0.1:${server.port}/`);
    await searchFor(page, 'a bird singing in the morning');
    const first = await page.$eval('#results .result:first-child', (card) => ({
      modality: card.dataset.modality,
      audio: card.querySelector('audio.result-media')?.getAttribute('src'),
      controls: card.querySelector('audio.result-media')?.controls,
      preload: card.querySelector('audio.result-media')?.preload,
    }));
    assert.equal(first.modality, 'audio');
    assert.equal(first.controls, true);
    assert.equal(first.preload, 'none', 'nothing is downloaded until played');
    assert.match(first.audio, /\/media\/[0-9a-f]{64}\.wav$/);
    // The PDF may be among the weaker matches: unfolded, so that the keyboard can reach it below.
    if (await page.isVisible('#show-weaker')) await page.click('#show-weaker');
    const pdfLink = await page.$eval('.result[data-modality="pdf"] a.open-media', (link) => ({
      href: link.href, text: link.textContent, target: link.target,
    }));
    assert.match(pdfLink.href, /\/media\/[0-9a-f]{64}\.pdf$/);
    assert.equal(pdfLink.text, 'Open PDF');
    assert.equal(pdfLink.target, '_blank');

    // Keyboard: Tab from the query reaches the audio player and the PDF link.
    await page.focus('#query');
    const reached = new Set();
    for (let step = 0; step < 40 && reached.size < 2; step++) {
      await page.keyboard.press('Tab');
      const focused = await focusedClass(page);
      if (focused.includes('result-media') || focused.includes('open-media')) reached.add(focused);
    }
    assert.deepEqual([...reached].sort(), ['open-media', 'result-media']);

    // The media URLs the page uses: 200 with their type, and 206 for a range.
    const audioUrl = new URL(first.audio, `http://127.0.0.1:${server.port}/`).href;
    const audio = await fetch(audioUrl);
    assert.equal(audio.status, 200);
    assert.equal(audio.headers.get('content-type'), 'audio/wav');
    const audioBytes = Buffer.from(await audio.arrayBuffer());
    assert.equal(audioBytes.subarray(0, 4).toString('latin1'), 'RIFF');
    const pdf = await fetch(pdfLink.href);
    assert.equal(pdf.status, 200);
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    assert.deepEqual(Buffer.from(await pdf.arrayBuffer()), makePdf({ pages: 2 }));
    const range = await fetch(audioUrl, { headers: { Range: 'bytes=4-11' } });
    assert.equal(range.status, 206);
    assert.deepEqual(Buffer.from(await range.arrayBuffer()), audioBytes.subarray(4, 12));
  });
});
