// The peers benchmark (make bench): the same 100,000 x 768 unit vectors searched under Node by
// Mosaic's wasm module (through its JavaScript API, the int8 and the float32 site, and the partitioned
// site: approximate, every partition prefetched, swept over nprobe/rerank depth and compared with the
// HNSW graphs at recall@10 0.95 and at the flat int8 recall, see targets.partitioned) and by libraries
// installed from npm (scripts/install-bench-packages.sh), all in one run on one machine:
//   hnswlib-wasm  HNSW (M 16, efConstruction 200: hnswlib's defaults) and its brute force
//   voy-search    a k-d tree (Rust, wasm); it cannot build over 100,000 x 768 here, see below
//   @orama/orama  its vector mode (brute-force cosine in JavaScript; similarity threshold 0.3, below
//                 which no true neighbour of this data lies, so the threshold never costs recall)
//   usearch       native addon: exact search (float32, and int8 on the same codes the i8 site stores)
//                 and HNSW (float32, connectivity 16, its default expansion_add 128)
//   a plain JavaScript loop: exact float32 dot products with a small sorted top-k
// Each gets build time (index construction; for Mosaic: opening the site from disk, checking
// every shard's hash and decoding it), median and p95 of single-query time (k = 10, one query at a
// time on one thread; usearch is asked for one thread too, and builds its HNSW with all cores), and
// recall@10 against the exact float32 top-10 the generator computed. Queries are vectors, so no model
// is involved. Each method runs up to --queries queries after 3 warm-up queries, but stops once its
// queries have taken --budget-seconds (at least 10 queries), so slow peers do not stretch the run.
// The HNSW graphs are built over all 100,000 vectors (minutes each) and cached in build/bench/peer-graphs
// (peer_graph_cache.mjs): a later run loads them and reports the build time measured when they were
// built, and that they were loaded. Each HNSW graph is searched at several search breadths (hnswlib's
// efSearch, usearch's expansion_search), each with its own time and recall, so it can be compared with
// ours at equal recall; the table shows its default breadth and the smallest one that reaches our recall.
// voy-search, which fails over all 100,000, is measured on its largest build that works here (30,000):
// its build and query times are for fewer vectors than the others'.
// Results: build/bench/peers-results.json (every breadth) and tables on stdout.
// Usage: node tests/bench/peers_benchmark.mjs GENERATOR WEB_DIR [--queries N] [--budget-seconds S] [--only NAME,…]
//   GENERATOR  build-release/bin/mosaic_bench_vectors;  WEB_DIR  build-wasm/web (mosaic.mjs)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

import { ensureDataSet, loadDataSet, percentile, query, queryCodes, recallAt, rowOfItemId } from './bench_data.mjs';
import { loadHnswlibForNode } from './hnswlib_wasm_node.mjs';
import { findCachedGraph, sha256Of, storeCachedGraph } from './peer_graph_cache.mjs';

const [generator, webDirectory] = process.argv.slice(2);
const option = (name, fallback) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const queryLimit = option('--queries', 100);
const budgetMilliseconds = option('--budget-seconds', 20) * 1000;
// --only a,b: only the methods whose names contain one of these (to re-measure a few; the targets then
// cover only those).
const onlyIndex = process.argv.indexOf('--only');
const onlyNames = onlyIndex > 0 ? process.argv[onlyIndex + 1].split(',') : undefined;
if (!generator || !webDirectory) throw new Error('usage: peers_benchmark.mjs GENERATOR WEB_DIR [--queries N] [--budget-seconds S] [--only NAME,…]');

const repositoryRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const benchDirectory = path.join(repositoryRoot, 'build', 'bench');
const cacheDirectory = process.env.MOSAIC_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'mosaic');
const packagesDirectory = path.join(cacheDirectory, 'npm-bench', 'node_modules');
if (!fs.existsSync(packagesDirectory)) throw new Error(`${packagesDirectory} is missing: run scripts/install-bench-packages.sh`);
const requirePackage = createRequire(path.join(packagesDirectory, 'package.json'));
const packageVersion = (name) => JSON.parse(fs.readFileSync(path.join(packagesDirectory, name, 'package.json'), 'utf8')).version;

const dataDirectory = path.join(benchDirectory, 'vectors-100000x768');
ensureDataSet(generator, dataDirectory, { layout: 'both' });
const data = loadDataSet(dataDirectory);
const { count, dimensions, k } = data.description;
const queryCount = Math.min(queryLimit, data.description.queries - 3);
// The search breadths each HNSW graph is measured at.
const searchBreadths = [10, 16, 32, 50, 64, 100, 128, 200, 400];
const graphDirectory = path.join(benchDirectory, 'peer-graphs');
// What a cached graph was built from: these exact vectors (not only the generator's parameters).
const dataSetIdentity = { vectorsSha256: sha256Of(new Uint8Array(data.vectors.buffer)), count, dimensions };
const seconds = (milliseconds) => Math.round(milliseconds / 100) / 10;

// Each method: { name, kind, note, build() -> search(queryVector, queryIndex) -> (Promise of) row numbers, close() }.
// A method with `breadth` ({ parameter, values, headline }) is measured at each value: its build()
// returns breadth -> search instead.
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

// ---- Mosaic's partitioned layout (approximate): the same items, int8, clustered at write time; opened
// with prefetch so every partition is in memory (warm queries), then searched at several breadths ----
// Each breadth is "nprobe/rerank depth"; "auto" is the core's default depth (one re-ranked row per 16
// scanned, at least 256), and 16/auto the core's defaults (shared/partition/partitioned_search.hpp).
const partitionedBreadths = ['1/256', '2/256', '4/256', '8/64', '8/128', '8/256', '8/512', '16/256', '16/512', '32/256', '32/512',
  '4/auto', '8/auto', '16/auto', '32/auto', '64/auto', '128/auto'];
if (data.sitePartitioned) {
  methods.push({
    name: 'Mosaic wasm, partitioned (ours)', kind: 'approximate', ours: true, library: 'mosaic (this build)',
    breadth: { parameter: 'nprobe/rerank depth', values: partitionedBreadths, headline: '16/auto' },
    async build() {
      const db = await Mosaic.open(`${pathToFileURL(data.sitePartitioned).href}/`, { storage: null, prefetch: true, maxMemoryMB: 4096 });
      await db.ready;
      if (db.errors?.length) throw new Error(`Mosaic refused partitions: ${db.errors.map((error) => error.message).join('; ')}`);
      this.db = db;
      // Warm-up beyond measure()'s 3 queries: the first breadth measured otherwise pays for the wasm
      // engine's tier-up (measured: 1/256 slower than 2/256 when it came first).
      for (let warmUp = 0; warmUp < 30; warmUp += 1) await db.search(query(data, data.description.queries - 1 - (warmUp % 3)), { k });
      const writeSeconds = data.description.partitionedBuild?.writeSiteSeconds;
      this.note = `every partition prefetched; index written (k-means + files) in ${writeSeconds === undefined ? '?' : writeSeconds.toFixed(1)} s by the generator`;
      return (breadth) => {
        const [nprobe, depth] = breadth.split('/');
        const knobs = { nprobe: Number(nprobe), ...(depth === 'auto' ? {} : { rerankDepth: Number(depth) }) };
        return async (vector) => {
          const answer = await db.search(vector, { k, ...knobs });
          if (answer.partitionsFetched !== 0) throw new Error(`a warm query fetched ${answer.partitionsFetched} partitions`);
          return answer.results.map((result) => rowOfItemId(data, result.id));
        };
      };
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

// ---- the HNSW graphs: built once over every vector, then cached (peer_graph_cache.mjs) ----
// Progress on stderr while a build runs for minutes: at most one line every 20 s.
function progressReporter(label) {
  const started = performance.now();
  let reported = started;
  return (done) => {
    const now = performance.now();
    if (now - reported < 20000 && done < count) return;
    reported = now;
    console.error(`  ${label}: ${done.toLocaleString('en')} of ${count.toLocaleString('en')} vectors in, ${seconds(now - started)} s`);
  };
}

// Loads `method`'s graph from the cache when a matching one is there, else builds it over all vectors
// (timed: that is its build time) and caches it. The graph's owner provides:
//   load(cached)  reads the cached graph into the library and checks it (throws when it does not fit)
//   build()       builds the graph from scratch
//   save()        -> { bytes } or { writeGraph(file) }: the built graph for the cache
// Sets method.buildSeconds (measured now, or when the cached graph was built) and method.cache.
async function buildOrLoadGraph(method, { name, identity, readBytes = false, load, build, save }) {
  const checkStarted = performance.now();
  const cached = await findCachedGraph(graphDirectory, name, identity, { readBytes });
  const checkSeconds = (performance.now() - checkStarted) / 1000;
  const file = path.relative(repositoryRoot, path.join(graphDirectory, `${name}.graph`));
  if (cached.graphFile) {
    try {
      const loadStarted = performance.now();
      await load(cached);
      method.buildSeconds = cached.record.buildSeconds;
      method.cache = { loaded: true, file, builtAt: cached.record.builtAt, checkSeconds, loadSeconds: (performance.now() - loadStarted) / 1000 };
      console.error(`  loaded its cached graph (built ${cached.record.builtAt} in ${seconds(cached.record.buildSeconds * 1000)} s)`);
      return cached.graphFile;
    } catch (error) {
      console.error(`  its cached graph failed to load (${error.message}): rebuilding`);
    }
  } else {
    console.error(`  no cached graph to use (${cached.reason}): building over all ${count.toLocaleString('en')} vectors, minutes`);
  }
  const buildStarted = performance.now();
  await build();
  method.buildSeconds = (performance.now() - buildStarted) / 1000;
  const saveStarted = performance.now();
  const graph = await save();
  const stored = await storeCachedGraph(graphDirectory, name, identity, { buildSeconds: method.buildSeconds, vectors: count, ...graph });
  method.cache = { loaded: false, file, builtAt: stored.record.builtAt, saveSeconds: (performance.now() - saveStarted) / 1000 };
  console.error(`  built in ${seconds(method.buildSeconds * 1000)} s, cached in ${file}`);
  return stored.graphFile;
}

// ---- hnswlib-wasm: an emscripten build for the web, loaded with an IndexedDB for its file system
// (hnswlib_wasm_node.mjs) so its graph can be saved and loaded ----
let hnswlibNode;
const hnswlib = async () => (hnswlibNode ??= await loadHnswlibForNode(packagesDirectory));
const rowVector = (row) => data.vectors.subarray(row * dimensions, (row + 1) * dimensions);
const hnswlibVersion = `hnswlib-wasm ${packageVersion('hnswlib-wasm')}`;
methods.push({
  name: 'hnswlib-wasm, brute force f32', kind: 'exact', library: hnswlibVersion,
  async build() {
    const { library } = await hnswlib();
    const index = new library.BruteforceSearch('ip', dimensions);
    index.initIndex(count);
    for (let row = 0; row < count; row += 1) index.addPoint(rowVector(row), row);
    this.index = index;
    return (vector) => Array.from(index.searchKnn(vector, k, undefined).neighbors);
  },
  close() { this.index?.delete(); },
});
const hnswlibParameters = { space: 'ip', m: 16, efConstruction: 200, randomSeed: 100 };
methods.push({
  name: 'hnswlib-wasm, HNSW f32', kind: 'approximate', library: hnswlibVersion,
  note: `M ${hnswlibParameters.m}, efConstruction ${hnswlibParameters.efConstruction}`,
  // hnswlib's own default efSearch is 10 (in the sweep); 50 is the figure this table has always shown.
  breadth: { parameter: 'efSearch', values: searchBreadths, headline: 50 },
  async build() {
    const { library, saveGraph, loadGraph } = await hnswlib();
    const fresh = () => {
      this.index?.delete();
      this.index = new library.HierarchicalNSW(hnswlibParameters.space, dimensions, '');
      return this.index;
    };
    await buildOrLoadGraph(this, {
      name: 'hnswlib-wasm-hnsw',
      identity: { dataSet: dataSetIdentity, library: hnswlibVersion, parameters: hnswlibParameters },
      readBytes: true,
      async load(cached) {
        const index = fresh();
        await loadGraph(index, 'graph.bin', cached.bytes, count);
        if (index.getCurrentCount() !== count || index.getNumDimensions() !== dimensions) {
          throw new Error(`it holds ${index.getCurrentCount()} vectors of ${index.getNumDimensions()} dimensions`);
        }
      },
      async build() {
        const index = fresh();
        index.initIndex(count, hnswlibParameters.m, hnswlibParameters.efConstruction, hnswlibParameters.randomSeed);
        // addPoints in batches, not addPoint: the wrapper refreshes a cache of every label after each
        // call, which one call per vector would make quadratic.
        const progress = progressReporter('hnswlib-wasm HNSW');
        for (let row = 0; row < count;) {
          const end = Math.min(count, row + 1000);
          const labels = Array.from({ length: end - row }, (_, offset) => row + offset);
          index.addPoints(labels.map(rowVector), labels, false);
          row = end;
          progress(row);
        }
      },
      save: async () => ({ bytes: await saveGraph(this.index, 'graph.bin') }),
    });
    return (efSearch) => {
      this.index.setEfSearch(efSearch);
      return (vector) => Array.from(this.index.searchKnn(vector, k, undefined).neighbors);
    };
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
const usearchParameters = { metric: 'ip', connectivity: 16, quantization: 'f32', expansionAdd: 128 };
methods.push({
  name: 'usearch native, HNSW f32', kind: 'approximate', library: usearchVersion,
  note: `connectivity ${usearchParameters.connectivity}, expansion_add ${usearchParameters.expansionAdd}; built with ${os.availableParallelism()} threads, searched with 1`,
  // 64 is usearch's default expansion_search.
  breadth: { parameter: 'expansion_search', values: searchBreadths, headline: 64 },
  async build() {
    // Its Node API takes expansion_search only when an index is made: one index per breadth, each
    // loaded from the cached graph.
    const open = (expansionSearch) => new usearch.Index({
      metric: usearchParameters.metric, dimensions, connectivity: usearchParameters.connectivity,
      quantization: usearchParameters.quantization, expansion_add: usearchParameters.expansionAdd, expansion_search: expansionSearch,
    });
    const loadChecked = (file, expansionSearch) => {
      const index = open(expansionSearch);
      index.load(file);
      if (Number(index.size()) !== count || Number(index.dimensions()) !== dimensions || Number(index.connectivity()) !== usearchParameters.connectivity) {
        throw new Error(`it holds ${index.size()} vectors of ${index.dimensions()} dimensions, connectivity ${index.connectivity()}`);
      }
      return index;
    };
    let built;
    const graphFile = await buildOrLoadGraph(this, {
      name: 'usearch-hnsw',
      identity: { dataSet: dataSetIdentity, library: usearchVersion, parameters: usearchParameters },
      load(cached) { loadChecked(cached.graphFile, 64); },
      build() {
        built = open(64);
        const progress = progressReporter('usearch HNSW');
        for (let row = 0; row < count;) {
          const end = Math.min(count, row + 5000);
          const keys = BigUint64Array.from({ length: end - row }, (_, offset) => BigInt(row + offset));
          built.add(keys, data.vectors.slice(row * dimensions, end * dimensions), 0);
          row = end;
          progress(row);
        }
      },
      save: () => ({ writeGraph: (file) => built.save(file) }),
    });
    built = undefined;
    return (expansionSearch) => {
      this.index = loadChecked(graphFile, expansionSearch);
      const index = this.index;
      return (vector) => rowsOf(index.search(vector.slice(), k, 1).keys);
    };
  },
});

function recallOfRows(truthRows, found) {
  const truth = new Set(truthRows);
  return found.slice(0, k).filter((row) => truth.has(row)).length / k;
}

// Times `search` on up to queryCount queries, one at a time, after 3 warm-up queries from the end of the
// file (which the timed ones, from the start, never reach); stops early once the budget is spent.
async function measure(search, indexedRows) {
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
  return { queries: times.length, medianMilliseconds: percentile(times, 0.5), p95Milliseconds: percentile(times, 0.95), recallAt10: recallSum / times.length };
}

// ---- the run ----
const results = [];
for (const method of methods.filter((candidate) => !onlyNames || onlyNames.some((name) => candidate.name.includes(name)))) {
  const entry = { name: method.name, kind: method.kind, library: method.library, ours: Boolean(method.ours) };
  console.error(`peers benchmark: ${method.name}…`);
  try {
    const buildStarted = performance.now();
    const built = await method.build();
    entry.buildSeconds = method.buildSeconds ?? (performance.now() - buildStarted) / 1000;
    if (method.cache) entry.graphCache = method.cache;
    entry.note = method.note ?? '';
    const indexedRows = method.indexedRows ?? count;
    if (indexedRows < count) {
      entry.indexedVectors = indexedRows;
      entry.note = `${entry.note ? `${entry.note}; ` : ''}built on the first ${indexedRows.toLocaleString('en')} vectors, recall against their exact top-10`;
    }
    if (method.breadth) {
      // `built` gives the search at one breadth; the headline figures are those at the default breadth.
      const { parameter, values, headline } = method.breadth;
      entry.searchBreadth = { parameter, headline, sweep: [] };
      for (const breadth of values) {
        const point = { breadth, ...await measure(await built(breadth), indexedRows) };
        entry.searchBreadth.sweep.push(point);
        console.error(`  ${parameter} ${breadth}: median ${point.medianMilliseconds.toFixed(2)} ms, recall@10 ${point.recallAt10.toFixed(3)}`);
      }
      const { breadth, ...atHeadline } = entry.searchBreadth.sweep.find((point) => point.breadth === headline);
      Object.assign(entry, atHeadline);
      entry.note = `${entry.note ? `${entry.note}, ` : ''}${parameter} ${breadth}`;
    } else {
      Object.assign(entry, await measure(built, indexedRows));
    }
  } catch (error) {
    entry.error = String(error?.stack ?? error);
    console.error(`peers benchmark: ${method.name} failed: ${entry.error}`);
  } finally {
    method.close?.();
  }
  results.push(entry);
  const { searchBreadth, ...summary } = entry;
  console.error(`  ${JSON.stringify(summary)}`);
}

const ours = results.find((entry) => entry.name.includes('int8 (ours)'));
const oursPartitioned = results.find((entry) => entry.name.includes('partitioned (ours)'));
const measured = (entry) => entry.medianMilliseconds !== undefined;
for (const entry of results) {
  if (measured(ours ?? {}) && measured(entry)) entry.medianVsOurs = entry.medianMilliseconds / ours.medianMilliseconds;
}
// Each HNSW graph at our recall: the smallest breadth whose recall@10 is at least ours (int8), if any.
// Recalls are means over the same queries of multiples of 1/k, compared with a little slack for rounding.
for (const entry of results.filter((candidate) => candidate.searchBreadth && !candidate.ours && measured(ours ?? {}))) {
  const reaching = entry.searchBreadth.sweep.find((point) => point.recallAt10 >= ours.recallAt10 - 1e-9);
  if (reaching) {
    entry.atOurRecall = { reached: true, ...reaching, medianVsOurs: reaching.medianMilliseconds / ours.medianMilliseconds };
  } else {
    const best = entry.searchBreadth.sweep.reduce((left, right) => (right.recallAt10 > left.recallAt10 ? right : left));
    entry.atOurRecall = { reached: false, bestRecallAt10: best.recallAt10, bestBreadth: best.breadth };
  }
}

// The targets name the wasm and JavaScript peers (not usearch, which is native: it is the yardstick of
// the last one). Exact peers are compared as they are; approximate ones at our recall, and, so that no
// unfavourable figure is hidden, also at their default breadth.
const wasmOrJavaScriptPeers = results.filter((entry) => !entry.ours && !entry.library.includes('native'));
const exactPeers = wasmOrJavaScriptPeers.filter((entry) => entry.kind === 'exact' && measured(entry));
const approximatePeers = wasmOrJavaScriptPeers.filter((entry) => entry.kind === 'approximate' && entry.atOurRecall);
const oursMedian = ours?.medianMilliseconds;
const atOurRecallSummary = (entry) => ({
  name: entry.name, parameter: entry.searchBreadth.parameter, ...entry.atOurRecall,
});
const nativeExact = results.filter((entry) => entry.library.includes('native') && entry.kind === 'exact' && measured(entry));
const nativeBest = nativeExact.length ? Math.min(...nativeExact.map((entry) => entry.medianMilliseconds)) : undefined;
const targets = {
  definitions: 'Medians of single-query times, k = 10, one thread. "atOurRecall": the smallest search breadth whose recall@10 ' +
    'is at least ours (Mosaic int8); a peer that never reaches it has no time at our recall and does not count against the target.',
  ours: ours && { name: ours.name, medianMilliseconds: oursMedian, recallAt10: ours.recallAt10 },
  fasterThanEveryExactWasmAndJavaScriptPeer: oursMedian !== undefined && exactPeers.every((entry) => entry.medianMilliseconds > oursMedian),
  exactPeersFasterThanOurs: exactPeers.filter((entry) => entry.medianMilliseconds <= oursMedian).map((entry) => entry.name),
  fasterThanEveryApproximateWasmAndJavaScriptPeerAtOurRecall: oursMedian !== undefined &&
    approximatePeers.every((entry) => !entry.atOurRecall.reached || entry.atOurRecall.medianMilliseconds > oursMedian),
  approximatePeersAtOurRecall: approximatePeers.map(atOurRecallSummary),
  atDefaultBreadth: {
    fasterThanEveryWasmAndJavaScriptPeer: oursMedian !== undefined && wasmOrJavaScriptPeers.filter(measured).every((entry) => entry.medianMilliseconds > oursMedian),
    fasterPeers: wasmOrJavaScriptPeers.filter((entry) => measured(entry) && entry.medianMilliseconds <= oursMedian)
      .map((entry) => ({ name: entry.name, note: entry.note, medianMilliseconds: entry.medianMilliseconds, recallAt10: entry.recallAt10 })),
  },
  nativeApproximateAtOurRecall: results.filter((entry) => entry.library.includes('native') && entry.atOurRecall).map(atOurRecallSummary),
  peersThatFailed: results.filter((entry) => entry.error).map((entry) => entry.name),
  oursOverNativeExact: nativeBest && oursMedian ? oursMedian / nativeBest : undefined,
};
targets.withinTwiceOfNativeExact = targets.oursOverNativeExact !== undefined && targets.oursOverNativeExact <= 2;

// The partitioned layout against the HNSW graphs at equal recall (issue 13): at recall@10 0.95 and at
// the flat int8 scan's recall, the fastest breadth of each that reaches it (medians, this run), and our
// index build (the generator's timed write of the partitioned site: k-means, assignment, files) against
// hnswlib-wasm's graph build.
const fastestReaching = (entry, recall) => entry.searchBreadth?.sweep
  .filter((point) => point.recallAt10 >= recall - 1e-9)
  .reduce((best, point) => (!best || point.medianMilliseconds < best.medianMilliseconds ? point : best), undefined);
if (oursPartitioned?.searchBreadth) {
  const hnswPeers = results.filter((entry) => !entry.ours && entry.kind === 'approximate' && entry.searchBreadth);
  const recallPoints = [{ name: 'recall@10 0.95', recall: 0.95 }];
  if (measured(ours ?? {})) recallPoints.push({ name: `the flat int8 recall (${ours.recallAt10.toFixed(3)})`, recall: ours.recallAt10 });
  // When no breadth of ours reaches the flat recall (the int8 re-rank is the flat scan's, so only a
  // neighbour in an unprobed partition can be missing), also compare at the best recall ours reaches.
  const bestOurs = Math.max(...oursPartitioned.searchBreadth.sweep.map((point) => point.recallAt10));
  if (measured(ours ?? {}) && bestOurs < ours.recallAt10 - 1e-9 && bestOurs > 0.95) {
    recallPoints.push({ name: `our best recall (${bestOurs.toFixed(3)})`, recall: bestOurs });
  }
  const hnswlibEntry = results.find((entry) => entry.name === 'hnswlib-wasm, HNSW f32');
  const writeSeconds = data.description.partitionedBuild?.writeSiteSeconds;
  targets.partitioned = {
    definitions: 'For each recall, the fastest breadth (nprobe/rerank depth; efSearch; expansion_search) whose recall@10 reaches it; ' +
      'ratio = peer median / ours (above 1: ours faster). Build: the partitioned site\'s write (k-means on every core + files) ' +
      'against hnswlib-wasm\'s graph build (one core), as measured when built.',
    atRecall: recallPoints.map(({ name, recall }) => {
      const oursPoint = fastestReaching(oursPartitioned, recall);
      return {
        name, recall, ours: oursPoint ?? null,
        peers: hnswPeers.map((peer) => {
          const point = fastestReaching(peer, recall);
          return { name: peer.name, parameter: peer.searchBreadth.parameter, point: point ?? null,
            peerOverOurs: point && oursPoint ? point.medianMilliseconds / oursPoint.medianMilliseconds : undefined };
        }),
      };
    }),
    indexWriteSeconds: writeSeconds,
    hnswlibBuildSeconds: hnswlibEntry?.buildSeconds,
    hnswlibBuildOverOurs: writeSeconds && hnswlibEntry?.buildSeconds ? hnswlibEntry.buildSeconds / writeSeconds : undefined,
  };
  targets.partitioned.fasterThanHnswlibAtBothRecalls = targets.partitioned.atRecall.every((point) =>
    point.ours && point.peers.filter((peer) => peer.name.startsWith('hnswlib')).every((peer) => !peer.point || peer.peerOverOurs > 1));
  targets.partitioned.builtTenTimesFasterThanHnswlib = (targets.partitioned.hnswlibBuildOverOurs ?? 0) >= 10;
}

const report = {
  date: new Date().toISOString(),
  machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.versions.node },
  data: { ...data.description, queriesRun: queryCount, budgetSeconds: budgetMilliseconds / 1000, searchBreadths },
  results,
  targets,
};
fs.mkdirSync(benchDirectory, { recursive: true });
fs.writeFileSync(path.join(benchDirectory, 'peers-results.json'), `${JSON.stringify(report, null, 2)}\n`);

const format = (value, digits = 1) => (value === undefined ? '–' : value.toFixed(digits));
const buildCell = (entry) => {
  if (!entry.graphCache) return format(entry.buildSeconds);
  return entry.graphCache.loaded ? `${format(entry.buildSeconds)} (cached graph, loaded in ${format(entry.graphCache.loadSeconds)} s)` : `${format(entry.buildSeconds)} (built now, cached)`;
};
console.log(`\nPeers: ${count.toLocaleString('en')} x ${dimensions} unit vectors, k = ${k}, vector queries, one at a time (Node ${process.versions.node})`);
console.log('| method | kind | build s | median ms | p95 ms | vs ours (int8) | recall@10 | queries |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
for (const entry of results) {
  if (entry.error) {
    console.log(`| ${entry.name} | ${entry.kind} | failed: ${entry.error.split('\n')[0]} | | | | | |`);
    continue;
  }
  console.log(`| ${entry.name}${entry.note ? ` (${entry.note})` : ''} | ${entry.kind} | ${buildCell(entry)} | ${format(entry.medianMilliseconds, 2)} | ` +
    `${format(entry.p95Milliseconds, 2)} | ${format(entry.medianVsOurs, 2)}× | ${format(entry.recallAt10, 3)} | ${entry.queries} |`);
  const atOurRecall = entry.atOurRecall;
  if (atOurRecall?.reached) {
    console.log(`| ↳ the same graph at our recall: ${entry.searchBreadth.parameter} ${atOurRecall.breadth} | ${entry.kind} | | ${format(atOurRecall.medianMilliseconds, 2)} | ` +
      `${format(atOurRecall.p95Milliseconds, 2)} | ${format(atOurRecall.medianVsOurs, 2)}× | ${format(atOurRecall.recallAt10, 3)} | ${atOurRecall.queries} |`);
  } else if (atOurRecall) {
    console.log(`| ↳ the same graph never reaches our recall ${format(ours.recallAt10, 3)} (best ${format(atOurRecall.bestRecallAt10, 3)} at ` +
      `${entry.searchBreadth.parameter} ${atOurRecall.bestBreadth}) | ${entry.kind} | | | | | | |`);
  }
}
for (const entry of results.filter((candidate) => candidate.searchBreadth)) {
  console.log(`\n${entry.name}: recall against time by ${entry.searchBreadth.parameter}`);
  console.log(`| ${entry.searchBreadth.parameter} | median ms | p95 ms | recall@10 |`);
  console.log('|---:|---:|---:|---:|');
  for (const point of entry.searchBreadth.sweep) {
    console.log(`| ${point.breadth} | ${format(point.medianMilliseconds, 2)} | ${format(point.p95Milliseconds, 2)} | ${format(point.recallAt10, 3)} |`);
  }
}
const metOrMissed = (met) => (met ? 'met' : 'missed');
const atRecallText = targets.approximatePeersAtOurRecall.map((peer) => (peer.reached
  ? `${peer.name} ${format(peer.medianMilliseconds, 2)} ms at ${peer.parameter} ${peer.breadth}`
  : `${peer.name} never reaches it`)).join('; ');
console.log(`\nTargets against the wasm/JS peers (ours: ${format(oursMedian, 2)} ms, recall@10 ${format(ours?.recallAt10, 3)}):`);
console.log(`  faster than every exact peer: ${metOrMissed(targets.fasterThanEveryExactWasmAndJavaScriptPeer)}` +
  `${targets.exactPeersFasterThanOurs.length ? ` (faster: ${targets.exactPeersFasterThanOurs.join(', ')})` : ''}`);
console.log(`  faster than every approximate peer at our recall: ${metOrMissed(targets.fasterThanEveryApproximateWasmAndJavaScriptPeerAtOurRecall)} (${atRecallText})`);
console.log(`  faster than every peer at its default breadth: ${metOrMissed(targets.atDefaultBreadth.fasterThanEveryWasmAndJavaScriptPeer)}` +
  `${targets.atDefaultBreadth.fasterPeers.length ? ` (faster: ${targets.atDefaultBreadth.fasterPeers.map((peer) => `${peer.name}, ${peer.note}: ${format(peer.medianMilliseconds, 2)} ms at recall ${format(peer.recallAt10, 3)}`).join('; ')})` : ''}`);
console.log(`  within 2× of usearch's native exact search: ${metOrMissed(targets.withinTwiceOfNativeExact)} (${format(targets.oursOverNativeExact, 2)}×)`);
if (targets.partitioned) {
  const partitioned = targets.partitioned;
  console.log('\nPartitioned layout (ours) against the HNSW graphs at equal recall (fastest breadth reaching it, medians):');
  for (const point of partitioned.atRecall) {
    const oursText = point.ours ? `ours ${format(point.ours.medianMilliseconds, 2)} ms at ${point.ours.breadth} (recall ${format(point.ours.recallAt10, 3)})` : 'ours never reaches it';
    const peersText = point.peers.map((peer) => (peer.point
      ? `${peer.name} ${format(peer.point.medianMilliseconds, 2)} ms at ${peer.parameter} ${peer.point.breadth} (recall ${format(peer.point.recallAt10, 3)}; ${format(peer.peerOverOurs, 2)}× ours)`
      : `${peer.name} never reaches it`)).join('; ');
    console.log(`  at ${point.name}: ${oursText}; ${peersText}`);
  }
  console.log(`  build: ours ${format(partitioned.indexWriteSeconds)} s (partitioned site write), hnswlib-wasm ${format(partitioned.hnswlibBuildSeconds)} s ` +
    `(${format(partitioned.hnswlibBuildOverOurs)}×; target ≥ 10×: ${metOrMissed(partitioned.builtTenTimesFasterThanHnswlib)})`);
  console.log(`  faster than hnswlib-wasm at both recall points: ${metOrMissed(partitioned.fasterThanHnswlibAtBothRecalls)}`);
}
console.log(`Full figures: ${path.relative(repositoryRoot, path.join(benchDirectory, 'peers-results.json'))}`);
if (results.some((entry) => entry.error)) process.exitCode = 1;
