// The partitioned layout in the browser (issue 13, "How it is measured" 3): a partitioned site of
// --count x 768 int8 vectors (mosaic_bench_vectors; 100,000 shares the peers benchmark's data set, other
// counts get a data set of their own with the partitioned site alone) served by the release build's
// `mosaic serve --site` on 127.0.0.1, opened in headless Chromium by a minimal page that uses the
// product's JavaScript API (mosaic.mjs over the wasm core) and nothing else:
//   first result   from navigation start to the first answer of db.search: the page loads, fetches the
//                  manifest and the centroid table, then the partitions the query probes (default knobs)
//   bytes before   transferred on the wire until the first result (resource timing, headers included)
//   cold queries   --queries further queries, each probing partitions not fetched yet by earlier ones
//                  (median/p95, and how many partitions each fetched)
//   warm queries   the same queries again once their partitions are in memory (maxMemoryMB 2048 so
//                  nothing is evicted), median/p95, and recall@10 against the exact float32 top-10
//   size on disk   every file of the site
// Queries are vectors, so no embedding model is involved. Results: build/bench/partitioned-browser-
// <count>-results.json and a table on stdout.
// Usage: node tests/bench/partitioned_browser_benchmark.mjs GENERATOR MOSAIC_BINARY WEB_DIR [--count N] [--queries N]
//          [--nprobe N] [--rerank-depth N]   (search knobs; default: the core's defaults)
//          [--whole-partitions]               (fetch whole partitions, not heads and rows by Range: the
//                                              client before Range reads, for comparison)
//          [--forced-ranges]                  (heads and rows by Range always: rangeRequests: true; by default
//                                              the client chooses, as a page that leaves rangeRequests out)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

import { chromiumPath, launchBrowser } from '../browser/browser.mjs';
import { ensureDataSet, percentile, query, recallAt, rowOfItemId } from './bench_data.mjs';
import { loadBenchPage, serveBenchSite, writeBenchPage } from './bench_page.mjs';

const [generator, mosaicBinary, webDirectory] = process.argv.slice(2);
const option = (name, fallback) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const count = option('--count', 100000);
const queryLimit = option('--queries', 100);
// The search knobs (default: the core's own defaults); results files of other knobs are named by them.
const knobs = {};
if (option('--nprobe', undefined) !== undefined) knobs.nprobe = option('--nprobe', undefined);
if (option('--rerank-depth', undefined) !== undefined) knobs.rerankDepth = option('--rerank-depth', undefined);
const wholePartitions = process.argv.includes('--whole-partitions');
const forcedRanges = process.argv.includes('--forced-ranges');
const rangeOption = wholePartitions ? 'false' : forcedRanges ? 'true' : 'undefined';
const knobsName = Object.keys(knobs).length ? `nprobe ${knobs.nprobe ?? 'default'}, rerank depth ${knobs.rerankDepth ?? 'default'}` : 'default knobs';
if (!generator || !mosaicBinary || !webDirectory) {
  throw new Error('usage: partitioned_browser_benchmark.mjs GENERATOR MOSAIC_BINARY WEB_DIR [--count N] [--queries N]');
}

const repositoryRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const benchDirectory = path.join(repositoryRoot, 'build', 'bench');
const cacheDirectory = process.env.MOSAIC_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'mosaic');
const packagesDirectory = path.join(cacheDirectory, 'npm-bench', 'node_modules');
if (!fs.existsSync(path.join(packagesDirectory, 'playwright-core'))) throw new Error(`playwright-core is missing in ${packagesDirectory}: run scripts/install-bench-packages.sh`);
const playwright = createRequire(path.join(packagesDirectory, 'package.json'))('playwright-core');

const dataDirectory = path.join(benchDirectory, `vectors-${count}x768`);
// 100,000: the peers' data set (all three sites); larger: the partitioned site alone (1,000,000 x 768 float
// vectors take 3 GB in the generator; flat sites of them would add 1.7 GB on disk for nothing measured here).
ensureDataSet(generator, dataDirectory, { count, layout: count === 100000 ? 'both' : 'partitioned' });
// Only the queries and their truth: the float vectors (3 GB at 1,000,000) are not needed here.
const description = JSON.parse(fs.readFileSync(path.join(dataDirectory, 'dataset.json'), 'utf8'));
const readTyped = (name, Type) => {
  const bytes = fs.readFileSync(path.join(dataDirectory, description.files[name]));
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Type(copy.buffer);
};
const data = {
  description, queries: readTyped('queries', Float32Array), truth: readTyped('truth', Uint32Array),
  sitePartitioned: description.sitePartitioned && path.join(dataDirectory, description.sitePartitioned),
};
const { dimensions, k } = data.description;
if (!data.sitePartitioned) throw new Error(`${dataDirectory} has no partitioned site`);
const queryCount = Math.min(queryLimit, data.description.queries - 1);
const siteBytes = fs.readdirSync(data.sitePartitioned, { recursive: true })
  .map((relative) => path.join(data.sitePartitioned, relative)).filter((file) => fs.statSync(file).isFile())
  .reduce((sum, file) => sum + fs.statSync(file).size, 0);
const manifest = JSON.parse(fs.readFileSync(path.join(data.sitePartitioned, 'manifest.json'), 'utf8'));

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-partitioned-bench-'));
const web = writeBenchPage(webDirectory, scratch, { title: 'Mosaic partitioned benchmark', body: `  const transferred = () => [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
    .reduce((sum, entry) => ({ bytes: sum.bytes + entry.transferSize, requests: sum.requests + 1 }), { bytes: 0, requests: 0 });
  const db = await Mosaic.open('/index/', { maxMemoryMB: 2048, rangeRequests: ${rangeOption} });
  const answer = await db.search(query, { k: ${k}, ...${JSON.stringify(knobs)} });
  const firstResult = performance.now();
  window.bench = { db, firstResult, before: transferred(), approximate: answer.approximate,
    partitionsFetched: answer.partitionsFetched, ids: answer.results.map((result) => result.id) };` });
const server = await serveBenchSite(mosaicBinary, data.sitePartitioned, web, scratch);
const pageUrl = `http://127.0.0.1:${server.port}/#${query(data, 0).join(',')}`;

let report;
const browser = await launchBrowser(playwright, path.join(scratch, 'profile'));
try {
  const page = browser.pages()[0] ?? await browser.newPage();
  console.error(`partitioned browser benchmark (${count.toLocaleString('en')} items): first load…`);
  await loadBenchPage(page, pageUrl);
  const first = await page.evaluate(() => {
    const { firstResult, before, approximate, partitionsFetched, ids } = window.bench;
    return { firstResult, before, approximate, partitionsFetched, ids };
  });
  first.recallAt10 = recallAt(data, 0, first.ids.map((id) => rowOfItemId(data, id)));

  console.error(`  ${queryCount} cold queries, then the same warm…`);
  const queries = Array.from({ length: queryCount }, (_, index) => Array.from(query(data, index + 1)));
  const passes = await page.evaluate(async ({ queries: list, k: neighbours, knobs: searchKnobs }) => {
    const { db } = window.bench;
    const pass = async () => {
      const answers = [];
      for (const vector of list) {
        const queryVector = Float32Array.from(vector);
        const started = performance.now();
        const answer = await db.search(queryVector, { k: neighbours, ...searchKnobs });
        answers.push({ milliseconds: performance.now() - started, fetched: answer.partitionsFetched, ids: answer.results.map((result) => result.id) });
      }
      return answers;
    };
    const cold = await pass();
    const warm = await pass();
    const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
    return { cold, warm, stats: db.stats, transferredBytes: entries.reduce((sum, entry) => sum + entry.transferSize, 0) };
  }, { queries, k, knobs });
  const summary = (answers) => {
    const times = answers.map((answer) => answer.milliseconds);
    return {
      count: times.length, medianMilliseconds: percentile(times, 0.5), p95Milliseconds: percentile(times, 0.95),
      recallAt10: answers.reduce((sum, answer, index) => sum + recallAt(data, index + 1, answer.ids.map((id) => rowOfItemId(data, id))), 0) / answers.length,
      partitionsFetchedMedian: percentile(answers.map((answer) => answer.fetched), 0.5),
      queriesThatFetched: answers.filter((answer) => answer.fetched > 0).length,
    };
  };
  const version = spawnSync(chromiumPath, ['--version'], { encoding: 'utf8' }).stdout?.trim().replace(/^Chromium (\S+).*$/s, '$1') || 'unknown';
  report = {
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), chromium: version },
    knobs,
    fetching: wholePartitions ? 'whole partitions' : forcedRanges ? 'partition heads and re-ranked rows by Range'
      : 'Range until it stops paying (rangesStopped), then whole partitions',
    data: { ...data.description, siteBytes, partitions: manifest.partitions?.length, centroidBytes: manifest.centroids?.bytes },
    firstLoad: {
      firstResultMilliseconds: first.firstResult, bytesBeforeFirstResult: first.before.bytes, requestsBeforeFirstResult: first.before.requests,
      partitionsFetched: first.partitionsFetched, approximate: first.approximate, firstQueryRecallAt10: first.recallAt10,
    },
    cold: summary(passes.cold),
    warm: summary(passes.warm),
    afterAllQueries: { transferredBytes: passes.transferredBytes, stats: passes.stats },
  };
} finally {
  await browser.close();
  await server.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
}

fs.mkdirSync(benchDirectory, { recursive: true });
const knobsSuffix = Object.entries(knobs).map(([name, value]) => `-${name}-${value}`).join('') + (wholePartitions ? '-whole' : forcedRanges ? '-ranges' : '');
const resultsFile = path.join(benchDirectory, `partitioned-browser-${count}${knobsSuffix}-results.json`);
fs.writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`);
const megabytes = (bytes) => (bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`);
const { firstLoad, cold, warm } = report;
console.log(`\nBrowser, partitioned: ${count.toLocaleString('en')} x ${dimensions} int8 (${megabytes(siteBytes)} on disk, ${report.data.partitions} partitions), ` +
  `mosaic serve on 127.0.0.1, headless Chromium ${report.machine.chromium}, vector queries (k = ${k}, ${knobsName}, no model), ${report.fetching}`);
console.log('| measure | value | target |');
console.log('|---|---:|---|');
console.log(`| page load to first result | ${firstLoad.firstResultMilliseconds.toFixed(0)} ms | < 1,500 ms: ${firstLoad.firstResultMilliseconds < 1500 ? 'met' : 'missed'} |`);
console.log(`| bytes before the first result | ${megabytes(firstLoad.bytesBeforeFirstResult)} in ${firstLoad.requestsBeforeFirstResult} requests (${firstLoad.partitionsFetched} partitions) | < 10 MB: ${firstLoad.bytesBeforeFirstResult < 10e6 ? 'met' : 'missed'} |`);
console.log(`| cold query, median / p95 (${cold.count} queries, ${cold.queriesThatFetched} fetched partitions, median ${cold.partitionsFetchedMedian}) | ${cold.medianMilliseconds.toFixed(1)} / ${cold.p95Milliseconds.toFixed(1)} ms | |`);
console.log(`| warm query, median / p95 | ${warm.medianMilliseconds.toFixed(2)} / ${warm.p95Milliseconds.toFixed(2)} ms | p50 < 20 ms: ${warm.medianMilliseconds < 20 ? 'met' : 'missed'} |`);
console.log(`| recall@10 against exact float32 | ${warm.recallAt10.toFixed(3)} | ≥ 0.95: ${warm.recallAt10 >= 0.95 ? 'met' : 'missed'} |`);
console.log(`| size on disk | ${megabytes(siteBytes)} | |`);
console.log(`| Range requests for rows, all queries | ${report.afterAllQueries.stats.rangeRequests ?? 0} | |`);
console.log(`| Range reads stopped (whole partitions from then on) | ${report.afterAllQueries.stats.rangesStopped ? 'yes' : 'no'} | |`);
console.log(`| downloaded over all queries | ${megabytes(report.afterAllQueries.stats.bytesFromNetwork ?? 0)} | |`);
console.log(`Full figures: ${path.relative(repositoryRoot, resultsFile)}`);
