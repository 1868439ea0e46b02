// The browser benchmark (make bench): the 100,000 x 768 int8 site (mosaic_bench_vectors) served by
// the release build's `mosaic serve --site` on 127.0.0.1, opened in headless Chromium (Debian's
// package, driven by playwright-core) by a minimal page that uses the product's JavaScript API
// (mosaic.mjs over the wasm core) and nothing else:
//   first result   from navigation start to the first answer of db.search: the page loads, fetches the
//                  manifest, downloads shards 4 at a time (SHA-256 and shard checks in the core, each
//                  stored in the Cache API) and searches as soon as the first shard is in (the answer is
//                  then partial; how many shards it covered is reported)
//   all shards     from navigation start until db.ready (every shard searchable)
//   query times    median and p95 of db.search over --queries vector queries (k = 10) once every shard
//                  is in, one at a time, with recall@10 against the exact float32 top-10
//   bytes          transferred on the wire, from the page's resource timing (headers included)
//   reload         the same page loaded again in the same profile: shards come from the Cache API
// Queries are vectors, so no embedding model is involved. The page is a bench page rather than the
// web app, so that timings are the API's and not the app's rendering.
// Results: build/bench/browser-results.json and a table on stdout.
// Usage: node tests/bench/browser_benchmark.mjs GENERATOR MOSAIC_BINARY WEB_DIR [--queries N]
//   GENERATOR  build-release/bin/mosaic_bench_vectors;  MOSAIC_BINARY build-release/bin/mosaic;
//   WEB_DIR    build-wasm/web (mosaic.mjs, mosaic-core.mjs, mosaic-core.wasm)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

import { chromiumPath, launchBrowser } from '../browser/browser.mjs';
import { ensureDataSet, loadDataSet, percentile, query, recallAt, rowOfItemId } from './bench_data.mjs';
import { loadBenchPage, serveBenchSite, writeBenchPage } from './bench_page.mjs';

const [generator, mosaicBinary, webDirectory] = process.argv.slice(2);
const queriesIndex = process.argv.indexOf('--queries');
const queryLimit = queriesIndex > 0 ? Number(process.argv[queriesIndex + 1]) : 100;
if (!generator || !mosaicBinary || !webDirectory) throw new Error('usage: browser_benchmark.mjs GENERATOR MOSAIC_BINARY WEB_DIR [--queries N]');

const repositoryRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const benchDirectory = path.join(repositoryRoot, 'build', 'bench');
const cacheDirectory = process.env.MOSAIC_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'mosaic');
const packagesDirectory = path.join(cacheDirectory, 'npm-bench', 'node_modules');
if (!fs.existsSync(path.join(packagesDirectory, 'playwright-core'))) throw new Error(`playwright-core is missing in ${packagesDirectory}: run scripts/install-bench-packages.sh`);
const playwright = createRequire(path.join(packagesDirectory, 'package.json'))('playwright-core');

const dataDirectory = path.join(benchDirectory, 'vectors-100000x768');
// The same data set as the peers benchmark (which also searches its partitioned site), so neither regenerates it.
ensureDataSet(generator, dataDirectory, { layout: 'both' });
const data = loadDataSet(dataDirectory);
const { count, dimensions, k } = data.description;
const queryCount = Math.min(queryLimit, data.description.queries - 4);
const siteBytes = fs.readdirSync(data.siteI8, { recursive: true })
  .map((relative) => path.join(data.siteI8, relative)).filter((file) => fs.statSync(file).isFile())
  .reduce((sum, file) => sum + fs.statSync(file).size, 0);

// The bench page: the API's files and two small files of its own, in a scratch web folder.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-browser-bench-'));
const web = writeBenchPage(webDirectory, scratch, { title: 'Mosaic browser benchmark', body: `  const db = await Mosaic.open('/index/');
  const answer = await db.search(query, { k: ${k} });
  const firstResult = performance.now();
  window.bench = { db, firstResult, partial: answer.partial, shardsSearched: answer.shardsSearched,
    shardsTotal: answer.shardsTotal, ids: answer.results.map((result) => result.id) };
  await db.ready;
  window.bench.allShards = performance.now();
  window.bench.stats = db.stats;` });
const server = await serveBenchSite(mosaicBinary, data.siteI8, web, scratch);
const pageUrl = `http://127.0.0.1:${server.port}/#${query(data, 0).join(',')}`;

// The second load is a reload (bench_page.mjs).
const pageLoad = async (page, { reload = false } = {}) => {
  await loadBenchPage(page, pageUrl, { reload });
  return page.evaluate(() => {
    const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
    const { firstResult, allShards, partial, shardsSearched, shardsTotal, ids, stats } = window.bench;
    return { firstResult, allShards, partial, shardsSearched, shardsTotal, ids, stats,
      transferredBytes: entries.reduce((sum, entry) => sum + entry.transferSize, 0), requests: entries.length };
  });
};

let report;
const browser = await launchBrowser(playwright, path.join(scratch, 'profile'));
try {
  const page = browser.pages()[0] ?? await browser.newPage();
  console.error('browser benchmark: first load…');
  const first = await pageLoad(page);
  first.recallAt10 = recallAt(data, 0, first.ids.map((id) => rowOfItemId(data, id)));

  console.error(`browser benchmark: ${queryCount} queries…`);
  const queries = Array.from({ length: queryCount }, (_, index) => Array.from(query(data, index + 1)));
  // Warm-up with queries from the end of the file, which the timed ones never reach.
  const warmUp = [1, 2, 3].map((offset) => Array.from(query(data, data.description.queries - offset)));
  const timed = await page.evaluate(async ({ queries: list, warmUp: warmUpList, k: neighbours }) => {
    const { db } = window.bench;
    for (const vector of warmUpList) await db.search(Float32Array.from(vector), { k: neighbours });
    const answers = [];
    for (const vector of list) {
      const queryVector = Float32Array.from(vector);
      const started = performance.now();
      const answer = await db.search(queryVector, { k: neighbours });
      answers.push({ milliseconds: performance.now() - started, ids: answer.results.map((result) => result.id) });
    }
    return answers;
  }, { queries, warmUp, k });
  const times = timed.map((answer) => answer.milliseconds);
  const recall = timed.reduce((sum, answer, index) => sum + recallAt(data, index + 1, answer.ids.map((id) => rowOfItemId(data, id))), 0) / timed.length;

  console.error('browser benchmark: reload (shards from the Cache API)…');
  const reload = await pageLoad(page, { reload: true });
  const version = spawnSync(chromiumPath, ['--version'], { encoding: 'utf8' }).stdout?.trim().replace(/^Chromium (\S+).*$/s, '$1') || 'unknown';
  report = {
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), chromium: version },
    data: { ...data.description, siteBytes, quantization: 'i8', shards: first.shardsTotal },
    firstLoad: {
      firstResultMilliseconds: first.firstResult, firstResultPartial: first.partial, firstResultShards: first.shardsSearched,
      allShardsMilliseconds: first.allShards, transferredBytes: first.transferredBytes, requests: first.requests,
      firstQueryRecallAt10: first.recallAt10,
    },
    queries: { count: times.length, medianMilliseconds: percentile(times, 0.5), p95Milliseconds: percentile(times, 0.95), recallAt10: recall },
    reload: {
      firstResultMilliseconds: reload.firstResult, allShardsMilliseconds: reload.allShards, transferredBytes: reload.transferredBytes,
      shardsFromStore: reload.stats?.shardsFromStore, shardsFromNetwork: reload.stats?.shardsFromNetwork,
    },
  };
} finally {
  await browser.close();
  await server.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
}

fs.mkdirSync(benchDirectory, { recursive: true });
fs.writeFileSync(path.join(benchDirectory, 'browser-results.json'), `${JSON.stringify(report, null, 2)}\n`);
const megabytes = (bytes) => (bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`);
const { firstLoad, queries: timing, reload } = report;
console.log(`\nBrowser: ${count.toLocaleString('en')} x ${dimensions} int8 site (${megabytes(siteBytes)}, ${report.data.shards} shards), ` +
  `mosaic serve on 127.0.0.1, headless Chromium ${report.machine.chromium}, vector queries (k = ${k}, no model)`);
console.log('| measure | value |');
console.log('|---|---:|');
console.log(`| page load to first result (${firstLoad.firstResultPartial ? `partial: ${firstLoad.firstResultShards} of ${report.data.shards} shards` : 'all shards'}) | ${firstLoad.firstResultMilliseconds.toFixed(0)} ms |`);
console.log(`| page load to every shard searchable | ${firstLoad.allShardsMilliseconds.toFixed(0)} ms |`);
console.log(`| bytes transferred, first load | ${megabytes(firstLoad.transferredBytes)} in ${firstLoad.requests} requests |`);
console.log(`| query time, median / p95 (${timing.count} queries, all shards) | ${timing.medianMilliseconds.toFixed(2)} / ${timing.p95Milliseconds.toFixed(2)} ms |`);
console.log(`| recall@10 against exact float32 search | ${timing.recallAt10.toFixed(3)} |`);
console.log(`| reload: first result / every shard (shards from the Cache API) | ${reload.firstResultMilliseconds.toFixed(0)} / ${reload.allShardsMilliseconds.toFixed(0)} ms |`);
console.log(`| reload: bytes transferred | ${megabytes(reload.transferredBytes)} (${reload.shardsFromNetwork ?? '?'} shards from the network) |`);
console.log(`Full figures: ${path.relative(repositoryRoot, path.join(benchDirectory, 'browser-results.json'))}`);
