// The web app offline (web/service-worker.js, registered by web/offline.js), in headless Chromium on
// `mosaic serve` (localhost is a secure context, so the worker runs): after one visit the page reloads
// and searches with the network gone (context.setOffline), says "offline, showing generation G"; a
// site re-indexed while the page is open reaches it, and is what it shows offline afterwards; a new
// version of the app replaces the old one whole. Screenshots: offline-*.png.
// Run by ctest in build-wasm (wasm.web.offline); environment: see browser.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startProcess } from '../support/processes.mjs';
import {
  browserTestEnvironment, launchBrowser, openApp, resultCards, runMosaic, sampleFiles, searchFor, startAppServer, writeFiles,
} from './browser.mjs';

const { siteAppDirectory, nativeCli, modelDirectory, screenshotDirectory, playwright } = browserTestEnvironment();
const workerFilesScript = fileURLToPath(new URL('../../cmake/MosaicServiceWorkerFiles.cmake', import.meta.url));

let root, collection, site;

const buildIndex = () => runMosaic(nativeCli, ['index', collection, '--out', site, '--shard-items', '2', '--model-dir', modelDirectory]);
const generation = () => JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8')).generation;
const statusText = (page) => page.textContent('#status');

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-offline-'));
  collection = path.join(root, 'collection');
  site = path.join(root, 'site');
  writeFiles(collection, sampleFiles);
  buildIndex();
});

after(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

// A browser profile of its own, the server for `app` (mosaic serve, or startServer's), and the page;
// screenshots named after the test.
async function withServedPage(name, app, body, { startServer } = {}) {
  const server = await (startServer ? startServer()
    : startAppServer({ nativeCli, site, siteAppDirectory: app, modelDirectory, root, extra: ['--watch-ms', '200'] }));
  const browser = await launchBrowser(playwright, path.join(root, `profile-${name}`), { viewport: { width: 1100, height: 800 } });
  const page = browser.pages()[0] ?? await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  try {
    await body({ page, browser, url: `http://127.0.0.1:${server.port}/` });
    await page.screenshot({ path: path.join(screenshotDirectory, `${name}.png`), fullPage: true });
    assert.deepEqual(pageErrors, [], 'the page threw');
  } catch (error) {
    await page.screenshot({ path: path.join(screenshotDirectory, `${name}-failed.png`), fullPage: true }).catch(() => {});
    throw error;
  } finally {
    await browser.close();
    await server.stop();
  }
}

// The first visit: the app opens, the worker takes the page over and stores what it had fetched.
async function firstVisit(page, url) {
  await openApp(page, url);
  await page.waitForSelector('html[data-offline-ready="true"]', { timeout: 30000 });
  assert.equal(await page.evaluate(() => Boolean(navigator.serviceWorker.controller)), true, 'the worker controls the page');
}

async function expectTopResult(page, query, title) {
  await searchFor(page, query);
  const [first] = await resultCards(page);
  assert.match(first.title, title);
}

// Nothing reaches the server: /api/ is never answered by the worker, so this fails offline.
const serverReachable = (page) => page.evaluate(() => fetch('/api/health', { cache: 'no-store' }).then(() => true, () => false));

test('after one visit the app, the wasm, the model and the index load and search with no network', async () => {
  await withServedPage('offline-reload', siteAppDirectory, async ({ page, browser, url }) => {
    await firstVisit(page, url);
    assert.equal(await page.getAttribute('mosaic-search', 'data-offline'), 'false');
    assert.doesNotMatch(await statusText(page), /offline/);
    await expectTopResult(page, 'which animal runs fastest', /cheetah/i);  // the model is fetched (and stored) here

    await browser.setOffline(true);
    assert.equal(await serverReachable(page), false, 'the network is gone');
    await page.reload();
    await openApp(page, url);
    await page.waitForSelector('mosaic-search[data-offline="true"]');
    assert.match(await statusText(page), new RegExp(`offline, showing generation ${generation()}`));
    await expectTopResult(page, 'slow old tortoise', /tortoise/i);
    await expectTopResult(page, 'tomato soup with basil', /soup/i);

    // Online again: the manifest comes from the network and the note goes.
    await browser.setOffline(false);
    await page.reload();
    await openApp(page, url);
    await page.waitForSelector('mosaic-search[data-offline="false"]');
    assert.doesNotMatch(await statusText(page), /offline/);
  });
});

test('an export on a plain static host (python3 -m http.server) works offline after one visit too', async () => {
  const out = path.join(root, 'export');
  runMosaic(nativeCli, ['export', site, '--out', out, '--web', siteAppDirectory]);
  for (const file of ['service-worker.js', 'service-worker-files.js', 'offline.js']) assert.ok(fs.existsSync(path.join(out, file)), `${file} is exported`);
  const startServer = () => startProcess('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', out],
    { ready: /Serving HTTP on 127\.0\.0\.1 port (\d+)/ });
  await withServedPage('offline-export', out, async ({ page, browser, url }) => {
    await firstVisit(page, url);
    await expectTopResult(page, 'which animal runs fastest', /cheetah/i);
    await browser.setOffline(true);
    assert.equal(await serverReachable(page), false, 'the network is gone');
    await page.reload();
    await openApp(page, url);
    await page.waitForSelector('mosaic-search[data-offline="true"]');
    assert.match(await statusText(page), new RegExp(`offline, showing generation ${generation()}`));
    await expectTopResult(page, 'tomato soup with basil', /soup/i);
  }, { startServer });
});

test('a site re-indexed while the page is open reaches it, and the new generation is the one kept offline', async () => {
  await withServedPage('offline-update', siteAppDirectory, async ({ page, browser, url }) => {
    await firstVisit(page, url);
    const first = generation();
    assert.equal(await page.getAttribute('mosaic-search', 'data-generation'), String(first));
    writeFiles(collection, { 'sea/octopus.txt': 'The octopus has eight arms and changes colour to hide on the coral reef.' });
    try {
      buildIndex();
      const second = generation();
      assert.ok(second > first);
      await page.waitForSelector(`mosaic-search[data-generation="${second}"]`, { timeout: 30000 });
      await expectTopResult(page, 'eight arms under the sea', /octopus/i);

      await browser.setOffline(true);
      await page.reload();
      await openApp(page, url);
      await page.waitForSelector('mosaic-search[data-offline="true"]');
      assert.match(await statusText(page), new RegExp(`offline, showing generation ${second}`));
      assert.equal(await page.getAttribute('mosaic-search', 'data-generation'), String(second));
      await expectTopResult(page, 'eight arms under the sea', /octopus/i);
      // Only this generation's cache and the one before it are kept.
      const indexCaches = await page.evaluate(async () => (await caches.keys()).filter((name) => name.startsWith('mosaic-index-')));
      assert.ok(indexCaches.includes(`mosaic-index-${second}`), indexCaches.join());
      assert.ok(indexCaches.every((name) => Number(name.slice('mosaic-index-'.length)) >= first), indexCaches.join());
    } finally {
      fs.rmSync(path.join(collection, 'sea'), { recursive: true, force: true });
      buildIndex();
    }
  });
});

test('a new version of the app replaces the old one whole: the page reloads into it and the old files are dropped', async () => {
  const app = path.join(root, 'app');
  fs.cpSync(siteAppDirectory, app, { recursive: true });
  const appVersion = () => /version: '([0-9a-f]+)'/.exec(fs.readFileSync(path.join(app, 'service-worker-files.js'), 'utf8'))[1];
  const oldVersion = appVersion();
  await withServedPage('offline-new-version', app, async ({ page, url }) => {
    await firstVisit(page, url);
    const appCaches = () => page.evaluate(async () => (await caches.keys()).filter((name) => name.startsWith('mosaic-app-')));
    assert.deepEqual(await appCaches(), [`mosaic-app-${oldVersion}`]);
    assert.equal(await page.title(), 'Mosaic search');

    // A new build of the app: a changed page, and the worker's file list written as the build writes it.
    const indexHtml = path.join(app, 'index.html');
    fs.writeFileSync(indexHtml, fs.readFileSync(indexHtml, 'utf8').replace('<title>Mosaic search</title>', '<title>Mosaic search, new version</title>'));
    const written = spawnSync('cmake', [`-DAPP_DIR=${app}`, '-P', workerFilesScript], { encoding: 'utf8' });
    assert.equal(written.status, 0, written.stderr);
    const newVersion = appVersion();
    assert.notEqual(newVersion, oldVersion);

    // The browser checks for a new worker at navigations; the page asks at once here.
    await page.evaluate(() => navigator.serviceWorker.getRegistration().then((registration) => registration.update()));
    await page.waitForFunction(() => document.title === 'Mosaic search, new version', null, { timeout: 30000 });
    await page.waitForSelector('mosaic-search[data-loaded="complete"]', { timeout: 30000 });
    assert.deepEqual(await appCaches(), [`mosaic-app-${newVersion}`]);
    await expectTopResult(page, 'which animal runs fastest', /cheetah/i);
  });
});
