// The web app in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core), against
// `mosaic serve --web site-app/ --site SITE` on 127.0.0.1 with a small text index the native CLI builds
// here with the local model: a text query puts the expected item first and the label panel votes,
// "more like this", a filter chip, the progress bar during load, a reload that downloads no shard, an
// image and a sound refused with a clear message by a local-model index (whose audio controls say
// so), and the layout at 375 px. Queries by image, sound and recording over a Gemini-model index are
// in media_queries.test.mjs. Every test saves a screenshot in MOSAIC_SCREENSHOT_DIR.
// Run by ctest in build-wasm (it needs the assembled app); environment: see browser.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { makePng, makeWav } from '../support/media_fixtures.mjs';
import {
  browserTestEnvironment, dropFile, openApp as openAppAt, pageRunner, resultCards, runMosaic, sampleFiles as files, searchFor,
  startAppServer, writeFiles,
} from './browser.mjs';

const { siteAppDirectory, nativeCli, modelDirectory, screenshotDirectory, playwright } = browserTestEnvironment();
const shardItems = 2;  // several shards, so that loading has steps to see

let root, site, server, withPage;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-web-app-'));
  const collection = path.join(root, 'collection');
  site = path.join(root, 'site');
  writeFiles(collection, files);
  runMosaic(nativeCli, ['index', collection, '--out', site, '--shard-items', String(shardItems), '--model-dir', modelDirectory]);
  withPage = pageRunner({ playwright, root, screenshotDirectory });
  server = await startAppServer({ nativeCli, site, siteAppDirectory, modelDirectory, root });
});

after(async () => {
  await server?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const appUrl = () => `http://127.0.0.1:${server.port}/`;
const openApp = (page) => openAppAt(page, appUrl());

test('a text query, embedded in the page by the local model, puts the expected item first and the label panel votes', async () => {
  await withPage('text-query', async (page) => {
    await openApp(page);
    assert.match(await page.textContent('#status'), /^6 items · [\d.]+ MB$/);
    await searchFor(page, 'which animal runs fastest');
    const results = await resultCards(page);
    assert.equal(results.length, Object.keys(files).length);
    assert.match(results[0].title, /cheetah/);
    assert.equal(results[0].label, 'animals');
    for (let index = 1; index < results.length; index++) assert.ok(results[index - 1].score >= results[index].score, 'scores descend');
    assert.equal(await page.textContent('#voted-label'), 'animals');
    assert.match(await page.textContent('#voted-confidence'), /^\d+%$/);
    assert.match(await page.textContent('#status'), /last hybrid search [\d.]+ ms$/);
    // A model file was fetched by the page: the query was embedded there, not by the server.
    assert.ok(await page.evaluate(() => performance.getEntriesByType('resource').some((entry) => entry.name.includes('/model/model.json'))));
  });
});

test('"more like this" searches with the stored vector and leaves the item itself out', async () => {
  await withPage('more-like-this', async (page) => {
    await openApp(page);
    await searchFor(page, 'slow old tortoise');
    const [first] = await resultCards(page);
    assert.match(first.title, /tortoise/);
    let embedCalls = 0;
    page.on('request', (request) => { if (/^\/api\/(?!events$)/.test(new URL(request.url()).pathname)) embedCalls += 1; });
    // By keyboard: focus the first result's button and press Enter.
    await page.focus('#results .result:first-child .more-like-this');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('mosaic-search').shadowRoot.querySelector('#query-summary').textContent.startsWith('More like'));
    const similar = await resultCards(page);
    assert.equal(similar.length, Object.keys(files).length - 1);
    assert.ok(!similar.some((result) => result.id === first.id), 'the item itself is not among its neighbours');
    assert.equal(similar[0].label, 'animals');
    assert.equal(embedCalls, 0);
  });
});

test('a label chip filters the results and a kind chip is offered', async () => {
  await withPage('filter-chip', async (page) => {
    await openApp(page);
    const labels = await page.$$eval('#label-chips .chip', (chips) => chips.map((chip) => chip.dataset.value).sort());
    assert.deepEqual(labels, ['animals', 'finance', 'food']);
    assert.deepEqual(await page.$$eval('#kind-chips .chip', (chips) => chips.map((chip) => chip.dataset.value)), ['text']);
    await searchFor(page, 'which animal runs fastest');
    assert.equal((await resultCards(page))[0].label, 'animals');
    await page.click('#label-chips .chip[data-value="food"]');
    await page.waitForFunction(() => [...document.querySelector('mosaic-search').shadowRoot.querySelectorAll('#results .result, #weaker-results .result')].every((card) => card.dataset.label === 'food'));
    const filtered = await resultCards(page);
    assert.equal(filtered.length, 2);
    assert.equal(await page.getAttribute('#label-chips .chip[data-value="food"]', 'aria-pressed'), 'true');
    await page.click('#label-chips .chip[data-value="food"]');
    await page.waitForFunction((count) => document.querySelector('mosaic-search').shadowRoot.querySelectorAll('#results .result, #weaker-results .result').length === count, Object.keys(files).length);
  });
});

test('the progress bar shows while shards load, the first shard is searchable at once, and the bar goes when all are in', async () => {
  await withPage('progress', async (page) => {
    // Every shard but the first is held until the test has looked at the loading state.
    const manifest = JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
    const first = new Set([manifest.shards[0].file, manifest.shards[0].metadata.file]);
    let release;
    const released = new Promise((resolve) => { release = resolve; });
    await page.route(/\/index\/(shards|items)\//, async (route) => {
      const file = new URL(route.request().url()).pathname.replace(/^\/index\//, '');
      if (!first.has(file)) await released;
      await route.continue();
    });
    await page.goto(appUrl());
    await page.waitForSelector('mosaic-search[data-state="ready"]', { timeout: 30000 });
    assert.equal(await page.isVisible('#load-progress'), true);
    const bar = await page.$eval('#progress-bar', (progress) => ({ value: progress.value, max: progress.max }));
    assert.ok(bar.value > 0 && bar.value < bar.max, `the bar shows part of the bytes (${bar.value} of ${bar.max})`);
    assert.match(await page.textContent('#status'), /^2 of 6 items · [\d.]+ MB · loading 1 of \d+ shards$/);
    await searchFor(page, 'which animal runs fastest');
    assert.match(await page.textContent('#query-summary'), /partial: 1 of \d+ shards searched/);
    assert.equal((await resultCards(page)).length, manifest.shards[0].items);
    await page.screenshot({ path: path.join(screenshotDirectory, 'progress-loading.png') });
    release();
    await page.waitForSelector('mosaic-search[data-loaded="complete"]', { timeout: 30000 });
    assert.equal(await page.isHidden('#load-progress'), true);
    // The app searches again once everything is in, and the answer is whole.
    await page.waitForFunction((count) => document.querySelector('mosaic-search').shadowRoot.querySelectorAll('#results .result, #weaker-results .result').length === count, Object.keys(files).length);
    assert.doesNotMatch(await page.textContent('#query-summary'), /partial/);
    assert.match(await page.textContent('#status'), /^6 items/);
  });
});

test('a reload downloads no shard again: they come from the browser\'s store', async () => {
  await withPage('reload', async (page) => {
    const shardRequests = [];
    page.on('request', (request) => {
      if (/\/index\/(shards|items)\//.test(new URL(request.url()).pathname)) shardRequests.push(request.url());
    });
    await openApp(page);
    const firstLoad = shardRequests.length;
    assert.ok(firstLoad >= Math.ceil(Object.keys(files).length / shardItems), `the first visit downloads the shards (${firstLoad})`);
    await page.reload();
    await page.waitForSelector('mosaic-search[data-loaded="complete"]', { timeout: 30000 });
    assert.deepEqual(shardRequests.slice(firstLoad), []);
    await searchFor(page, 'bake bread in the oven');
    assert.match((await resultCards(page))[0].title, /bread/);
  });
});

test('an image dropped on a local-model index is answered with a clear message, not a failed call', async () => {
  await withPage('image-local-model', async (page) => {
    await openApp(page);
    await page.setInputFiles('#image-input', { name: 'square.png', mimeType: 'image/png', buffer: makePng({ width: 8, height: 8 }) });
    await page.waitForSelector('#message:not([hidden])');
    assert.match(await page.textContent('#message'), /local text model .* reads text only/);
  });
});

test('on a local-model index the audio controls say audio is not supported, and a dropped sound is refused without a call', async () => {
  await withPage('audio-local-model', async (page) => {
    const apiCalls = [];
    // /api/events is only where the app listens for new generations (a static host answers 404); any other /api/ call is a server doing work.
    page.on('request', (request) => { if (/^\/api\/(?!events$)/.test(new URL(request.url()).pathname)) apiCalls.push(request.url()); });
    await openApp(page);
    assert.equal(await page.isVisible('#audio-note'), true);
    assert.match(await page.textContent('#audio-note'), /Audio search is not available here: this index was built with the local text model \(use-lite-512@[^)]+\), which reads text only/);
    assert.equal(await page.isDisabled('#record-button'), true);
    assert.equal(await page.getAttribute('#audio-pick', 'aria-disabled'), 'true');
    assert.equal(await page.isDisabled('#audio-input'), true);
    // The picker explains itself instead of opening a file dialog (by keyboard: it is a focusable label).
    await page.focus('#audio-pick');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#message:not([hidden])');
    assert.match(await page.textContent('#message'), /local text model .* reads text only/);
    await page.evaluate(() => { document.querySelector('mosaic-search').shadowRoot.querySelector('#message').hidden = true; });
    await dropFile(page, { name: 'bell.wav', type: 'audio/wav', bytes: makeWav({ comment: 'a church bell ringing' }) });
    await page.waitForSelector('#message:not([hidden])');
    assert.match(await page.textContent('#message'), /Audio search is not available here/);
    assert.deepEqual(apiCalls, []);
  });
});

test('at 375 px wide nothing overflows sideways and results stay readable', async () => {
  await withPage('narrow', async (page) => {
    await openApp(page);
    await searchFor(page, 'tomato soup with basil');
    assert.match((await resultCards(page))[0].title, /soup/);
    const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, card: document.querySelector('mosaic-search').shadowRoot.querySelector('#results .result').getBoundingClientRect().width }));
    assert.ok(widths.page <= 375, `the page is ${widths.page} px wide`);
    assert.ok(widths.card >= 300, `a result card is ${widths.card} px wide`);
  }, { viewport: { width: 375, height: 800 } });
});
