// The web app in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core), against
// `mosaic serve --web site-app/ --site SITE` on 127.0.0.1 with a small text index the native CLI builds
// here with the local model: a text query puts the expected item first and the label panel votes,
// "more like this", a filter chip, the progress bar during load, a reload that downloads no shard, an
// image refused with a clear message by a local-model index, an image dropped on a Gemini-model index
// (manifest and proxy answered by the test's routes) sent through the proxy, and the layout at 375 px.
// Every test saves a screenshot in MOSAIC_SCREENSHOT_DIR.
// Run by ctest in build-wasm (it needs the assembled app): MOSAIC_SITE_APP_DIR (build-wasm/site-app),
// MOSAIC_NATIVE_CLI (the native build's mosaic, which builds the index and serves), MOSAIC_MODEL_DIR
// (the local model's files), MOSAIC_TEST_NODE_PREFIX (where playwright-core is installed).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

import { makePng } from '../support/media_fixtures.mjs';
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
if (!screenshotDirectory) missing.push('MOSAIC_SCREENSHOT_DIR');  // made by the test when missing
assert.deepEqual(missing, [], 'run through ctest in build-wasm after make native, make test-packages and make dependencies');

const files = {
  'animals/cheetah.txt': 'The cheetah is the fastest land animal, sprinting across the savanna after gazelles.',
  'animals/tortoise.txt': 'A giant tortoise moves slowly and can live for more than a hundred years.',
  'animals/falcon.txt': 'The peregrine falcon dives at enormous speed to catch other birds in flight.',
  'food/soup.md': '# Tomato soup\nSimmer tomatoes with basil, garlic and olive oil, then blend until smooth.',
  'food/bread.txt': 'Knead the dough, let it rise overnight and bake the loaf in a very hot oven.',
  'finance/report.txt': 'Quarterly revenue grew by eight percent while operating costs fell.',
};
const shardItems = 2;  // several shards, so that loading has steps to see

let root, site, server, playwright;

function mosaic(...args) {
  const outcome = spawnSync(nativeCli, args, { encoding: 'utf8' });
  assert.equal(outcome.status, 0, `mosaic ${args.join(' ')}: ${outcome.stderr}`);
  return outcome.stdout;
}

before(async () => {
  playwright = createRequire(path.join(testPackages, 'package.json'))('playwright-core');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-web-app-'));
  const collection = path.join(root, 'collection');
  site = path.join(root, 'site');
  for (const [relative, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(collection, relative)), { recursive: true });
    fs.writeFileSync(path.join(collection, relative), content);
  }
  mosaic('index', collection, '--out', site, '--shard-items', String(shardItems), '--model-dir', modelDirectory);
  fs.mkdirSync(screenshotDirectory, { recursive: true });
  server = await startProcess(nativeCli, ['serve', '--port', '0', '--site', site, '--web', siteAppDirectory,
    '--model-dir', modelDirectory, '--cache-dir', path.join(root, 'embedding-cache'), '--threads', '1', '--workers', '1'],
  { ready: /listening on http:\/\/127\.0\.0\.1:(\d+)\// });
});

after(async () => {
  await server?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const appUrl = () => `http://127.0.0.1:${server.port}/`;

// A fresh browser profile per test: nothing stored by an earlier test (shards, HTTP cache) is seen.
async function withPage(name, body, { viewport = { width: 1100, height: 800 } } = {}) {
  const browser = await launchBrowser(playwright, path.join(root, `profile-${name}`), { viewport });
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

async function openApp(page) {
  await page.goto(appUrl());
  await page.waitForSelector('body[data-loaded="complete"]', { timeout: 30000 });
}

async function searchFor(page, text) {
  await page.fill('#query', text);
  await page.press('#query', 'Enter');
  // The summary names the query once its answer is shown (the first text query also loads the model).
  await page.waitForFunction((expected) => document.querySelector('#query-summary')?.textContent.includes(expected)
    && document.body.dataset.state === 'ready', text, { timeout: 60000 });
}

const resultCards = (page) => page.$$eval('#results .result', (cards) => cards.map((card) => ({
  id: card.dataset.itemId,
  label: card.dataset.label,
  title: card.querySelector('.result-title').textContent,
  score: Number(card.querySelector('.score').textContent),
})));

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
    assert.match(await page.textContent('#status'), /last search [\d.]+ ms$/);
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
    page.on('request', (request) => { if (request.url().includes('/api/')) embedCalls += 1; });
    // By keyboard: focus the first result's button and press Enter.
    await page.focus('#results .result:first-child .more-like-this');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('#query-summary').textContent.startsWith('More like'));
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
    await page.waitForFunction(() => [...document.querySelectorAll('#results .result')].every((card) => card.dataset.label === 'food'));
    const filtered = await resultCards(page);
    assert.equal(filtered.length, 2);
    assert.equal(await page.getAttribute('#label-chips .chip[data-value="food"]', 'aria-pressed'), 'true');
    await page.click('#label-chips .chip[data-value="food"]');
    await page.waitForFunction((count) => document.querySelectorAll('#results .result').length === count, Object.keys(files).length);
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
    await page.waitForSelector('body[data-state="ready"]', { timeout: 30000 });
    assert.equal(await page.isVisible('#load-progress'), true);
    const bar = await page.$eval('#progress-bar', (progress) => ({ value: progress.value, max: progress.max }));
    assert.ok(bar.value > 0 && bar.value < bar.max, `the bar shows part of the bytes (${bar.value} of ${bar.max})`);
    assert.match(await page.textContent('#status'), /^2 of 6 items · [\d.]+ MB · loading 1 of \d+ shards$/);
    await searchFor(page, 'which animal runs fastest');
    assert.match(await page.textContent('#query-summary'), /partial: 1 of \d+ shards searched/);
    assert.equal((await resultCards(page)).length, manifest.shards[0].items);
    await page.screenshot({ path: path.join(screenshotDirectory, 'progress-loading.png') });
    release();
    await page.waitForSelector('body[data-loaded="complete"]', { timeout: 30000 });
    assert.equal(await page.isHidden('#load-progress'), true);
    // The app searches again once everything is in, and the answer is whole.
    await page.waitForFunction((count) => document.querySelectorAll('#results .result').length === count, Object.keys(files).length);
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
    await page.waitForSelector('body[data-loaded="complete"]', { timeout: 30000 });
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

test('an image dropped on a Gemini-model index goes through the proxy once, as JPEG, and its results are shown', async () => {
  await withPage('image-proxy', async (page) => {
    // The index is presented as a Gemini one (its manifest's model rewritten on the way), and the
    // proxy's answer is the native embedding of a text, as if the picture showed a cheetah.
    const model = 'gemini-embedding-2';
    const answerVector = JSON.parse(mosaic('embed', 'a cheetah sprinting on the savanna', '--json', '--model-dir', modelDirectory)).vector;
    await page.route('**/index/manifest.json', async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, json: { ...(await response.json()), model } });
    });
    const embedCalls = [];
    await page.route('**/api/embed', async (route) => {
      const body = route.request().postDataJSON();
      embedCalls.push(body);
      await route.fulfill({ json: { model, dimensions: body.dimensions, embeddings: [answerVector] } });
    });
    await openApp(page);
    const png = makePng({ width: 64, height: 48, gray: 90 });
    const dataTransfer = await page.evaluateHandle((bytes) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' }));
      return transfer;
    }, [...png]);
    await page.dispatchEvent('body', 'drop', { dataTransfer });
    await page.waitForFunction(() => document.querySelector('#query-summary')?.textContent.includes('Image: dropped.png')
      && document.body.dataset.state === 'ready');
    assert.equal(embedCalls.length, 1, 'one embedding call serves the search and the label vote');
    assert.equal(embedCalls[0].inputs[0].parts[0].mime_type, 'image/jpeg');
    assert.match((await resultCards(page))[0].title, /cheetah/);
    assert.equal(await page.textContent('#voted-label'), 'animals');
    assert.equal(await page.isHidden('#message'), true);
  });
});

test('at 375 px wide nothing overflows sideways and results stay readable', async () => {
  await withPage('narrow', async (page) => {
    await openApp(page);
    await searchFor(page, 'tomato soup with basil');
    assert.match((await resultCards(page))[0].title, /soup/);
    const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, card: document.querySelector('#results .result').getBoundingClientRect().width }));
    assert.ok(widths.page <= 375, `the page is ${widths.page} px wide`);
    assert.ok(widths.card >= 300, `a result card is ${widths.card} px wide`);
  }, { viewport: { width: 375, height: 800 } });
});
