// The hybrid query benchmark (make bench): keyword and hybrid query time in wasm at 100,000 items,
// and the keyword index's bytes per item. Target: hybrid adds at most 25% to the vector query time.
//   1. The collection: beir-msmarco-5k's 5,000 passages, 20 copies of each as separate files
//      (copy-01/<_id>.txt … copy-20/<_id>.txt), 100,000 files. Copy c ends with a space and c
//      asterisks. The analyzer drops punctuation without giving it a position, so every copy has the
//      original's terms, field lengths and positions: the keyword index is exactly the 5,000-passage
//      index with every postings list 20 times as long (N and every df are 20x, so idf barely moves;
//      tf and lengths are unchanged), while the texts differ, so each gets its own vector. A word
//      suffix such as "(copy 7)" would instead put "copy" in every item (a 100,000-posting list no
//      real collection has) and inflate the digits' df. What duplication cannot give is a real
//      100,000-passage vocabulary: the term dictionary (so the number of term files) is the 5,000
//      passages'. Kept in build/bench/hybrid-query/collection, rewritten only when missing or when the
//      corpus changed.
//   2. The site: `mosaic index` with --provider gemini against the test double (mosaic_gemini_double
//      --hash-text, started here with a random key), --dims 768, --chunk-words 1000 (every passage is
//      one item), --concurrency 4, no embedding cache (the double's vectors must never reach the
//      user's cache). The double's vectors are hashes of the text, not semantic: the vector and hybrid
//      figures are times, not retrieval quality. Kept in build/bench/hybrid-query/site and indexed
//      again (from scratch, so terms/ holds one generation) only when the collection or the arguments
//      changed or the site is incomplete (not when mosaic was rebuilt: delete the site for that).
//   3. The site is opened under Node through the JavaScript API (wasm core, file: URLs, no store) and
//      the 50 msmarco queries are searched one at a time, k = 10 as a page asks:
//        vector   {vector} (the query's vector from the same double, RETRIEVAL_QUERY, 768 dimensions:
//                 what a page has after db.embed; the scan time does not depend on the values)
//        keyword  {text}, mode 'keyword': cold (each query on a freshly opened index whose keyword
//                 directory is already loaded, so only the query's own term files are read, with the
//                 bytes they take from db.stats.keywordBytesLoaded) and warm (files loaded)
//        hybrid   {text, vector}, mode 'hybrid', warm
//      Warm figures: 2 warm-up rounds over all queries, then 5 measured rounds, modes interleaved per
//      query so drift hits all of them alike; median and p95 over all 250 timings. Each is the wall
//      time of `await db.search()`, and the core's own `milliseconds` beside it. Cold reads come from
//      the local disk (page cache): their time is reading, hashing and checking, not a network; the
//      bytes say what a network would carry.
//      To see where hybrid's time goes, each mode is also timed at k = 1 (the search with one result
//      to make) and the sides at k = 100 (the depth hybrid asks of each, with 100 results made).
//   4. Bytes per item: the keyword directory plus the term files it names (read from the directory,
//      docs/format.md "Keyword index", and checked against terms/), next to the shards and the items'
//      metadata; the term files' count and median size.
// Writes build/bench/hybrid-query-results.json and prints a table. Benchmarks report; a missed target
// does not fail the run, a failed process does.
// Usage: node tests/bench/hybrid_query_benchmark.mjs MOSAIC_BINARY DOUBLE_BINARY WEB_DIR
//   WEB_DIR  build-wasm/web (mosaic.mjs)
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

import { percentile } from './bench_data.mjs';
import { startProcess } from '../support/processes.mjs';

const [mosaicBinary, doubleBinary, webDirectory] = process.argv.slice(2);
if (!mosaicBinary || !doubleBinary || !webDirectory) {
  throw new Error('usage: hybrid_query_benchmark.mjs MOSAIC_BINARY DOUBLE_BINARY WEB_DIR');
}
const repositoryRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
// ../shared beside the checkout (or beside the folder of worktrees holding it), or MOSAIC_SHARED_DATA_DIR,
// as retrieval_benchmark.mjs finds it.
const dataDirectory = [process.env.MOSAIC_SHARED_DATA_DIR, path.resolve(repositoryRoot, '..', 'shared', 'data'),
  path.resolve(repositoryRoot, '..', '..', 'shared', 'data')].filter(Boolean)
  .map((folder) => path.join(folder, 'beir-msmarco-5k'))
  .find((folder) => fs.existsSync(path.join(folder, 'corpus.jsonl')));
if (!dataDirectory) {
  console.log('hybrid query benchmark skipped: beir-msmarco-5k is absent (it comes from ../shared beside the checkout)');
  process.exit(0);
}
const benchDirectory = path.join(repositoryRoot, 'build', 'bench');
const workDirectory = path.join(benchDirectory, 'hybrid-query');
const resultsPath = path.join(benchDirectory, 'hybrid-query-results.json');
const copies = 20;
const dimensions = 768;
const k = 10;
// The depth hybrid takes from each side (README, "Keyword and hybrid search": the best 100 of each).
const fusionDepth = 100;
const warmUpRounds = 2;
const measuredRounds = 5;
const targetRatio = 1.25;

const readLines = (name) => fs.readFileSync(path.join(dataDirectory, name), 'utf8').split('\n').filter(Boolean)
  .map((line) => JSON.parse(line));
const sha256 = (data) => createHash('sha256').update(data).digest('hex');

// ---- 1. The collection ----
const suffixScheme = 'a space and c asterisks for copy c (1-based)';
const copySuffix = (copy) => ` ${'*'.repeat(copy)}`;
const corpusText = fs.readFileSync(path.join(dataDirectory, 'corpus.jsonl'));
const collectionIdentity = sha256(`${sha256(corpusText)}\n${copies}\n${suffixScheme}\n`);
const collection = path.join(workDirectory, 'collection');
const collectionStamp = path.join(workDirectory, 'collection.sha256');
fs.mkdirSync(workDirectory, { recursive: true });
const passages = readLines('corpus.jsonl');
if (!fs.existsSync(collectionStamp) || fs.readFileSync(collectionStamp, 'utf8') !== collectionIdentity) {
  console.error(`hybrid query benchmark: writing ${passages.length * copies} files into ${path.relative(repositoryRoot, collection)}…`);
  fs.rmSync(collectionStamp, { force: true });
  fs.rmSync(collection, { recursive: true, force: true });
  for (let copy = 1; copy <= copies; ++copy) {
    const folder = path.join(collection, `copy-${String(copy).padStart(2, '0')}`);
    fs.mkdirSync(folder, { recursive: true });
    for (const passage of passages) {
      // BEIR titles (empty in MS MARCO) would be a first line set apart by a blank line, as in
      // retrieval_benchmark.mjs.
      const text = passage.title ? `${passage.title}\n\n${passage.text}` : passage.text;
      fs.writeFileSync(path.join(folder, `${passage._id}.txt`), `${text}${copySuffix(copy)}`);
    }
  }
  // Written last: a run stopped halfway leaves no stamp, so the next one writes the collection again.
  fs.writeFileSync(collectionStamp, collectionIdentity);
}
const itemCount = passages.length * copies;

// ---- 2. The site, and the double (also needed for the query vectors) ----
const site = path.join(workDirectory, 'site');
const siteStamp = path.join(workDirectory, 'site.stamp');
const indexArguments = ['--provider', 'gemini', '--dims', String(dimensions), '--chunk-words', '1000',
  '--concurrency', '4', '--no-cache', '--json'];
// Not the mosaic binary: indexing takes minutes, so a rebuilt mosaic reuses the site; delete
// build/bench/hybrid-query/site to measure a changed index format.
const siteIdentity = JSON.stringify({ collectionIdentity, indexArguments });
const apiKey = `bench-${randomBytes(8).toString('hex')}`;
const double = await startProcess(doubleBinary, ['--port', '0', '--api-key', apiKey, '--hash-text'],
  { ready: /listening on 127\.0\.0\.1:(\d+)/ });
const doubleUrl = `http://127.0.0.1:${double.port}/v1beta`;
let indexing = { reused: true };
let queryVectors;
const queries = readLines('queries.jsonl');
try {
  const siteCurrent = fs.existsSync(path.join(site, 'manifest.json')) && fs.existsSync(siteStamp) &&
    fs.readFileSync(siteStamp, 'utf8') === siteIdentity;
  if (!siteCurrent) {
    console.error(`hybrid query benchmark: mosaic index of ${itemCount} files against the double (minutes)…`);
    fs.rmSync(siteStamp, { force: true });
    fs.rmSync(site, { recursive: true, force: true });
    const started = performance.now();
    const outcome = spawnSync(mosaicBinary, ['index', collection, '--out', site, '--gemini-base-url', doubleUrl, ...indexArguments],
      { encoding: 'utf8', env: { ...process.env, GEMINI_API_KEY: apiKey }, maxBuffer: 1 << 28 });
    if (outcome.status !== 0) throw new Error(`mosaic index failed with ${outcome.status}: ${outcome.stderr}`);
    const report = JSON.parse(outcome.stdout);
    indexing = { reused: false, seconds: (performance.now() - started) / 1000, items: report.items,
      skipped: report.skipped.length, phase_seconds: report.seconds };
    if (report.items !== itemCount) throw new Error(`mosaic index made ${report.items} items of ${itemCount} files`);
    fs.writeFileSync(siteStamp, siteIdentity);
  }

  // The queries' vectors, as a page gets them from db.embed through a proxy: the same double, the query
  // task (gemini-embedding-2 takes it as a prefix in the text), 768 dimensions.
  const response = await fetch(`${doubleUrl}/models/gemini-embedding-2:batchEmbedContents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': apiKey },
    body: JSON.stringify({
      requests: queries.map((entry) => ({ model: 'models/gemini-embedding-2', outputDimensionality: dimensions,
        content: { parts: [{ text: `task: search result | query: ${entry.text}` }] } })),
    }),
  });
  if (response.status !== 200) throw new Error(`the double answered ${response.status}: ${await response.text()}`);
  queryVectors = (await response.json()).embeddings.map((embedding) => Float32Array.from(embedding.values));
  if (queryVectors.length !== queries.length || queryVectors.some((vector) => vector.length !== dimensions)) {
    throw new Error('the double answered the wrong number or size of query vectors');
  }
} finally {
  await double.stop();
}

// ---- 4. What the site holds (read before searching: the keyword directory names the term files) ----
const manifest = JSON.parse(fs.readFileSync(path.join(site, 'manifest.json'), 'utf8'));
if (!manifest.keywords) throw new Error('the site has no keyword index: is this mosaic built with it?');
const fileBytes = (relative) => fs.statSync(path.join(site, relative)).size;

// The term files a keyword directory names, in its documented layout (docs/format.md, "Keyword
// directory"): a 64-byte header, the fields, then one entry per term file.
function readKeywordDirectory(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fieldCount = view.getUint16(14, true);
  const termFileCount = view.getUint32(16, true);
  let offset = 64;
  const varint = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[offset++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  const fields = [];
  for (let field = 0; field < fieldCount; ++field) {
    const nameLength = varint();
    const name = Buffer.from(bytes.subarray(offset, offset + nameLength)).toString('utf8');
    offset += nameLength;
    const averageLength = view.getFloat32(offset, true);
    offset += 4;
    fields.push({ name, average_length: averageLength, items: varint() });
  }
  const termFiles = [];
  for (let file = 0; file < termFileCount; ++file) {
    const firstTermLength = varint();
    offset += firstTermLength;
    const terms = varint();
    const size = Number(view.getBigUint64(offset, true));
    offset += 8;
    const hash = Buffer.from(bytes.subarray(offset, offset + 32)).toString('hex');
    offset += 32;
    termFiles.push({ terms, bytes: size, file: `terms/${hash}.bin` });
  }
  if (offset !== bytes.length) throw new Error(`the keyword directory has ${bytes.length - offset} bytes this reader did not expect`);
  return { itemCount: Number(view.getBigUint64(24, true)), fields, termFiles };
}
const directory = readKeywordDirectory(fs.readFileSync(path.join(site, manifest.keywords.file)));
const termFilesOnDisk = fs.readdirSync(path.join(site, 'terms')).length;
for (const termFile of directory.termFiles) {
  if (fileBytes(termFile.file) !== termFile.bytes) throw new Error(`${termFile.file} is not the size the directory gives`);
}
const termFileSizes = directory.termFiles.map((termFile) => termFile.bytes);
const termBytes = termFileSizes.reduce((sum, size) => sum + size, 0);
const shardBytes = manifest.shards.reduce((sum, shard) => sum + shard.bytes, 0);
const metadataBytes = manifest.shards.reduce((sum, shard) => sum + shard.metadata.bytes, 0);
const manifestItems = manifest.shards.reduce((sum, shard) => sum + shard.items, 0);
const sizes = {
  items: manifestItems,
  shards: manifest.shards.length,
  shard_bytes: shardBytes,
  shard_bytes_per_item: shardBytes / manifestItems,
  metadata_bytes: metadataBytes,
  metadata_bytes_per_item: metadataBytes / manifestItems,
  keyword_directory_bytes: manifest.keywords.bytes,
  term_files: directory.termFiles.length,
  term_files_in_terms_folder: termFilesOnDisk,
  terms: directory.termFiles.reduce((sum, termFile) => sum + termFile.terms, 0),
  term_file_bytes: termBytes,
  term_file_median_bytes: percentile(termFileSizes, 0.5),
  term_file_largest_bytes: Math.max(...termFileSizes),
  keyword_bytes: manifest.keywords.bytes + termBytes,
  keyword_bytes_per_item: (manifest.keywords.bytes + termBytes) / manifestItems,
  keyword_items: directory.itemCount,
  fields: directory.fields,
};

// ---- 3. Queries through the JavaScript API ----
const { Mosaic } = await import(pathToFileURL(path.join(path.resolve(webDirectory), 'mosaic.mjs')).href);
const siteUrl = `${pathToFileURL(site).href}/`;
async function openSite() {
  const started = performance.now();
  const db = await Mosaic.open(siteUrl, { storage: null });
  await db.ready;
  if (db.errors.length) throw new Error(`Mosaic refused files: ${db.errors.map((error) => error.message).join('; ')}`);
  if (db.stats.items !== itemCount) throw new Error(`the opened index holds ${db.stats.items} items, not ${itemCount}`);
  return { db, openSeconds: (performance.now() - started) / 1000 };
}
async function timed(db, query, options) {
  const started = performance.now();
  const answer = await db.search(query, options);
  return { wall: performance.now() - started, core: answer.milliseconds, answer };
}
// A text the analyzer makes no term of: it loads the keyword directory and no term file.
const termlessText = '* * *';

// Cold keyword queries: each on a freshly opened index, after a termless query has loaded the directory.
console.error(`hybrid query benchmark: ${queries.length} cold keyword queries, each on a freshly opened index…`);
const cold = [];
let directoryLoad;
let openSeconds = [];
for (const entry of queries) {
  const opened = await openSite();
  openSeconds.push(opened.openSeconds);
  const { db } = opened;
  const directoryStart = performance.now();
  const termless = await db.search({ text: termlessText }, { k, mode: 'keyword' });
  directoryLoad ??= { milliseconds: performance.now() - directoryStart, bytes: db.stats.keywordBytesLoaded, results: termless.results.length };
  const before = db.stats.keywordBytesLoaded;
  const run = await timed(db, { text: entry.text }, { k, mode: 'keyword' });
  cold.push({ wall: run.wall, core: run.core, bytes: db.stats.keywordBytesLoaded - before });
  db.close();
}

console.error('hybrid query benchmark: warm queries (vector, keyword, hybrid; and both sides at depth 100)…');
const { db, openSeconds: warmOpenSeconds } = await openSite();
openSeconds.push(warmOpenSeconds);
const modes = {
  vector: (index) => timed(db, { vector: queryVectors[index] }, { k, mode: 'vector' }),
  keyword: (index) => timed(db, { text: queries[index].text }, { k, mode: 'keyword' }),
  hybrid: (index) => timed(db, { text: queries[index].text, vector: queryVectors[index] }, { k, mode: 'hybrid' }),
  // The breakdown: at k = 1 a side is nearly all searching (one result to make); at k = 100, the
  // depth hybrid asks of each side, it also makes 100 results (metadata, and highlights for keyword
  // hits), which hybrid does not: only its k fused results are made.
  vector_k1: (index) => timed(db, { vector: queryVectors[index] }, { k: 1, mode: 'vector' }),
  keyword_k1: (index) => timed(db, { text: queries[index].text }, { k: 1, mode: 'keyword' }),
  hybrid_k1: (index) => timed(db, { text: queries[index].text, vector: queryVectors[index] }, { k: 1, mode: 'hybrid' }),
  [`vector_k${fusionDepth}`]: (index) => timed(db, { vector: queryVectors[index] }, { k: fusionDepth, mode: 'vector' }),
  [`keyword_k${fusionDepth}`]: (index) => timed(db, { text: queries[index].text }, { k: fusionDepth, mode: 'keyword' }),
};
const samples = Object.fromEntries(Object.keys(modes).map((mode) => [mode, { wall: [], core: [], perQuery: queries.map(() => []) }]));
for (let round = 0; round < warmUpRounds + measuredRounds; ++round) {
  for (let index = 0; index < queries.length; ++index) {
    for (const [mode, run] of Object.entries(modes)) {
      const { wall, core } = await run(index);
      if (round < warmUpRounds) continue;
      samples[mode].wall.push(wall);
      samples[mode].core.push(core);
      samples[mode].perQuery[index].push(wall);
    }
  }
}

// Sanity checks of the collection: the 20 copies of a passage must score alike in keyword search (the
// suffix changed no term and no field length), and hybrid must answer in its own mode.
const sample = await db.search({ text: queries[0].text }, { k: copies, mode: 'keyword' });
const copiesScoreAlike = sample.results.length === copies &&
  new Set(sample.results.map((result) => path.basename(result.item.source ?? ''))).size === 1 &&
  sample.results.every((result) => Math.abs(result.score - sample.results[0].score) < 1e-6);
const hybridAnswer = await db.search({ text: queries[0].text, vector: queryVectors[0] }, { k, mode: 'hybrid' });
db.close();

const summarize = (values) => ({ median: percentile(values, 0.5), p95: percentile(values, 0.95) });
const median = (values) => percentile(values, 0.5);
const timings = Object.fromEntries(Object.entries(samples).map(([mode, { wall, core, perQuery }]) =>
  [mode, { wall_ms: summarize(wall), core_ms: summarize(core), per_query_median_ms: perQuery.map(median) }]));
// Per query, the ratio of its median times, so a query's own keyword cost is set against its own scan.
const pairedRatio = (mode) => median(timings[mode].per_query_median_ms.map((value, index) => value / timings.vector.per_query_median_ms[index]));
const coldBytes = cold.map((entry) => entry.bytes);
const results = {
  benchmark: `keyword and hybrid query time in wasm (JavaScript API under Node) at ${itemCount} items: beir-msmarco-5k x ${copies}`,
  machine: { cpu: (os.cpus()[0] || {}).model, cores: os.cpus().length, node: process.version, date: new Date().toISOString() },
  collection: { passages: passages.length, copies, items: itemCount, suffix: suffixScheme },
  vectors: 'mosaic_gemini_double --hash-text: hashes of the text, not semantic (times only)',
  index: { arguments: indexArguments, ...indexing },
  open_seconds: summarize(openSeconds),
  queries: queries.length,
  k,
  rounds: { warm_up: warmUpRounds, measured: measuredRounds },
  vector: timings.vector,
  keyword_warm: timings.keyword,
  hybrid: timings.hybrid,
  breakdown: {
    vector_k1: timings.vector_k1,
    keyword_k1: timings.keyword_k1,
    hybrid_k1: timings.hybrid_k1,
    [`vector_k${fusionDepth}`]: timings[`vector_k${fusionDepth}`],
    [`keyword_k${fusionDepth}`]: timings[`keyword_k${fusionDepth}`],
    // What hybrid adds beyond its two sides' searching: fusion, the vector side's depth, its results.
    hybrid_minus_vector_and_keyword_k1_ms: timings.hybrid_k1.wall_ms.median - timings.vector_k1.wall_ms.median -
      timings.keyword_k1.wall_ms.median,
  },
  keyword_cold: {
    wall_ms: summarize(cold.map((entry) => entry.wall)),
    core_ms: summarize(cold.map((entry) => entry.core)),
    bytes_fetched: { median: percentile(coldBytes, 0.5), p95: percentile(coldBytes, 0.95), max: Math.max(...coldBytes) },
    directory: directoryLoad,
  },
  hybrid_to_vector: timings.hybrid.wall_ms.median / timings.vector.wall_ms.median,
  hybrid_to_vector_p95: timings.hybrid.wall_ms.p95 / timings.vector.wall_ms.p95,
  hybrid_to_vector_paired_median: pairedRatio('hybrid'),
  keyword_to_vector: timings.keyword.wall_ms.median / timings.vector.wall_ms.median,
  target_hybrid_to_vector: targetRatio,
  target_met: timings.hybrid.wall_ms.median / timings.vector.wall_ms.median <= targetRatio,
  sizes,
  checks: { copies_score_alike: copiesScoreAlike, hybrid_mode_answered: hybridAnswer.mode, termless_query_results: directoryLoad.results },
};
// The per-query medians served the paired ratio; the file keeps the summaries.
for (const figures of Object.values(timings)) delete figures.per_query_median_ms;
fs.writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);

// ---- 5. The table ----
const fixed = (value, digits = 2) => Number(value).toFixed(digits);
const kilobytes = (bytes) => `${fixed(bytes / 1024, 1)} KB`;
const row = (label, figures) => console.log(`  ${label.padEnd(34)} ${fixed(figures.wall_ms.median).padStart(8)} ${fixed(figures.wall_ms.p95).padStart(8)}` +
  `   ${fixed(figures.core_ms.median).padStart(8)} ${fixed(figures.core_ms.p95).padStart(8)}`);
console.log(`hybrid query benchmark: ${itemCount.toLocaleString('en')} items (beir-msmarco-5k x ${copies}), ${queries.length} queries, ` +
  `k ${k}, wasm under Node ${process.version}, ${results.machine.cores} cores`);
console.log('  (vectors from the test double: not semantic, times only)');
console.log(`  ${'query'.padEnd(34)} ${'median'.padStart(8)} ${'p95'.padStart(8)}   ${'core med'.padStart(8)} ${'core p95'.padStart(8)}   (ms)`);
row('vector {vector}', timings.vector);
row('keyword {text}, warm', timings.keyword);
row('hybrid {text, vector}, warm', timings.hybrid);
row(`keyword {text}, cold`, results.keyword_cold);
row('  vector, k 1', timings.vector_k1);
row('  keyword, k 1', timings.keyword_k1);
row('  hybrid, k 1', timings.hybrid_k1);
row(`  vector, k ${fusionDepth} (hybrid's depth)`, timings[`vector_k${fusionDepth}`]);
row(`  keyword, k ${fusionDepth} (hybrid's depth)`, timings[`keyword_k${fusionDepth}`]);
console.log(`  hybrid / vector ${fixed(results.hybrid_to_vector, 3)} (p95 ${fixed(results.hybrid_to_vector_p95, 3)}, per query ` +
  `${fixed(results.hybrid_to_vector_paired_median, 3)}; target <= ${targetRatio}: ${results.target_met ? 'met' : 'MISSED'}); ` +
  `keyword / vector ${fixed(results.keyword_to_vector, 3)}`);
console.log(`  at k 1, hybrid - vector - keyword = ${fixed(results.breakdown.hybrid_minus_vector_and_keyword_k1_ms)} ms ` +
  `(fusion, the vector side at depth ${fusionDepth}, one result)`);
console.log(`  cold keyword query reads: median ${kilobytes(results.keyword_cold.bytes_fetched.median)}, p95 ` +
  `${kilobytes(results.keyword_cold.bytes_fetched.p95)}, max ${kilobytes(results.keyword_cold.bytes_fetched.max)} of term files ` +
  `(after the directory: ${kilobytes(directoryLoad.bytes)}, ${fixed(directoryLoad.milliseconds)} ms, once per page)`);
console.log(`  bytes per item: keyword ${fixed(sizes.keyword_bytes_per_item, 1)} (directory ${kilobytes(sizes.keyword_directory_bytes)} + ` +
  `${sizes.term_files} term files of ${kilobytes(sizes.term_file_bytes)}), shards ${fixed(sizes.shard_bytes_per_item, 1)}, metadata ${fixed(sizes.metadata_bytes_per_item, 1)}`);
console.log(`  term files: ${sizes.term_files} (${sizes.term_files_in_terms_folder} in terms/), ${sizes.terms.toLocaleString('en')} terms, ` +
  `median ${kilobytes(sizes.term_file_median_bytes)}, largest ${kilobytes(sizes.term_file_largest_bytes)}, all ${kilobytes(sizes.term_file_bytes)}`);
console.log(`  open (read, hash, check 100,000 items from disk): median ${fixed(results.open_seconds.median)} s; index ` +
  `${indexing.reused ? 'reused from an earlier run' : `${fixed(indexing.seconds, 1)} s`}; copies score alike: ${copiesScoreAlike}`);
console.log(`results written to ${path.relative(repositoryRoot, resultsPath)}`);
