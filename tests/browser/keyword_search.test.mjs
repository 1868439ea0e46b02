// Hybrid search in the web app, in headless Chromium against `mosaic serve` with an index the native
// CLI builds here with the local model: typing an exact error code finds its ticket first with the
// code highlighted, the mode can be switched (and the status line says which ran), and a word search
// loads no model. Every test saves a screenshot in MOSAIC_SCREENSHOT_DIR.
// Run by ctest in build-wasm (it needs the assembled app); environment: see browser.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  browserTestEnvironment, openApp as openAppAt, pageRunner, resultCards, runMosaic, searchFor, startAppServer, writeFiles,
} from './browser.mjs';

const { siteAppDirectory, nativeCli, modelDirectory, screenshotDirectory, playwright } = browserTestEnvironment();

// Support tickets: the one with the code says little else, so only its words can put it first.
const files = {
  'tickets/session.txt': 'Customer reports ERR-4521 after the weekend.',
  'tickets/login.txt': 'Users cannot log in: the login page shows an error and refuses the password.',
  'tickets/billing.txt': 'An invoice was charged twice after the payment page timed out.',
  'tickets/upload.txt': 'Uploading a large photo fails with an error on slow connections.',
  'tickets/export.txt': 'The export to spreadsheet stops with an error at ten thousand rows.',
};

let root, server, withPage;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-keyword-search-'));
  const collection = path.join(root, 'collection');
  const site = path.join(root, 'site');
  writeFiles(collection, files);
  runMosaic(nativeCli, ['index', collection, '--out', site, '--model-dir', modelDirectory]);
  withPage = pageRunner({ playwright, root, screenshotDirectory });
  server = await startAppServer({ nativeCli, site, siteAppDirectory, modelDirectory, root });
});

after(async () => {
  await server?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const openApp = (page) => openAppAt(page, `http://127.0.0.1:${server.port}/`);

test('typing an exact code finds its item first, with the code highlighted, in hybrid mode', async () => {
  await withPage('keyword-code', async (page) => {
    await openApp(page);
    assert.equal(await page.isVisible('#search-mode'), true, 'the index has keywords: the mode can be chosen');
    assert.equal(await page.inputValue('#search-mode'), 'hybrid');
    await searchFor(page, 'error ERR-4521');
    const [first] = await resultCards(page);
    assert.match(first.title, /ERR-4521|session/i);
    const marks = await page.$$eval('#results .result:first-child mark', (elements) => elements.map((element) => element.textContent));
    assert.ok(marks.includes('ERR-4521'), `highlighted: ${marks.join(', ')}`);
    assert.match(await page.textContent('#status'), /last hybrid search [\d.]+ ms/);
  });
});

test('a word search loads no model; switching the mode searches again and says which ran', async () => {
  await withPage('keyword-mode', async (page) => {
    await openApp(page);
    await page.selectOption('#search-mode', 'keyword');
    await searchFor(page, 'invoice');
    const results = await resultCards(page);
    assert.equal(results.length, 1, 'only the ticket with the word');
    assert.match(await page.textContent('#status'), /last word search [\d.]+ ms/);
    const modelFetched = await page.evaluate(() => performance.getEntriesByType('resource').some((entry) => entry.name.includes('/model/')));
    assert.equal(modelFetched, false, 'no model file for a word search');
    await page.selectOption('#search-mode', 'vector');
    await page.waitForFunction(() => /last meaning search/.test(document.querySelector('mosaic-search').shadowRoot.querySelector('#status').textContent) && document.querySelector('mosaic-search').dataset.state === 'ready');
    assert.equal((await resultCards(page)).length, Object.keys(files).length, 'meaning search ranks every item');
  });
});
