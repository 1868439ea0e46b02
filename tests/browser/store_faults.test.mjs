// The browser's file store under fault, in headless Chromium with the Cache API (the default store):
// entries damaged behind Mosaic's back (a flipped byte, a truncated file, an empty one, a file stored
// under another file's hash) and a store over its quota (Chromium's real quota, lowered for the
// origin through the DevTools protocol). In every case the page reports storage_error through
// onError, fetches the files again from the network, answers exactly as with no store at all, and
// leaves the store holding only bytes whose SHA-256 is their name. Flat and partitioned sites both:
// a partitioned site keeps its centroid table and partitions in the same store.
// The flat site is the sample collection indexed with the local model, two items a shard, searched
// by "more like this"; the partitioned one comes from the benchmarks' generator (mosaic_bench_vectors
// beside MOSAIC_NATIVE_CLI), searched by vector: no query is embedded, so no model is loaded in the
// page. Run by ctest in build-wasm; environment: see browser.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startProcess } from '../support/processes.mjs';
import { browserTestEnvironment, launchBrowser, readSiteItems, runMosaic, sampleFiles, writeFiles } from './browser.mjs';

const { siteAppDirectory, nativeCli, modelDirectory, playwright } = browserTestEnvironment();
const generator = path.join(path.dirname(nativeCli), 'mosaic_bench_vectors');

const dimensions = 64;
const k = 10;

let root, data;
const servers = {};

// mosaic serve for one site with a page of its own: the API's files and an empty page that the
// tests drive through page.evaluate. The generated site names a Gemini model, so the gemini
// provider there; vector queries never call it (an unused local port).
async function serveSite(layout) {
  const web = path.join(root, `web-${layout}`);
  fs.mkdirSync(web);
  for (const file of ['mosaic.mjs', 'mosaic-core.mjs', 'mosaic-core.wasm']) fs.copyFileSync(path.join(siteAppDirectory, file), path.join(web, file));
  fs.cpSync(path.join(siteAppDirectory, 'lib'), path.join(web, 'lib'), { recursive: true });
  fs.writeFileSync(path.join(web, 'index.html'), '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Store faults</title></head><body></body></html>\n');
  const keyFile = path.join(root, 'unused-key');
  fs.writeFileSync(keyFile, 'test-key-never-sent\n', { mode: 0o600 });
  const site = layout === 'flat' ? path.join(root, 'site-flat') : path.join(data, 'site-partitioned');
  const provider = layout === 'flat' ? ['--model-dir', modelDirectory]
    : ['--provider', 'gemini', '--api-key-file', keyFile, '--gemini-base-url', 'http://127.0.0.1:9'];
  const server = await startProcess(nativeCli, ['serve', '--port', '0', '--site', site, '--web', web, ...provider,
    '--no-cache', '--threads', '1', '--workers', '1'], { ready: /listening on http:\/\/127\.0\.0\.1:(\d+)\// });
  return { server, site, origin: `http://127.0.0.1:${server.port}` };
}

before(async () => {
  assert.ok(fs.existsSync(generator), `${generator} is built with the native tests`);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-store-faults-'));
  data = path.join(root, 'data');
  // Small partitions (3,000 items in about 55) so a query probes several and the store holds many files.
  const generated = spawnSync(generator, ['--out', data, '--count', '3000', '--dimensions', String(dimensions),
    '--queries', '4', '--clusters', '30', '--layout', 'both'], { encoding: 'utf8' });
  assert.equal(generated.status, 0, generated.stderr);
  writeFiles(path.join(root, 'collection'), sampleFiles);
  runMosaic(nativeCli, ['index', path.join(root, 'collection'), '--out', path.join(root, 'site-flat'), '--shard-items', '2', '--model-dir', modelDirectory]);
  servers.flat = await serveSite('flat');
  servers.partitioned = await serveSite('partitioned');
});

after(async () => {
  for (const { server } of Object.values(servers)) await server.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

// What each site is asked: the generated queries' vectors, or "more like this" for every sample item.
function queriesFor(layout) {
  if (layout === 'flat') return readSiteItems(servers.flat.site).map((item) => ({ similarTo: item.id }));
  const bytes = fs.readFileSync(path.join(data, 'queries.f32'));
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const queries = new Float32Array(copy.buffer);
  return [0, 1, 2, 3].map((index) => ({ vector: Array.from(queries.subarray(index * dimensions, (index + 1) * dimensions)) }));
}

// In the page: opens the index (with the default store unless `noStore`), fetches every partition
// of a partitioned site (so all of it is stored), searches every query, and says what onError saw,
// which index files (not manifest.json or config.json, asked on every open) went to the network and what the store holds (name, size, SHA-256).
async function openAndSearch(page, layout, { noStore = false } = {}) {
  return page.evaluate(async ({ queries, k, noStore }) => {
    const { Mosaic } = await import('/mosaic.mjs');
    performance.clearResourceTimings();
    const errors = [];
    const db = await Mosaic.open('/index/', { onError: (error) => errors.push({ code: error.code, message: error.message }), ...(noStore ? { storage: null } : {}) });
    await db.ready;
    if (db.stats.partitioned) await db.prefetch();
    const answers = [];
    for (const query of queries) {
      const answer = query.vector ? await db.search(Float32Array.from(query.vector), { k, nprobe: 1000 }) : await db.similar(query.similarTo, { k });
      answers.push(answer.results.map((result) => [result.id, result.score]));
    }
    db.close();
    const downloaded = performance.getEntriesByType('resource').map((entry) => new URL(entry.name).pathname)
      .filter((pathname) => pathname.startsWith('/index/') && !/\/(manifest|config)\.json$/.test(pathname));
    const stored = [];
    const cache = await caches.open(`mosaic ${new URL('/index/', location.href).href}`);
    for (const request of await cache.keys()) {
      const bytes = await (await cache.match(request)).arrayBuffer();
      const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (byte) => byte.toString(16).padStart(2, '0')).join('');
      stored.push({ name: new URL(request.url).pathname.split('/').pop(), bytes: bytes.byteLength, digest });
    }
    return { errors, answers, downloaded, stored };
  }, { queries: queriesFor(layout), k, noStore });
}

// In the page: rewrites stored entries as the plan says: flip (one byte changed), truncate (half),
// empty (no bytes), swap (another entry's bytes under this name).
async function damageStore(page, plan) {
  await page.evaluate(async (plan) => {
    const cache = await caches.open(`mosaic ${new URL('/index/', location.href).href}`);
    const keyOf = (hash) => `https://mosaic.invalid/files/${hash}`;
    const bytesOf = async (hash) => new Uint8Array(await (await cache.match(keyOf(hash))).arrayBuffer());
    for (const { hash, damage, other } of plan) {
      let bytes = await bytesOf(hash);
      if (damage === 'flip') { bytes = bytes.slice(); bytes[Math.floor(bytes.length / 2)] ^= 0x40; }
      if (damage === 'truncate') bytes = bytes.slice(0, Math.floor(bytes.length / 2));
      if (damage === 'empty') bytes = new Uint8Array(0);
      if (damage === 'swap') bytes = await bytesOf(other);
      await cache.put(keyOf(hash), new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } }));
    }
  }, plan);
}

const sha256Of = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

// Every stored entry is one of the site's current files, byte for byte.
function assertStoreHoldsOnlySiteFiles(stored, site, context) {
  for (const entry of stored) assert.equal(entry.digest, entry.name, `${context}: stored ${entry.name} holds other bytes`);
  const siteHashes = new Set(fs.readdirSync(site, { recursive: true }).map((relative) => path.join(site, relative))
    .filter((file) => fs.statSync(file).isFile() && !file.endsWith('manifest.json')).map(sha256Of));
  for (const entry of stored) assert.ok(siteHashes.has(entry.name), `${context}: ${entry.name} is one of the site's files`);
}

// The stored vector files (shards or partitions, and the centroid table), not item metadata.
function vectorFileHashes(site) {
  const manifest = JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
  if (manifest.layout === 'partitioned') return { centroids: manifest.centroids.hash, files: manifest.partitions.map((entry) => entry.hash), metadata: manifest.partitions.map((entry) => entry.metadata.hash) };
  return { files: manifest.shards.map((entry) => entry.hash), metadata: manifest.shards.map((entry) => entry.metadata.hash) };
}

for (const layout of ['flat', 'partitioned']) {
  test(`${layout} site: damaged stored files are refused, fetched again and replaced; the answers do not change`, async () => {
    const { origin, site } = servers[layout];
    const browser = await launchBrowser(playwright, path.join(root, `profile-damaged-${layout}`));
    try {
      const page = browser.pages()[0] ?? await browser.newPage();
      await page.goto(`${origin}/`);
      const truth = await openAndSearch(page, layout, { noStore: true });
      assert.ok(truth.answers.every((results) => results.length >= Math.min(k, 5)), 'every query has results');

      const first = await openAndSearch(page, layout);
      assert.deepEqual(first.errors, []);
      assert.deepEqual(first.answers, truth.answers);
      assertStoreHoldsOnlySiteFiles(first.stored, site, 'after the first visit');
      const hashes = vectorFileHashes(site);
      const storedNames = new Set(first.stored.map((entry) => entry.name));
      for (const hash of [...hashes.files, ...hashes.metadata, ...(hashes.centroids ? [hashes.centroids] : [])]) {
        assert.ok(storedNames.has(hash), `${hash} was stored on the first visit`);
      }

      // Damage spread over the files (the flat site has three shards, the partitioned one dozens).
      const at = (list, fraction) => list[Math.floor(fraction * (list.length - 1))];
      const plan = [
        { hash: hashes.files[0], damage: 'flip' },
        { hash: at(hashes.metadata, 0.5), damage: 'empty' },
        { hash: hashes.files.at(-1), damage: 'swap', other: hashes.files[0] },
      ];
      if (hashes.files.length > 10) {
        plan.push({ hash: at(hashes.files, 0.25), damage: 'truncate' }, { hash: at(hashes.metadata, 0.75), damage: 'flip' });
      }
      if (hashes.centroids) plan.push({ hash: hashes.centroids, damage: 'truncate' });
      await damageStore(page, plan);

      const second = await openAndSearch(page, layout);
      assert.deepEqual(second.answers, truth.answers, 'the answers are those of the undamaged index');
      assert.ok(second.errors.length >= 1, 'the damage is reported');
      for (const error of second.errors) {
        assert.equal(error.code, 'storage_error', error.message);
        assert.match(error.message, /refused .*fetching it again/);
      }
      // A file pair (shard or partition and its metadata) is read back together, so a damaged
      // member refetches both; nothing undamaged goes to the network.
      const manifest = JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
      const entries = manifest.layout === 'partitioned' ? manifest.partitions : manifest.shards;
      const damagedPairs = new Set(entries.map((entry, position) => [entry, position])
        .filter(([entry]) => plan.some(({ hash }) => hash === entry.hash || hash === entry.metadata.hash)).map(([, position]) => position));
      const refetched = new Set(second.downloaded);
      for (const [position, entry] of entries.entries()) {
        const fetchedAgain = refetched.has(`/index/${entry.file}`);
        assert.equal(fetchedAgain, damagedPairs.has(position), `${entry.file} ${damagedPairs.has(position) ? 'was damaged and is fetched again' : 'comes from the store'}`);
      }
      if (hashes.centroids) assert.ok(refetched.has(`/index/${manifest.centroids.file}`), 'the damaged centroid table is fetched again');
      assert.equal(second.errors.length, damagedPairs.size + (hashes.centroids ? 1 : 0), JSON.stringify(second.errors));
      assertStoreHoldsOnlySiteFiles(second.stored, site, 'after the damaged visit');

      // A third visit finds the store mended: no error and nothing downloaded.
      const third = await openAndSearch(page, layout);
      assert.deepEqual(third.errors, []);
      assert.deepEqual(third.downloaded, []);
      assert.deepEqual(third.answers, truth.answers);
    } finally {
      await browser.close();
    }
  });

  test(`${layout} site: a store over its quota is reported, every file comes from the network, and search answers in full`, async () => {
    const { origin, site } = servers[layout];
    const browser = await launchBrowser(playwright, path.join(root, `profile-quota-${layout}`));
    try {
      const page = browser.pages()[0] ?? await browser.newPage();
      await page.goto(`${origin}/`);
      const truth = await openAndSearch(page, layout, { noStore: true });
      // The origin's real quota, set below one file's size: Cache API writes fail with QuotaExceededError.
      const devtools = await browser.newCDPSession(page);
      await devtools.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 1024 });
      const overQuota = await openAndSearch(page, layout);
      assert.deepEqual(overQuota.answers, truth.answers, 'the answers are those with no store');
      assert.ok(overQuota.errors.length >= 1, 'the failed writes are reported');
      for (const error of overQuota.errors) {
        assert.equal(error.code, 'storage_error', error.message);
        assert.match(error.message, /could not keep .*(quota|Quota)/);
      }
      assertStoreHoldsOnlySiteFiles(overQuota.stored, site, 'over quota');
      // Nothing could be kept, so a second visit downloads every file again, and still answers in full.
      const again = await openAndSearch(page, layout);
      assert.deepEqual(again.answers, truth.answers);
      const hashes = vectorFileHashes(site);
      assert.ok(again.downloaded.length >= hashes.files.length, `every vector file is downloaded again (${again.downloaded.length})`);

      // With the quota back, the next visit stores everything, and the one after downloads nothing.
      await devtools.send('Storage.overrideQuotaForOrigin', { origin });
      const restored = await openAndSearch(page, layout);
      assert.deepEqual(restored.errors, []);
      const settled = await openAndSearch(page, layout);
      assert.deepEqual(settled.downloaded, []);
      assert.deepEqual(settled.answers, truth.answers);
      assertStoreHoldsOnlySiteFiles(settled.stored, site, 'after the quota is restored');
    } finally {
      await browser.close();
    }
  });
}
