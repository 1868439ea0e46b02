// The end-to-end retrieval benchmark (make bench): what a user of `mosaic index` and `mosaic query`
// gets from the local model, against what the model's own vectors give, on beir-msmarco-5k.
//   1. the 5,000 passages are written as files, one `<_id>.txt` each (build/bench/retrieval/collection,
//      kept between runs and rewritten only when the corpus changes);
//   2. `mosaic index` runs with its defaults (chunking, titles, int8) into build/bench/retrieval/site,
//      with its embedding cache in build/bench/retrieval/embedding-cache, so a later run re-embeds only
//      the chunks that changed (the vectors are the same either way: the model is deterministic);
//   3. each query goes through `mosaic query SITE "text" -k N --json`, one process per query as a user
//      runs it (50 process starts cost about 0.3 s each: loading the model and the site); results are
//      mapped to passages by their source file, keeping each document's best chunk (one result per
//      document; a no-op once the CLI groups by document itself), and the first 100 documents are the
//      ranking;
//   4. mosaic_model_benchmark scores those rankings with the same nDCG@10 / Recall@100 code it uses
//      for the model's own vectors (every passage embedded whole, searched exactly in float32), and
//      computes that figure in the same process, so the two are from the same run and the same code.
//   5. the same queries in each search mode (`--mode vector`, `keyword`, `hybrid`), and hybrid at
//      several vector weights (`--vector-weight`), each scored the same way.
// Targets: vector mode end to end within 0.005 of the model's own nDCG@10; hybrid at least 0.03 above
// the better of vector and keyword. Writes build/bench/retrieval-results.json and prints a table.
// Benchmarks report; a missed target does not fail the run, a failed process does.
// Usage: node tests/bench/retrieval_benchmark.mjs MOSAIC_BINARY MODEL_BENCHMARK_BINARY
//        [--rankings-only] [--weights 0.2,0.35,0.5] [-- extra mosaic index options]
//   --rankings-only   skip the model's own figure (quick comparisons of index options)
//   --weights LIST    the hybrid vector weights measured (default 0.2,0.3,0.35,0.4,0.5)
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findRetrievalDataDirectory } from './retrieval_data.mjs';

const separator = process.argv.indexOf('--');
const ownArguments = process.argv.slice(2, separator < 0 ? undefined : separator);
const indexOptions = separator < 0 ? [] : process.argv.slice(separator + 1);
const rankingsOnly = ownArguments.includes('--rankings-only');
const weightsAt = ownArguments.indexOf('--weights');
const hybridWeights = (weightsAt >= 0 ? ownArguments[weightsAt + 1] : '0.2,0.3,0.35,0.4,0.5').split(',').map(Number);
const [mosaicBinary, modelBenchmarkBinary] = ownArguments.filter((argument, position) =>
  !argument.startsWith('--') && ownArguments[position - 1] !== '--weights');
if (!mosaicBinary || !modelBenchmarkBinary) {
  throw new Error('usage: retrieval_benchmark.mjs MOSAIC_BINARY MODEL_BENCHMARK_BINARY [--rankings-only] [-- index options]');
}
const repositoryRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const dataDirectory = findRetrievalDataDirectory(repositoryRoot);
const cachePrefix = path.join(process.env.MOSAIC_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'mosaic'), 'npm');
const modelDirectory = path.join(cachePrefix, 'node_modules', '@energetic-ai', 'model-embeddings-en', 'dist');
const benchDirectory = path.join(repositoryRoot, 'build', 'bench');
const workDirectory = path.join(benchDirectory, 'retrieval');
const resultsPath = path.join(benchDirectory, 'retrieval-results.json');
const queryDocuments = 100;  // Recall@100 needs 100 documents
const queryConcurrency = 2;  // the machine's cores

if (!fs.existsSync(path.join(dataDirectory, 'corpus.jsonl'))) {
  console.log(`retrieval benchmark skipped: ${dataDirectory} is absent (it comes from ../shared beside the checkout)`);
  process.exit(0);
}

const readLines = (name) => fs.readFileSync(path.join(dataDirectory, name), 'utf8').split('\n').filter(Boolean)
  .map((line) => JSON.parse(line));

// 1. The collection, written again only when the corpus changed.
const corpusText = fs.readFileSync(path.join(dataDirectory, 'corpus.jsonl'));
const corpusHash = createHash('sha256').update(corpusText).digest('hex');
const collection = path.join(workDirectory, 'collection');
const stamp = path.join(workDirectory, 'collection.sha256');
if (!fs.existsSync(stamp) || fs.readFileSync(stamp, 'utf8') !== corpusHash) {
  fs.rmSync(collection, { recursive: true, force: true });
  fs.mkdirSync(collection, { recursive: true });
  for (const passage of readLines('corpus.jsonl')) {
    // BEIR titles (empty in MS MARCO) would be a first line set apart by a blank line.
    const text = passage.title ? `${passage.title}\n\n${passage.text}` : passage.text;
    fs.writeFileSync(path.join(collection, `${passage._id}.txt`), text);
  }
  fs.writeFileSync(stamp, corpusHash);
}

// 2. The index, with the CLI's defaults.
const site = path.join(workDirectory, 'site');
console.error('retrieval benchmark: mosaic index…');
const indexStart = process.hrtime.bigint();
const indexed = spawnSync(mosaicBinary, ['index', collection, '--out', site, '--json',
  '--cache-dir', path.join(workDirectory, 'embedding-cache'), '--model-dir', modelDirectory, ...indexOptions],
{ encoding: 'utf8', maxBuffer: 1 << 26 });
if (indexed.status !== 0) throw new Error(`mosaic index failed with ${indexed.status}: ${indexed.stderr}`);
const indexReport = JSON.parse(indexed.stdout);
const indexSeconds = Number(process.hrtime.bigint() - indexStart) / 1e9;

// 3. One `mosaic query` per query, two at a time.
function runQuery(text, k, modeArguments) {
  return new Promise((resolve, reject) => {
    const child = spawn(mosaicBinary, ['query', site, text, '-k', String(k), '--json', '--model-dir', modelDirectory, ...modeArguments]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data) => { stdout += data; });
    child.stderr.on('data', (data) => { stderr += data; });
    child.on('error', reject);
    child.on('close', (status) => {
      if (status !== 0) reject(new Error(`mosaic query failed with ${status}: ${stderr}`));
      else resolve(JSON.parse(stdout).results);
    });
  });
}

// A result's document: its source file (`<_id>.txt`). Results are `{id, score, item: {...}}` on newer
// builds and flat `{id, score, source, ...}` on older ones.
const passageOf = (result) => path.basename(result.item?.source ?? result.source).replace(/\.txt$/, '');

// Asks for more results until `queryDocuments` distinct documents are in (or the index is exhausted):
// while the CLI lists every matching chunk, several results may be one document.
async function rankDocuments(text, modeArguments) {
  for (let k = queryDocuments * 2; ; k *= 2) {
    const results = await runQuery(text, k, modeArguments);
    const ranking = [];
    for (const result of results) {
      const passage = passageOf(result);
      if (!ranking.includes(passage)) ranking.push(passage);
    }
    if (ranking.length >= queryDocuments || results.length < k) return { ranking: ranking.slice(0, queryDocuments), results: results.length };
  }
}

const queries = readLines('queries.jsonl');

// Every query through `mosaic query` with these arguments, two at a time; the rankings file's path.
async function rankAll(name, modeArguments) {
  console.error(`retrieval benchmark: ${queries.length} queries through mosaic query ${modeArguments.join(' ')}…`);
  const started = process.hrtime.bigint();
  const rankings = new Array(queries.length);
  let nextQuery = 0;
  await Promise.all(Array.from({ length: queryConcurrency }, async () => {
    while (nextQuery < queries.length) {
      const position = nextQuery++;
      rankings[position] = { query: queries[position]._id, ...(await rankDocuments(queries[position].text, modeArguments)) };
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rankingsPath = path.join(workDirectory, `rankings-${name}.jsonl`);
  fs.writeFileSync(rankingsPath, rankings.map(({ query, ranking }) => JSON.stringify({ query, passages: ranking })).join('\n') + '\n');
  return { rankingsPath, seconds };
}

// 4. Scored with the model benchmark's code, which also measures the model's own vectors (unless
// only rankings are asked for).
function score(rankingsPath, onlyRankings) {
  const scored = spawnSync(modelBenchmarkBinary, [dataDirectory, '--model-dir', modelDirectory, '--rankings', rankingsPath,
    ...(onlyRankings ? ['--rankings-only'] : []), '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (scored.status !== 0) throw new Error(`mosaic_model_benchmark failed with ${scored.status}: ${scored.stderr}`);
  return JSON.parse(scored.stdout.trim().split('\n').pop());
}

const vectorRun = await rankAll('vector', ['--mode', 'vector']);
const querySeconds = vectorRun.seconds;
console.error(`retrieval benchmark: scoring${rankingsOnly ? '' : ' and the model\'s own vectors (about a minute)'}…`);
const figures = score(vectorRun.rankingsPath, rankingsOnly);
const modes = { vector: { ndcg_at_10: figures.rankings_ndcg_at_10, recall_at_100: figures.rankings_recall_at_100, query_seconds: vectorRun.seconds } };
const keywordRun = await rankAll('keyword', ['--mode', 'keyword']);
const keywordFigures = score(keywordRun.rankingsPath, true);
modes.keyword = { ndcg_at_10: keywordFigures.rankings_ndcg_at_10, recall_at_100: keywordFigures.rankings_recall_at_100, query_seconds: keywordRun.seconds };
const hybridByWeight = {};
for (const weight of hybridWeights) {
  const run = await rankAll(`hybrid-${weight}`, ['--mode', 'hybrid', '--vector-weight', String(weight)]);
  const weighted = score(run.rankingsPath, true);
  hybridByWeight[weight] = { ndcg_at_10: weighted.rankings_ndcg_at_10, recall_at_100: weighted.rankings_recall_at_100, query_seconds: run.seconds };
}
const defaultRun = await rankAll('hybrid-default', ['--mode', 'hybrid']);
const defaultFigures = score(defaultRun.rankingsPath, true);
modes.hybrid = { ndcg_at_10: defaultFigures.rankings_ndcg_at_10, recall_at_100: defaultFigures.rankings_recall_at_100, query_seconds: defaultRun.seconds };

const results = {
  benchmark: 'end-to-end retrieval: mosaic index (defaults) + mosaic query, local model, beir-msmarco-5k',
  machine: { cpu: (os.cpus()[0] || {}).model, cores: os.cpus().length, node: process.version, date: new Date().toISOString() },
  index_options: indexOptions,
  passages: indexReport.files_indexed,
  items: indexReport.items,
  index_seconds: indexSeconds,
  index_cache_hits: indexReport.cache_hits,
  queries: queries.length,
  query_seconds: querySeconds,
  end_to_end: { ndcg_at_10: figures.rankings_ndcg_at_10, recall_at_100: figures.rankings_recall_at_100 },
  modes,
  hybrid_by_vector_weight: hybridByWeight,
  hybrid_gain_over_better_single_mode: modes.hybrid.ndcg_at_10 - Math.max(modes.vector.ndcg_at_10, modes.keyword.ndcg_at_10),
};
if (!rankingsOnly) {
  results.model_own = { ndcg_at_10: figures.native_ndcg_at_10, recall_at_100: figures.native_recall_at_100 };
  results.ndcg_at_10_difference = results.model_own.ndcg_at_10 - results.end_to_end.ndcg_at_10;
}
fs.writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);

const fixed = (value, digits = 4) => Number(value).toFixed(digits);
console.log(`end-to-end retrieval on ${results.passages} passages (${results.items} items) and ${results.queries} queries` +
  (indexOptions.length ? ` (index options: ${indexOptions.join(' ')})` : ' (mosaic index defaults)'));
console.log(`  mosaic index + mosaic query   nDCG@10 ${fixed(results.end_to_end.ndcg_at_10)}  Recall@100 ${fixed(results.end_to_end.recall_at_100)}`);
if (!rankingsOnly) {
  console.log(`  the model's own vectors       nDCG@10 ${fixed(results.model_own.ndcg_at_10)}  Recall@100 ${fixed(results.model_own.recall_at_100)}`);
  const met = results.ndcg_at_10_difference <= 0.005;
  console.log(`  difference ${fixed(results.ndcg_at_10_difference)} (target: end to end within 0.005 of the model's own: ${met ? 'met' : 'MISSED'})`);
}
for (const [mode, value] of Object.entries(modes)) {
  console.log(`  ${mode.padEnd(8)} mode                nDCG@10 ${fixed(value.ndcg_at_10)}  Recall@100 ${fixed(value.recall_at_100)}  (${fixed(value.query_seconds, 1)} s for ${queries.length} queries)`);
}
for (const [weight, value] of Object.entries(hybridByWeight)) {
  console.log(`    hybrid, vector weight ${weight.padEnd(5)}   nDCG@10 ${fixed(value.ndcg_at_10)}  Recall@100 ${fixed(value.recall_at_100)}`);
}
const gain = results.hybrid_gain_over_better_single_mode;
console.log(`  hybrid over the better single mode: ${gain >= 0 ? '+' : ''}${fixed(gain)} (target: +0.03: ${gain >= 0.03 ? 'met' : 'MISSED'})`);
console.log(`  index ${fixed(indexSeconds, 1)} s (${results.index_cache_hits} cache hits), queries ${fixed(querySeconds, 1)} s; results written to build/bench/retrieval-results.json`);
