// The peers benchmark (make bench): the same 100,000 x 768 unit vectors searched under Node by
// Mosaic's wasm module (through its JavaScript API, the int8 and the float32 site) and by libraries
// installed from npm (scripts/install-bench-packages.sh), all in one run on one machine:
//   hnswlib-wasm  HNSW (M 16, efConstruction 200: hnswlib's defaults; efSearch 50) and its brute force
//   voy-search    a k-d tree (Rust, wasm); it cannot build over 100,000 x 768 here, see below
//   @orama/orama  its vector mode (brute-force cosine in JavaScript; similarity threshold 0.3, below
//                 which no true neighbour of this data lies, so the threshold never costs recall)
//   usearch       native addon: exact search (float32, and int8 on the same codes the i8 site stores)
//                 and HNSW (float32, connectivity 16, its default expansions)
//   a plain JavaScript loop: exact float32 dot products with a small sorted top-k
// Each gets build time (index construction; for Mosaic: opening the site from disk, checking
// every shard's hash and decoding it), median and p95 of single-query time (k = 10, one query at a
// time on one thread; usearch is asked for one thread too, and builds its HNSW with all cores), and
// recall@10 against the exact float32 top-10 the generator computed. Queries are vectors, so no model
// is involved. Each method runs up to --queries queries after 3 warm-up queries, but stops once its
// queries have taken --budget-seconds (at least 10 queries), so slow peers do not stretch the run.
// Results: build/bench/peers-results.json and a table on stdout.
// A build that cannot finish in --build-budget-seconds (the HNSW builds: hnswlib-wasm's takes several
// minutes for all 100,000, usearch's about three on this shared machine) indexes a prefix of the
// vectors; its recall is then against the exact top-10 of that prefix, and the table says so and gives
// the full build time extrapolated linearly (a lower bound: HNSW insertion slows as the graph grows).
// voy-search, which fails over all 100,000, is measured on its largest build that works here (30,000).
// Hence "build" and query times of those rows are for fewer vectors than the others'.
// Usage: node tests/bench/peers_benchmark.mjs GENERATOR WEB_DIR [--queries N] [--budget-seconds S]
//          [--build-budget-seconds S]
//   GENERATOR  build-release/bin/mosaic_bench_vectors;  WEB_DIR  build-wasm/web (mosaic.mjs)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

import { ensureDataSet, loadDataSet, percentile, query, queryCodes, recallAt, rowOfItemId } from './bench_data.mjs';

const [generator, webDirectory] = process.argv.slice(2);
const option = (name, fallback) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const queryLimit = option('--queries', 100);
const budgetMilliseconds = option('--budget-seconds', 20) * 1000;
const buildBudgetMilliseconds = option('--build-budget-seconds', 60) * 1000;
if (!generator || !webDirectory) throw new Error('usage: peers_benchmark.mjs GENERATOR WEB_DIR [--queries N] [--budget-seconds S] [--build-budget-seconds S]');

const repositoryRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const benchDirectory = path.join(repositoryRoot, 'build', 'bench');
const cacheDirectory = process.env.MOSAIC_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'mosaic');
const packagesDirectory = path.join(cacheDirectory, 'npm-bench', 'node_modules');
if (!fs.existsSync(packagesDirectory)) throw new Error(`${packagesDirectory} is missing: run scripts/install-bench-packages.sh`);
const requirePackage = createRequire(path.join(packagesDirectory, 'package.json'));
const packageVersion = (name) => JSON.parse(fs.readFileSync(path.join(packagesDirectory, name, 'package.json'), 'utf8')).version;

const dataDirectory = path.join(benchDirectory, 'vectors-100000x768');
ensureDataSet(generator, dataDirectory);
const data = loadDataSet(dataDirectory);
const { count, dimensions, k } = data.description;
const queryCount = Math.min(queryLimit, data.description.queries - 3);

// Each method: { name, kind, note, build() -> search(queryVector, queryIndex) -> (Promise of) row numbers, close() }.
const methods = [];

// ---- Mosaic: the JavaScript API over the wasm core, the site read from disk (file: URLs) ----
const { Mosaic } = await import(pathToFileURL(path.join(path.resolve(webDirectory), 'mosaic.mjs')).href);
for (const [name, site] of [['Mosaic wasm, exact int8 (ours)', data.siteI8], ['Mosaic wasm, exact f32 (ours)', data.siteF32]]) {
  methods.push({
    name, kind: 'exact', ours: true, library: 'mosaic (this build)',
    async build() {
      const db = await Mosaic.open(`${pathToFileURL(site).href}/`, { storage: null });
      await db.ready;
      if (db.errors?.length) throw new Error(`Mosaic refused shards: ${db.errors.map((error) => error.message).join('; ')}`);
      this.db = db;
      return async (vector) => (await db.search(vector, { k })).results.map((result) => rowOfItemId(data, result.id));
    },
    close() { this.db?.close(); },
  });
}

// ---- a plain JavaScript loop: what a page without a library would do ----
// Exact top-k by float32 dot product over the first `rows` vectors, best first. Also the reference for a
// peer that indexed only a prefix of the vectors in its build budget.
function exactTopRows(vector, rows) {
  const vectors = data.vectors;
  const bestScores = new Float64Array(k).fill(-Infinity);
  const bestRows = new Int32Array(k).fill(-1);
  for (let row = 0, offset = 0; row < rows; row += 1, offset += dimensions) {
    let score = 0;
    for (let dimension = 0; dimension < dimensions; dimension += 1) score += vector[dimension] * vectors[offset + dimension];
    if (score <= bestScores[k - 1]) continue;
    let position = k - 1;
    while (position > 0 && bestScores[position - 1] < score) {
      bestScores[position] = bestScores[position - 1];
      bestRows[position] = bestRows[position - 1];
      position -= 1;
    }
    bestScores[position] = score;
    bestRows[position] = row;
  }
  return Array.from(bestRows);
}
methods.push({
  name: 'plain JavaScript loop, exact f32', kind: 'exact', library: `Node ${process.versions.node}`,
  build() {
    return (vector) => exactTopRows(vector, count);
  },
});

// ---- hnswlib-wasm: an emscripten build for the web; its loader checks for `window` before anything else.
// It then tries to mount IndexedDB storage, which Node lacks: the "Aborted(Assertion failed: IDBFS used…)"
// it prints is about that optional storage, and searching is unaffected. ----
let hnswlibModule;
async function hnswlib() {
  if (!hnswlibModule) {
    globalThis.window ??= {};
    const { loadHnswlib } = await import(pathToFileURL(path.join(packagesDirectory, 'hnswlib-wasm', 'dist', 'hnswlib.js')).href);
    hnswlibModule = await loadHnswlib();
  }
  return hnswlibModule;
}
const rowVector = (row) => data.vectors.subarray(row * dimensions, (row + 1) * dimensions);
methods.push({
  name: 'hnswlib-wasm, brute force f32', kind: 'exact', library: `hnswlib-wasm ${packageVersion('hnswlib-wasm')}`,
  async build() {
    const library = await hnswlib();
    const index = new library.BruteforceSearch('ip', dimensions);
    index.initIndex(count);
    for (let row = 0; row < count; row += 1) index.addPoint(rowVector(row), row);
    this.index = index;
    return (vector) => Array.from(index.searchKnn(vector, k, undefined).neighbors);
  },
  close() { this.index?.delete(); },
});
methods.push({
  name: 'hnswlib-wasm, HNSW f32', kind: 'approximate', library: `hnswlib-wasm ${packageVersion('hnswlib-wasm')}`,
  note: 'M 16, efConstruction 200, efSearch 50',
  async build() {
    const library = await hnswlib();
    const index = new library.HierarchicalNSW('ip', dimensions, '');
    index.initIndex(count, 16, 200, 100);
    // Vectors go in one by one until the build budget is spent: the whole 100,000 take this build
    // several minutes, so a partial graph is measured and the full build time extrapolated.
    const started = performance.now();
    let row = 0;
    while (row < count && performance.now() - started < buildBudgetMilliseconds) {
      const end = Math.min(count, row + 500);
      for (; row < end; row += 1) index.addPoint(rowVector(row), row, false);
    }
    this.indexedRows = row;
    index.setEfSearch(50);
    this.index = index;
    return (vector) => Array.from(index.searchKnn(vector, k, undefined).neighbors);
  },
  close() { this.index?.delete(); },
});

const voyFallbackRows = 30000;
// ---- voy-search: wasm-bindgen output for bundlers (imports its .wasm as a module), instantiated by hand ----
methods.push({
  name: 'voy-search, k-d tree f32', kind: 'exact', library: `voy-search ${packageVersion('voy-search')}`,
  async build() {
    const directory = path.join(packagesDirectory, 'voy-search');
    const bindings = await import(pathToFileURL(path.join(directory, 'voy_search_bg.js')).href);
    const { instance } = await WebAssembly.instantiate(fs.readFileSync(path.join(directory, 'voy_search_bg.wasm')),
      { './voy_search_bg.js': bindings });
    bindings.__wbg_set_wasm(instance.exports);
    const build = (rows) => {
      const embeddings = [];
      for (let row = 0; row < rows; row += 1) {
        embeddings.push({ id: String(row), title: '', url: '', embeddings: Array.from(rowVector(row)) });
      }
      return new bindings.Voy({ embeddings });
    };
    let index;
    try {
      index = build(count);
    } catch (error) {
      // Measured here: 0.6.3 throws "`unwrap_throw` failed" from 50,000 x 768 up (its tree takes about
      // 20 KB a vector in wasm memory) and builds 30,000. The table says so and measures 30,000.
      this.note = `all ${count.toLocaleString('en')} failed (${error.message})`;
      this.indexedRows = voyFallbackRows;
      this.extrapolate = false;  // not a budget cut: the smaller build is all it can do
      const started = performance.now();
      index = build(voyFallbackRows);
      this.buildSeconds = (performance.now() - started) / 1000;  // without the failed attempt
    }
    return (vector) => index.search(vector, k).neighbors.map((neighbour) => Number(neighbour.id));
  },
});

// ---- @orama/orama: its vector mode ----
methods.push({
  name: '@orama/orama, vector mode f32', kind: 'exact', library: `@orama/orama ${packageVersion('@orama/orama')}`,
  note: 'similarity threshold 0.3',
  async build() {
    const orama = await import(pathToFileURL(path.join(packagesDirectory, '@orama', 'orama', 'dist', 'esm', 'index.js')).href);
    const db = orama.create({ schema: { embedding: `vector[${dimensions}]` } });
    const batch = [];
    for (let row = 0; row < count; row += 1) {
      batch.push({ id: String(row), embedding: Array.from(rowVector(row)) });
      if (batch.length === 1000 || row === count - 1) {
        await orama.insertMultiple(db, batch, 1000);
        batch.length = 0;
      }
    }
    return async (vector) => {
      const answer = await orama.search(db, { mode: 'vector', vector: { value: vector, property: 'embedding' }, similarity: 0.3, limit: k });
      return answer.hits.map((hit) => Number(hit.id));
    };
  },
});

// ---- usearch: the native addon (prebuilt linux-x64 binary from its npm tarball) ----
// Its addon reads a typed array from the start of its buffer and ignores byteOffset (2.25.3), so every
// query goes in as a copy of its own (3 KB; the copy is timed with the query and costs under a microsecond).
const usearch = requirePackage('usearch');
const usearchVersion = `usearch ${packageVersion('usearch')} (native)`;
const rowsOf = (keys) => Array.from(keys, (key) => Number(key));
methods.push({
  name: 'usearch native, exact f32', kind: 'exact', library: usearchVersion, note: '1 thread',
  build() {
    return (vector) => rowsOf(usearch.exactSearch(data.vectors, vector.slice(), dimensions, k, 'ip', 1).keys);
  },
});
methods.push({
  name: 'usearch native, exact int8', kind: 'exact', library: usearchVersion, note: '1 thread; the i8 site\'s codes, cosine',
  build() {
    // usearch's int8 search takes int8 queries: the generator wrote each query's codes (shared quantize_i8).
    return (vector, queryIndex) => rowsOf(usearch.exactSearch(data.codes, queryCodes(data, queryIndex).slice(), dimensions, k, 'cos', 1).keys);
  },
});
methods.push({
  name: 'usearch native, HNSW f32', kind: 'approximate', library: usearchVersion,
  note: `connectivity 16, default expansions; built with ${os.availableParallelism()} threads, searched with 1`,
  build() {
    const index = new usearch.Index({ metric: 'ip', dimensions, connectivity: 16, quantization: 'f32' });
    // In batches of 2,000 until the build budget is spent, as for hnswlib-wasm's HNSW.
    const started = performance.now();
    let row = 0;
    while (row < count && performance.now() - started < buildBudgetMilliseconds) {
      const end = Math.min(count, row + 2000);
      const keys = BigUint64Array.from({ length: end - row }, (_, offset) => BigInt(row + offset));
      index.add(keys, data.vectors.slice(row * dimensions, end * dimensions), 0);
      row = end;
    }
    this.indexedRows = row;
    return (vector) => rowsOf(index.search(vector.slice(), k, 1).keys);
  },
});

function recallOfRows(truthRows, found) {
  const truth = new Set(truthRows);
  return found.slice(0, k).filter((row) => truth.has(row)).length / k;
}

// ---- the run ----
const results = [];
for (const method of methods) {
  const entry = { name: method.name, kind: method.kind, library: method.library, ours: Boolean(method.ours) };
  console.error(`peers benchmark: ${method.name}…`);
  try {
    const buildStarted = performance.now();
    const search = await method.build();
    entry.buildSeconds = method.buildSeconds ?? (performance.now() - buildStarted) / 1000;
    entry.note = method.note ?? '';
    const indexedRows = method.indexedRows ?? count;
    if (indexedRows < count) {
      entry.indexedVectors = indexedRows;
      if (method.extrapolate !== false) entry.fullBuildSecondsExtrapolated = entry.buildSeconds * (count / indexedRows);
      entry.note = `${entry.note ? `${entry.note}; ` : ''}built on the first ${indexedRows.toLocaleString('en')} vectors, recall against their exact top-10`;
    }
    // Warm-up with queries from the end of the file, which the timed ones (from the start) never reach.
    for (let warmUp = data.description.queries - 3; warmUp < data.description.queries; warmUp += 1) await search(query(data, warmUp), warmUp);
    const times = [];
    let recallSum = 0;
    let spent = 0;
    for (let index = 0; index < queryCount; index += 1) {
      const started = performance.now();
      const rows = await search(query(data, index), index);
      const elapsed = performance.now() - started;
      times.push(elapsed);
      spent += elapsed;
      recallSum += indexedRows < count ? recallOfRows(exactTopRows(query(data, index), indexedRows), rows) : recallAt(data, index, rows);
      if (spent > budgetMilliseconds && times.length >= 10) break;
    }
    entry.queries = times.length;
    entry.medianMilliseconds = percentile(times, 0.5);
    entry.p95Milliseconds = percentile(times, 0.95);
    entry.recallAt10 = recallSum / times.length;
  } catch (error) {
    entry.error = String(error?.stack ?? error);
    console.error(`peers benchmark: ${method.name} failed: ${entry.error}`);
  } finally {
    method.close?.();
  }
  results.push(entry);
  console.error(`  ${JSON.stringify(entry)}`);
}

const ours = results.find((entry) => entry.name.includes('int8 (ours)'));
for (const entry of results) {
  if (ours?.medianMilliseconds && entry.medianMilliseconds) entry.medianVsOurs = entry.medianMilliseconds / ours.medianMilliseconds;
}
// The target names every wasm and JavaScript peer, approximate ones included; the table says which is which.
const fasterThanOurs = results.filter((entry) => !entry.ours && !entry.library.includes('native') &&
  entry.medianMilliseconds !== undefined && entry.medianMilliseconds < ours?.medianMilliseconds);
const nativeExact = results.filter((entry) => entry.library.includes('native') && entry.kind === 'exact' && entry.medianMilliseconds);
const nativeBest = nativeExact.length ? Math.min(...nativeExact.map((entry) => entry.medianMilliseconds)) : undefined;
const targets = {
  fasterThanEveryWasmAndJavaScriptPeer: ours?.medianMilliseconds !== undefined && fasterThanOurs.length === 0,
  fasterPeers: fasterThanOurs.map((entry) => entry.name),
  oursOverNativeExact: nativeBest && ours?.medianMilliseconds ? ours.medianMilliseconds / nativeBest : undefined,
};
targets.withinTwiceOfNativeExact = targets.oursOverNativeExact !== undefined && targets.oursOverNativeExact <= 2;

const report = {
  date: new Date().toISOString(),
  machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.versions.node },
  data: { ...data.description, queriesRun: queryCount, budgetSeconds: budgetMilliseconds / 1000 },
  results,
  targets,
};
fs.mkdirSync(benchDirectory, { recursive: true });
fs.writeFileSync(path.join(benchDirectory, 'peers-results.json'), `${JSON.stringify(report, null, 2)}\n`);

const format = (value, digits = 1) => (value === undefined ? '–' : value.toFixed(digits));
console.log(`\nPeers: ${count.toLocaleString('en')} x ${dimensions} unit vectors, k = ${k}, vector queries, one at a time (Node ${process.versions.node})`);
console.log('| method | kind | build s | median ms | p95 ms | vs ours (int8) | recall@10 | queries |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
for (const entry of results) {
  if (entry.error) {
    console.log(`| ${entry.name} | ${entry.kind} | failed: ${entry.error.split('\n')[0]} | | | | | |`);
    continue;
  }
  console.log(`| ${entry.name}${entry.note ? ` (${entry.note})` : ''} | ${entry.kind} | ${format(entry.buildSeconds)} | ${format(entry.medianMilliseconds, 2)} | ` +
    `${format(entry.p95Milliseconds, 2)} | ${format(entry.medianVsOurs, 2)}× | ${format(entry.recallAt10, 3)} | ${entry.queries} |`);
}
console.log(`Target: faster than every wasm/JS peer: ${targets.fasterThanEveryWasmAndJavaScriptPeer ? 'met' : `missed (faster: ${targets.fasterPeers.join(', ')})`}; ` +
  `within 2× of usearch's native exact search: ${targets.withinTwiceOfNativeExact ? 'met' : 'missed'} (${format(targets.oursOverNativeExact, 2)}×)`);
console.log(`Full figures: ${path.relative(repositoryRoot, path.join(benchDirectory, 'peers-results.json'))}`);
if (results.some((entry) => entry.error)) process.exitCode = 1;
