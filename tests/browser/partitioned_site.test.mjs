// A partitioned site of 50,000 items in headless Chromium, served by `mosaic serve`: the page opens
// it with the JavaScript API and searches by vector; the first result arrives after the page has
// downloaded the manifest, the centroid table and the few partitions the query probes, a small
// fraction of the site; later queries near the first fetch little or nothing more, and recall@10
// against the exact answer stays high. The site comes from the benchmarks' generator
// (mosaic_bench_vectors beside MOSAIC_NATIVE_CLI): clustered vectors, so the exact answer is known.
// Run by ctest in build-wasm; environment: see browser.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startProcess } from '../support/processes.mjs';
import { browserTestEnvironment, launchBrowser } from './browser.mjs';

const { siteAppDirectory, nativeCli, screenshotDirectory, playwright } = browserTestEnvironment();
const generator = path.join(path.dirname(nativeCli), 'mosaic_bench_vectors');

const itemCount = 50000;
const dimensions = 128;
const queryCount = 12;
const k = 10;

let root, data, site, server, browser;

const filesUnder = (folder) => fs.readdirSync(folder, { recursive: true })
  .map((relative) => path.join(folder, relative)).filter((file) => fs.statSync(file).isFile());

before(async () => {
  assert.ok(fs.existsSync(generator), `${generator} is built with the native tests`);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-partitioned-browser-'));
  data = path.join(root, 'data');
  const generated = spawnSync(generator, ['--out', data, '--count', String(itemCount), '--dimensions', String(dimensions),
    '--queries', String(queryCount), '--clusters', '500', '--layout', 'partitioned'], { encoding: 'utf8' });
  assert.equal(generated.status, 0, generated.stderr);
  site = path.join(data, 'site-partitioned');

  // The page: the API's files and a module of its own, which opens the index and searches the
  // query in the URL's fragment as soon as it can.
  const web = path.join(root, 'web');
  fs.mkdirSync(web);
  for (const file of ['mosaic.mjs', 'mosaic-core.mjs', 'mosaic-core.wasm']) fs.copyFileSync(path.join(siteAppDirectory, file), path.join(web, file));
  fs.cpSync(path.join(siteAppDirectory, 'lib'), path.join(web, 'lib'), { recursive: true });
  fs.writeFileSync(path.join(web, 'index.html'), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Partitioned site</title>
<script type="module" src="page.mjs"></script></head><body data-state="loading"></body></html>
`);
  fs.writeFileSync(path.join(web, 'page.mjs'), `import { Mosaic } from './mosaic.mjs';
const query = Float32Array.from(decodeURIComponent(location.hash.slice(1)).split(',').map(Number));
try {
  const started = performance.now();
  const db = await Mosaic.open('/index/', { storage: null });
  const answer = await db.search(query, { k: ${k} });
  window.first = { milliseconds: performance.now() - started, ids: answer.results.map((result) => result.id),
    approximate: answer.approximate, partitionsFetched: answer.partitionsFetched,
    downloaded: performance.getEntriesByType('resource').filter((entry) => entry.name.includes('/index/')).map((entry) => new URL(entry.name).pathname) };
  window.db = db;
  document.body.textContent = 'first result: ' + answer.results[0].id;
  document.body.dataset.state = 'ready';
} catch (error) {
  document.body.textContent = error.message;
  document.body.dataset.state = 'failed';
}
`);
  const keyFile = path.join(root, 'unused-key');
  fs.writeFileSync(keyFile, 'test-key-never-sent\n', { mode: 0o600 });
  // A Gemini-model site, so the gemini provider; vector queries never call it (an unused local port).
  server = await startProcess(nativeCli, ['serve', '--port', '0', '--site', site, '--web', web, '--provider', 'gemini',
    '--api-key-file', keyFile, '--gemini-base-url', 'http://127.0.0.1:9', '--no-cache', '--threads', '1', '--workers', '1'],
  { ready: /listening on http:\/\/127\.0\.0\.1:(\d+)\// });
  browser = await launchBrowser(playwright, path.join(root, 'profile'));
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

// A fresh, aligned copy: small files come in Node's pooled buffers, at an offset into a larger one.
function readTyped(file, Type) {
  const bytes = fs.readFileSync(file);
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Type(copy.buffer);
}

test('the first result of a 50,000-item partitioned site arrives after a small fraction of the site is downloaded', async () => {
  const description = JSON.parse(fs.readFileSync(path.join(data, 'dataset.json'), 'utf8'));
  const queries = readTyped(path.join(data, 'queries.f32'), Float32Array);
  const truth = readTyped(path.join(data, 'truth.u32'), Uint32Array);
  const queryAt = (index) => Array.from(queries.subarray(index * dimensions, (index + 1) * dimensions));
  const recallOf = (index, ids) => {
    const expected = new Set(truth.subarray(index * description.k, (index + 1) * description.k));
    // Item ids are hexadecimal text; item r is row r - firstItemId.
    return ids.filter((id) => expected.has(Number(BigInt(`0x${id}`)) - description.firstItemId)).length / description.k;
  };
  const manifest = JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
  assert.equal(manifest.layout, 'partitioned');
  assert.equal(manifest.item_count, itemCount);
  const siteBytes = filesUnder(site).reduce((total, file) => total + fs.statSync(file).size, 0);
  const sizeOf = (pathname) => fs.statSync(path.join(site, pathname.replace(/^\/index\//, ''))).size;

  const page = browser.pages()[0] ?? await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.port}/#${queryAt(0).join(',')}`);
  await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 120000 });
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', await page.evaluate(() => document.body.textContent));
  await page.screenshot({ path: path.join(screenshotDirectory, 'partitioned-site-first-result.png') });
  const first = await page.evaluate(() => window.first);
  assert.equal(first.approximate, true);
  assert.equal(first.ids.length, k);
  assert.ok(first.partitionsFetched <= 16, `${first.partitionsFetched} partitions fetched (nprobe 16, the default)`);
  const downloaded = first.downloaded.filter((pathname) => !pathname.endsWith('/config.json'));
  assert.ok(downloaded.some((pathname) => pathname.includes('/centroids/')));
  assert.ok(!downloaded.some((pathname) => pathname.includes('/shards/')));
  const downloadedBytes = downloaded.reduce((total, pathname) => total + sizeOf(pathname), 0);
  const fraction = downloadedBytes / siteBytes;
  console.error(`partitioned site: ${manifest.partitions.length} partitions, ${siteBytes} bytes; first result after ` +
    `${downloadedBytes} bytes (${(fraction * 100).toFixed(1)}%) in ${first.milliseconds.toFixed(0)} ms`);
  assert.ok(fraction < 0.1, `the first result needed ${(fraction * 100).toFixed(1)}% of the site`);

  // More queries: recall against the exact answer, and what each one fetched.
  const answers = await page.evaluate(async ({ list, neighbours }) => {
    const out = [];
    for (const vector of list) {
      const answer = await window.db.search(Float32Array.from(vector), { k: neighbours });
      out.push({ ids: answer.results.map((result) => result.id), partitionsFetched: answer.partitionsFetched });
    }
    return out;
  }, { list: Array.from({ length: queryCount }, (_, index) => queryAt(index)), neighbours: k });
  const recall = answers.reduce((total, answer, index) => total + recallOf(index, answer.ids), 0) / answers.length;
  console.error(`partitioned site: recall@10 ${recall.toFixed(3)} over ${answers.length} queries`);
  assert.ok(recall >= 0.9, `recall@10 ${recall}`);
  // The first query again fetches nothing: its partitions are in memory.
  assert.equal(answers[0].partitionsFetched, 0);
  assert.deepEqual(answers[0].ids, first.ids);
  const stats = await page.evaluate(() => window.db.stats);
  assert.ok(stats.shardsLoaded < manifest.partitions.length, 'the queries did not need every partition');
});
