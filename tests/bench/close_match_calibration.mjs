// How the "close match" similarity of a model is measured (the cut-off the web element uses to say
// "no close match" and to fold weaker results away; shared/search/close_match.hpp holds the figure).
// The local model, on beir-msmarco-5k (../shared/data), with its queries split in two by their id:
//   calibration half: the cut-off is the 95th percentile of the best similarity that nonsense queries
//                     (random letters, keyboard runs, digits, emoji, punctuation; made here from a
//                     fixed seed) reach in the collection, so at most 1 in 20 of them shows a close match;
//   held-out half:    with that cut-off, how many real queries still show their judged-relevant passage
//                     as a close match (in their top 10), how many show none at all, and how many
//                     held-out nonsense queries show a close match.
// Each query is one `mosaic query SITE TEXT --mode vector --json` (the core's cosine similarities).
// Writes build/bench/close-match-results.json and prints the figures.
// Usage: node tests/bench/close_match_calibration.mjs MOSAIC_BINARY
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findRetrievalDataDirectory } from './retrieval_data.mjs';

const [mosaicBinary] = process.argv.slice(2);
if (!mosaicBinary) throw new Error('usage: close_match_calibration.mjs MOSAIC_BINARY');
const repositoryRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const dataDirectory = findRetrievalDataDirectory(repositoryRoot);
const cachePrefix = path.join(process.env.MOSAIC_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'mosaic'), 'npm');
const modelDirectory = path.join(cachePrefix, 'node_modules', '@energetic-ai', 'model-embeddings-en', 'dist');
const workDirectory = path.join(repositoryRoot, 'build', 'bench', 'close-match');
const resultsPath = path.join(repositoryRoot, 'build', 'bench', 'close-match-results.json');
const nonsenseCount = 200;
const nonsenseShare = 0.05;  // at most this share of calibration nonsense reaches the cut-off
const topK = 10;

if (!fs.existsSync(path.join(dataDirectory, 'corpus.jsonl'))) {
  console.log(`close-match calibration skipped: ${dataDirectory} is absent`);
  process.exit(0);
}
const readLines = (name) => fs.readFileSync(path.join(dataDirectory, name), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));

// The collection (one file per passage, as the retrieval benchmark writes it) and its index.
const collection = path.join(workDirectory, 'collection');
if (!fs.existsSync(collection)) {
  fs.mkdirSync(collection, { recursive: true });
  for (const passage of readLines('corpus.jsonl')) fs.writeFileSync(path.join(collection, `${passage._id}.txt`), passage.text);
}
const site = path.join(workDirectory, 'site');
const indexed = spawnSync(mosaicBinary, ['index', collection, '--out', site, '--cache-dir', path.join(workDirectory, 'embedding-cache'),
  '--model-dir', modelDirectory], { encoding: 'utf8', maxBuffer: 1 << 26 });
if (indexed.status !== 0) throw new Error(`mosaic index failed: ${indexed.stderr}`);

// Judged-relevant passages per query (grade >= 1).
const relevant = new Map();
for (const line of fs.readFileSync(path.join(dataDirectory, 'test.tsv'), 'utf8').split('\n')) {
  const [query, passage, grade] = line.split('\t');
  if (!query || query === 'query-id' || !(Number(grade) >= 1)) continue;
  if (!relevant.has(query)) relevant.set(query, new Set());
  relevant.get(query).add(passage);
}
const queries = readLines('queries.jsonl').filter((query) => relevant.has(query._id));

// Nonsense from a fixed seed (xorshift32), so every run measures the same queries.
let seed = 20261206;
const random = () => {
  seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
  return seed / 4294967296;
};
const pick = (text) => [...text][Math.floor(random() * [...text].length)];
const makers = [
  () => Array.from({ length: 3 + Math.floor(random() * 8) }, () => pick('abcdefghijklmnopqrstuvwxyz')).join(''),
  () => Array.from({ length: 2 + Math.floor(random() * 3) }, () => Array.from({ length: 3 + Math.floor(random() * 5) }, () => pick('qwertyuiopasdfghjklzxcvbnm')).join('')).join(' '),
  () => Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick('😀🎉🔥🌈🍕🚀🐙💡🎲🧩')).join(''),
  () => String(Math.floor(random() * 1e9)),
  () => Array.from({ length: 2 + Math.floor(random() * 6) }, () => pick('!?#%&*+=~^<>[]{}')).join(''),
];
const nonsense = Array.from({ length: nonsenseCount }, (_, index) => makers[index % makers.length]());

function vectorResults(text) {
  return new Promise((resolve, reject) => {
    const child = spawn(mosaicBinary, ['query', site, text, '-k', String(topK), '--mode', 'vector', '--json', '--model-dir', modelDirectory]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data) => { stdout += data; });
    child.stderr.on('data', (data) => { stderr += data; });
    child.on('error', reject);
    child.on('close', (status) => (status === 0 ? resolve(JSON.parse(stdout).results) : reject(new Error(`mosaic query ${JSON.stringify(text)}: ${stderr}`))));
  });
}

async function runAll(texts) {
  const answers = new Array(texts.length);
  let next = 0;
  await Promise.all([0, 1].map(async () => {
    while (next < texts.length) {
      const position = next++;
      answers[position] = await vectorResults(texts[position]);
    }
  }));
  return answers;
}

const passageOf = (result) => path.basename(result.item.source).replace(/\.txt$/, '');
const queryAnswers = await runAll(queries.map((query) => query.text));
const nonsenseAnswers = await runAll(nonsense);

const measuredQueries = queries.map((query, position) => {
  const results = queryAnswers[position];
  const relevantScores = results.filter((result) => relevant.get(query._id).has(passageOf(result))).map((result) => result.score);
  return { id: query._id, best: results[0]?.score ?? 0, bestRelevant: relevantScores.length ? Math.max(...relevantScores) : undefined };
});
const measuredNonsense = nonsense.map((text, position) => ({ text, best: nonsenseAnswers[position][0]?.score ?? 0 }));

// Halves by position (query ids are in no meaningful order; nonsense kinds alternate, so both halves hold every kind).
const calibrationQueries = measuredQueries.filter((_, position) => position % 2 === 0);
const heldOutQueries = measuredQueries.filter((_, position) => position % 2 === 1);
const calibrationNonsense = measuredNonsense.filter((_, position) => position % 2 === 0);
const heldOutNonsense = measuredNonsense.filter((_, position) => position % 2 === 1);

const sortedNonsense = calibrationNonsense.map((entry) => entry.best).sort((a, b) => a - b);
// The smallest similarity that at most nonsenseShare of the calibration nonsense reaches, to 2 decimals (rounded up).
const percentile = sortedNonsense[Math.min(sortedNonsense.length - 1, Math.ceil((1 - nonsenseShare) * sortedNonsense.length))];
const cutOff = Math.ceil(percentile * 100) / 100;

const share = (entries, test) => entries.filter(test).length / entries.length;
const withRelevant = heldOutQueries.filter((query) => query.bestRelevant !== undefined);
const report = {
  model: 'local (use-lite-512)',
  data: 'beir-msmarco-5k',
  queries: queries.length,
  nonsense: nonsense.length,
  cutOff,
  calibration: {
    nonsenseAbove: share(calibrationNonsense, (entry) => entry.best >= cutOff),
    queriesWithCloseMatch: share(calibrationQueries, (query) => query.best >= cutOff),
  },
  heldOut: {
    nonsenseWithCloseMatch: share(heldOutNonsense, (entry) => entry.best >= cutOff),
    queriesWithCloseMatch: share(heldOutQueries, (query) => query.best >= cutOff),
    relevantInTop10Kept: share(withRelevant, (query) => query.bestRelevant >= cutOff),
    queriesWithRelevantInTop10: withRelevant.length,
  },
  nonsenseBest: { median: sortedNonsense[Math.floor(sortedNonsense.length / 2)], max: sortedNonsense.at(-1) },
  queryBest: { min: Math.min(...measuredQueries.map((query) => query.best)), median: measuredQueries.map((query) => query.best).sort((a, b) => a - b)[Math.floor(measuredQueries.length / 2)] },
};
fs.mkdirSync(path.dirname(resultsPath), { recursive: true });
fs.writeFileSync(resultsPath, `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
