// Audio, video and PDF results in the web app (headless Chromium, as in web_app.test.mjs), against
// `mosaic serve` over an index the native CLI builds here with the local model: a WAV and a PDF,
// each with a caption. The audio result gets an <audio controls> player on its media copy, the PDF a
// link that opens it, both reachable by keyboard; the media URLs answer 200 with their MIME type and
// honour Range requests (what <audio> and <video> use to seek).
// Run by ctest in build-wasm with the same environment as web_app.test.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

import { makeWav } from '../support/media_fixtures.mjs';
import { makePdf } from '../support/container_fixtures.mjs';
import { startProcess } from '../support/processes.mjs';
import { chromiumPath, launchBrowser } from './browser.mjs';

const siteAppDirectory = process.env.MOSAIC_SITE_APP_DIR;
const nativeCli = process.env.MOSAIC_NATIVE_CLI;
const modelDirectory = process.env.MOSAIC_MODEL_DIR;
const testPackages = process.env.MOSAIC_TEST_NODE_PREFIX;
const screenshotDirectory = process.env.MOSAIC_SCREENSHOT_DIR;
const required = [['MOSAIC_SITE_APP_DIR', siteAppDirectory], ['MOSAIC_NATIVE_CLI', nativeCli], ['MOSAIC_MODEL_DIR', modelDirectory],
  ['MOSAIC_TEST_NODE_PREFIX', testPackages], ['chromium', chromiumPath]];
const missing = required.filter(([, value]) => !value || !fs.existsSync(value)).map(([name]) => name);
if (!screenshotDirectory) missing.push('MOSAIC_SCREENSHOT_DIR');
assert.deepEqual(missing, [], 'run through ctest in build-wasm after make native, make test-packages and make dependencies');

let root, site, server, playwright;

before(async () => {
  playwright = createRequire(path.join(testPackages, 'package.json'))('playwright-core');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-media-results-'));
  const collection = path.join(root, 'collection');
  site = path.join(root, 'site');
  fs.mkdirSync(collection, { recursive: true });
  fs.writeFileSync(path.join(collection, 'birdsong.wav'), makeWav({ seconds: 1 }));
  fs.writeFileSync(path.join(collection, 'birdsong.txt'), 'a blackbird singing at dawn in the garden');
  fs.writeFileSync(path.join(collection, 'tax-form.pdf'), makePdf({ pages: 2 }));
  fs.writeFileSync(path.join(collection, 'tax-form.txt'), 'the annual income tax return form');
  const indexed = spawnSync(nativeCli, ['index', collection, '--out', site, '--model-dir', modelDirectory,
    '--cache-dir', path.join(root, 'cache')], { encoding: 'utf8' });
  assert.equal(indexed.status, 0, indexed.stderr);
  fs.mkdirSync(screenshotDirectory, { recursive: true });
  server = await startProcess(nativeCli, ['serve', '--port', '0', '--site', site, '--web', siteAppDirectory,
    '--model-dir', modelDirectory, '--cache-dir', path.join(root, 'embedding-cache'), '--threads', '1', '--workers', '1'],
  { ready: /listening on http:\/\/127\.0\.0\.1:(\d+)\// });
});

after(async () => {
  await server?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

async function withPage(name, body) {
  const browser = await launchBrowser(playwright, path.join(root, `profile-${name}`), { viewport: { width: 1100, height: 800 } });
  const page = browser.pages()[0] ?? await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  try {
    await body(page);
    await page.screenshot({ path: path.join(screenshotDirectory, `${name}.png`), fullPage: true });
    assert.deepEqual(pageErrors, [], 'the page threw');
  } catch (error) {
    await page.screenshot({ path: path.join(screenshotDirectory, `${name}-failed.png`), fullPage: true }).catch(() => {});
    throw error;
  } finally {
    await browser.close();
  }
}

async function searchFor(page, text) {
  await page.goto(`http://127.0.0.1:${server.port}/`);
  await page.waitForSelector('body[data-loaded="complete"]', { timeout: 30000 });
  await page.fill('#query', text);
  await page.press('#query', 'Enter');
  await page.waitForFunction((expected) => document.querySelector('#query-summary')?.textContent.includes(expected)
    && document.body.dataset.state === 'ready', text, { timeout: 60000 });
}

test('an audio result plays its media copy and a PDF result links to the PDF', async () => {
  await withPage('media-results', async (page) => {
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
    const pdfLink = await page.$eval('#results .result[data-modality="pdf"] a.open-media', (link) => ({
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
      const focused = await page.evaluate(() => document.activeElement?.className ?? '');
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
