// The web app stays current: a page open on `mosaic serve` hears of a new generation through
// /api/events when the site is re-indexed with a new item, and without a reload says so on its
// status line, rebuilds its filter chips, runs the current query again (the new item comes first),
// and downloads only the shards that are new. At 375 px, like a phone. Screenshot: live-update.png.
// Run by ctest in build-wasm (it needs the assembled app); environment: see browser.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  browserTestEnvironment, openApp, pageRunner, resultCards, runMosaic, sampleFiles, searchFor, startAppServer, writeFiles,
} from './browser.mjs';

const { siteAppDirectory, nativeCli, modelDirectory, screenshotDirectory, playwright } = browserTestEnvironment();

let root, collection, site, server, withPage;

const buildIndex = () => runMosaic(nativeCli, ['index', collection, '--out', site, '--shard-items', '2', '--model-dir', modelDirectory]);
const readManifest = () => JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
const namedFiles = (manifest) => manifest.shards.flatMap((shard) => [shard.file, shard.metadata.file]);

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-live-update-'));
  collection = path.join(root, 'collection');
  site = path.join(root, 'site');
  writeFiles(collection, sampleFiles);
  buildIndex();
  withPage = pageRunner({ playwright, root, screenshotDirectory });
  server = await startAppServer({ nativeCli, site, siteAppDirectory, modelDirectory, root, extra: ['--watch-ms', '200'] });
});

after(async () => {
  await server?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

test('a re-indexed collection reaches an open page without a reload: status, filters, results, only new shards', async () => {
  await withPage('live-update', async (page) => {
    const fileRequests = [];
    let eventStreams = 0;
    page.on('request', (request) => {
      const { pathname } = new URL(request.url());
      if (/^\/index\/(shards|items)\//.test(pathname)) fileRequests.push(pathname.slice('/index/'.length));
      if (pathname === '/api/events') eventStreams += 1;
    });
    await openApp(page, `http://127.0.0.1:${server.port}/`);
    assert.equal(await page.getAttribute('mosaic-search', 'data-generation'), '1');
    const before = readManifest();
    assert.deepEqual([...fileRequests].sort(), namedFiles(before).sort());
    await searchFor(page, 'eight arms under the sea');
    assert.doesNotMatch((await resultCards(page))[0].title, /octopus/i);
    const labelChips = () => page.$$eval('#label-chips button', (chips) => chips.map((chip) => chip.textContent));
    assert.ok(!(await labelChips()).some((text) => text.includes('sea')));
    // The page is told through its event stream (no polling: the test would wait a minute).
    assert.equal(eventStreams, 1);

    fileRequests.length = 0;
    writeFiles(collection, { 'sea/octopus.txt': 'The octopus has eight arms and changes colour to hide on the coral reef.' });
    buildIndex();
    const afterwards = readManifest();
    assert.equal(afterwards.generation, 2);

    await page.waitForFunction(() => document.querySelector('mosaic-search').dataset.generation === '2', null, { timeout: 30000 });
    assert.match(await page.textContent('#status'), /^7 items · [\d.]+ MB · last hybrid search [\d.]+ ms · updated: 1 new item \(generation 2\)$/);
    // The current query ran again over the new collection: the new item first, no reload.
    await page.waitForFunction(() => /octopus/i.test(document.querySelector('mosaic-search').shadowRoot.querySelector('#results .result .result-title')?.textContent ?? ''),
      null, { timeout: 30000 });
    assert.match((await resultCards(page))[0].title, /octopus/i);
    assert.ok((await labelChips()).some((text) => text.includes('sea')), 'the new label is offered as a filter');
    // Only the files the old generation did not name were downloaded.
    const newFiles = namedFiles(afterwards).filter((file) => !namedFiles(before).includes(file));
    assert.ok(newFiles.length > 0 && newFiles.length < namedFiles(afterwards).length);
    assert.deepEqual([...fileRequests].sort(), newFiles.sort());
    // A new query finds it too, and the page still fits a phone.
    await searchFor(page, 'a creature of the coral reef');
    assert.match((await resultCards(page))[0].title, /octopus/i);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling at 375 px');
    assert.equal(await page.isVisible('#message'), false);
    assert.equal(eventStreams, 1, 'one event stream the whole time');
  }, { viewport: { width: 375, height: 800 } });
});
