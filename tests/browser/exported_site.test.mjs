// `mosaic export SITE --out DIR` served by a plain static server (python3 -m http.server, no Mosaic
// code on the server side), opened in headless Chromium: a text query of a local-model index is
// embedded in the page and answered with no proxy and no /api call at all. Also: what the export
// writes (config.json, model/, only the files the manifest names) and the folders it refuses.
// Run by ctest in build-wasm; environment: see browser.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startProcess } from '../support/processes.mjs';
import {
  browserTestEnvironment, launchBrowser, resultCards, runMosaic, sampleFiles as files, searchFor, writeFiles,
} from './browser.mjs';

const { siteAppDirectory, nativeCli, modelDirectory, screenshotDirectory, playwright } = browserTestEnvironment();

let root, collection, site;

const run = (...args) => spawnSync(nativeCli, args, { encoding: 'utf8' });
const indexCollection = () => runMosaic(nativeCli, ['index', collection, '--out', site, '--shard-items', '2', '--model-dir', modelDirectory]);
const listFiles = (folder) => fs.readdirSync(folder, { recursive: true }).filter((name) => fs.statSync(path.join(folder, name)).isFile()).sort();

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-export-'));
  collection = path.join(root, 'collection');
  site = path.join(root, 'site');
  writeFiles(collection, files);
  indexCollection();
});

after(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

test('the export holds the app, the model, the current generation of the index and config.json', () => {
  // A second generation leaves the first one's files in the site; the export takes only what the manifest names.
  fs.writeFileSync(path.join(collection, 'food', 'pancakes.txt'), 'Whisk flour, eggs and milk, then fry thin pancakes in butter.');
  indexCollection();
  const out = path.join(root, 'export-contents');
  const exported = run('export', site, '--out', out, '--web', siteAppDirectory, '--proxy-url', 'https://proxy.example.org/');
  assert.equal(exported.status, 0, exported.stderr);
  const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.deepEqual(config, { indexUrl: 'index/', modelBaseUrl: 'model/', proxyUrl: 'https://proxy.example.org/' });
  for (const file of ['index.html', 'mosaic-search.js', 'style.css', 'mosaic.mjs', 'mosaic-core.wasm', 'mosaic-model.wasm', 'model/model.json', 'model/vocab.json']) {
    assert.ok(fs.existsSync(path.join(out, file)), `${file} is exported`);
  }
  // The modules mosaic.mjs imports, every one of them.
  const libraryFiles = fs.readdirSync(path.join(siteAppDirectory, 'lib'));
  assert.ok(libraryFiles.includes('loaded_generation.mjs'), libraryFiles.join());
  for (const file of libraryFiles) assert.ok(fs.existsSync(path.join(out, 'lib', file)), `lib/${file} is exported`);
  // And the element's modules, every one of them.
  const elementFiles = fs.readdirSync(path.join(siteAppDirectory, 'element'));
  assert.ok(elementFiles.includes('template.js'), elementFiles.join());
  for (const file of elementFiles) assert.ok(fs.existsSync(path.join(out, 'element', file)), `element/${file} is exported`);
  const manifest = JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
  // The keyword directory and the term files it lists: those the served test below searches through
  // (a hybrid query fetches them), each one of the site's current files.
  const exportedTerms = listFiles(path.join(out, 'index')).filter((file) => file.startsWith('terms/'));
  assert.ok(exportedTerms.length >= 1, 'term files are exported');
  for (const file of exportedTerms) assert.ok(fs.existsSync(path.join(site, file)), `${file} is one of the site's`);
  const named = ['manifest.json', manifest.keywords.file, ...exportedTerms,
    ...manifest.shards.flatMap((shard) => [shard.file, shard.metadata.file])].sort();
  assert.deepEqual(listFiles(path.join(out, 'index')), named);
  assert.ok(listFiles(site).length > named.length, 'the site still holds the previous generation (so the check above means something)');
  fs.rmSync(path.join(collection, 'food', 'pancakes.txt'));
  indexCollection();
});

test('export refuses a folder that is not empty, and a site that is not an index', () => {
  const busy = path.join(root, 'busy');
  fs.mkdirSync(busy);
  fs.writeFileSync(path.join(busy, 'keep.txt'), 'mine');
  const refused = run('export', site, '--out', busy, '--web', siteAppDirectory);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /not empty/);
  assert.equal(fs.readFileSync(path.join(busy, 'keep.txt'), 'utf8'), 'mine');
  const notIndex = run('export', collection, '--out', path.join(root, 'never'), '--web', siteAppDirectory);
  assert.equal(notIndex.status, 1);
  assert.match(notIndex.stderr, /cannot load the index/);
  assert.equal(fs.existsSync(path.join(root, 'never')), false);
});

test('served by python3 -m http.server, a text query works in Chromium with the local model and no proxy', async () => {
  const out = path.join(root, 'export-served');
  const exported = run('export', site, '--out', out, '--web', siteAppDirectory);
  assert.equal(exported.status, 0, exported.stderr);
  const server = await startProcess('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', out],
    { ready: /Serving HTTP on 127\.0\.0\.1 port (\d+)/ });
  const browser = await launchBrowser(playwright, path.join(root, 'profile-export'), { viewport: { width: 1100, height: 800 } });
  try {
    const page = browser.pages()[0] ?? await browser.newPage();
    const apiCalls = [];
    // /api/events is only where the app listens for new generations (a static host answers 404); any other /api/ call is a server doing work.
    page.on('request', (request) => { if (/^\/api\/(?!events$)/.test(new URL(request.url()).pathname)) apiCalls.push(request.url()); });
    await page.goto(`http://127.0.0.1:${server.port}/`);
    await page.waitForSelector('mosaic-search[data-loaded="complete"]', { timeout: 30000 });
    await searchFor(page, 'which animal runs fastest');
    const titles = (await resultCards(page)).map((card) => card.title);
    assert.equal(titles.length, Object.keys(files).length);
    assert.match(titles[0], /cheetah/);
    assert.equal(await page.textContent('#voted-label'), 'animals');
    assert.deepEqual(apiCalls, []);
    await page.screenshot({ path: path.join(screenshotDirectory, 'exported-site.png'), fullPage: true });
  } finally {
    await browser.close();
    await server.stop();
  }
});
