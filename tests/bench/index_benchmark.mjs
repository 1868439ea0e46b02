// The indexer benchmark (make bench): how fast `mosaic index` turns texts into an index.
//   gemini, --concurrency 4   10,000 short texts (one file each) against the test double adding
//                             200 ms to every call: items per second. Target >= 1,500; the ceiling is
//                             4 calls in flight x 100 inputs / 0.2 s = 2,000.
//   naive, one at a time      what a simple script does: one embedContent per item, sequentially,
//                             against the same double. A small Node loop over the first 50 texts; at
//                             about 5 items/s, 10,000 would take over half an hour, so the rate is
//                             measured on 50 and the 10,000-item time extrapolated from it.
//   local                     the local model indexing the 5,000 passages of beir-msmarco-5k (one
//                             file each, no chunking), compared with the model's raw speed measured
//                             in the same run by mosaic_model_benchmark on the same passages. Both are
//                             pinned to one core (taskset), so the ratio compares one thread with one
//                             thread; the unpinned index rate (the provider's two workers) is shown too.
//                             Target: the pinned index rate >= 90% of the raw model rate.
// Items per second are items / wall time of the whole command (walking, reading, embedding, writing
// the site); the embedding phase alone comes from the report's "seconds". Results:
// build/bench/index-results.json and a table on stdout. Benchmarks report; they fail only when a
// process fails.
// Usage: node tests/bench/index_benchmark.mjs MOSAIC_BINARY DOUBLE_BINARY MODEL_BENCHMARK_BINARY
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startProcess } from '../support/processes.mjs';

const [mosaicBinary, doubleBinary, modelBenchmarkBinary] = process.argv.slice(2);
if (!mosaicBinary || !doubleBinary || !modelBenchmarkBinary) {
  throw new Error('usage: index_benchmark.mjs MOSAIC_BINARY DOUBLE_BINARY MODEL_BENCHMARK_BINARY');
}
const repositoryRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const benchDirectory = path.join(repositoryRoot, 'build', 'bench');
fs.mkdirSync(benchDirectory, { recursive: true });
const dataDirectory = path.resolve(repositoryRoot, '..', 'shared', 'data', 'beir-msmarco-5k');
const cachePrefix = path.join(process.env.MOSAIC_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'mosaic'), 'npm');
const modelDirectory = path.join(cachePrefix, 'node_modules', '@energetic-ai', 'model-embeddings-en', 'dist');

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mosaic-index-bench-'));
const apiKey = `bench-${randomBytes(8).toString('hex')}`;
const latencyMilliseconds = 200;
const itemCount = 10000;
const naiveCount = 50;
const concurrency = 4;

// Short texts, 100 folders of 100, each distinct (so nothing is a cache hit or a duplicate).
const subjects = ['a red bicycle', 'the harbour at dawn', 'a bowl of ramen', 'an old oak tree', 'a jazz trio',
  'snow on the mountains', 'a busy market', 'a sleeping cat', 'the city at night', 'a wooden boat'];
function shortText(index) {
  return `Note ${index}: ${subjects[index % subjects.length]}, seen on day ${Math.floor(index / 10)} ` +
    `of the survey, filed under topic ${index % 97}.`;
}
const textFolder = path.join(scratch, 'texts');
for (let index = 0; index < itemCount; ++index) {
  const folder = path.join(textFolder, `folder-${String(Math.floor(index / 100)).padStart(3, '0')}`);
  if (index % 100 === 0) fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, `text-${String(index).padStart(5, '0')}.txt`), shortText(index));
}

function runIndex(label, folder, args, { env = process.env, pinned = false } = {}) {
  console.error(`index benchmark: ${label}…`);
  const site = path.join(scratch, `site-${label.replace(/\W+/g, '-')}`);
  const cache = path.join(scratch, `cache-${label.replace(/\W+/g, '-')}`);
  const command = pinned ? 'taskset' : mosaicBinary;
  const commandArgs = [...(pinned ? ['-c', '0', mosaicBinary] : []), 'index', folder, '--out', site, '--cache-dir', cache,
    '--json', ...args];
  const started = process.hrtime.bigint();
  const outcome = spawnSync(command, commandArgs, { encoding: 'utf8', env, maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (outcome.status !== 0) throw new Error(`mosaic index (${label}) failed with ${outcome.status}: ${outcome.stderr}`);
  const report = JSON.parse(outcome.stdout);
  return {
    label,
    items: report.items,
    skipped: report.skipped.length,
    upstream_calls: report.upstream_calls,
    wall_seconds: seconds,
    items_per_second: report.items / seconds,
    phase_seconds: report.seconds,
    embedding_items_per_second: report.items / report.seconds.embedding,
  };
}

const results = { gemini: null, naive: null, local: null };
const double = await startProcess(doubleBinary, ['--port', '0', '--api-key', apiKey, '--hash-text',
  '--latency-ms', String(latencyMilliseconds)], { ready: /listening on 127\.0\.0\.1:(\d+)/ });
try {
  const doubleUrl = `http://127.0.0.1:${double.port}/v1beta`;
  results.gemini = runIndex('gemini concurrency 4', textFolder, ['--provider', 'gemini', '--gemini-base-url', doubleUrl,
    '--concurrency', String(concurrency)], { env: { ...process.env, GEMINI_API_KEY: apiKey } });
  if (results.gemini.items !== itemCount) throw new Error(`indexed ${results.gemini.items} of ${itemCount} texts`);

  console.error(`index benchmark: naive one-at-a-time loop over ${naiveCount} texts…`);
  const started = process.hrtime.bigint();
  for (let index = 0; index < naiveCount; ++index) {
    const response = await fetch(`${doubleUrl}/models/gemini-embedding-2:embedContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': apiKey },
      body: JSON.stringify({ content: { parts: [{ text: shortText(index) }] }, taskType: 'RETRIEVAL_DOCUMENT',
        outputDimensionality: 768 }),
    });
    if (response.status !== 200) throw new Error(`the double answered ${response.status}: ${await response.text()}`);
    const answer = await response.json();
    if (answer.embedding.values.length !== 768) throw new Error('the double answered a vector of the wrong size');
  }
  const naiveSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  results.naive = {
    label: 'naive one at a time',
    items_measured: naiveCount,
    seconds: naiveSeconds,
    items_per_second: naiveCount / naiveSeconds,
    extrapolated_seconds_for_all: (itemCount * naiveSeconds) / naiveCount,
  };
} finally {
  await double.stop();
}

if (fs.existsSync(path.join(dataDirectory, 'corpus.jsonl')) && fs.existsSync(modelDirectory)) {
  // The same passages the model benchmark embeds, one file each. --chunk-words is above every
  // passage's length, so each file is one item and the index embeds exactly the benchmark's texts.
  const passageFolder = path.join(scratch, 'passages');
  fs.mkdirSync(passageFolder, { recursive: true });
  const passages = fs.readFileSync(path.join(dataDirectory, 'corpus.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  let longest = 0;
  for (const passage of passages) {
    const text = passage.title ? `${passage.title}\n${passage.text}` : passage.text;
    longest = Math.max(longest, text.split(/\s+/).length);
    fs.writeFileSync(path.join(passageFolder, `${passage._id}.txt`), text);
  }
  const localArgs = ['--provider', 'local', '--model-dir', modelDirectory, '--chunk-words', String(longest + 1)];
  console.error('index benchmark: raw model speed (mosaic_model_benchmark, pinned to one core)…');
  const raw = spawnSync('taskset', ['-c', '0', modelBenchmarkBinary, dataDirectory, '--model-dir', modelDirectory, '--json'],
    { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (raw.status !== 0) throw new Error(`mosaic_model_benchmark failed with ${raw.status}: ${raw.stderr}`);
  const rawReport = JSON.parse(raw.stdout.trim().split('\n').pop());
  const pinned = runIndex('local pinned to one core', passageFolder, localArgs, { pinned: true });
  const unpinned = runIndex('local two workers', passageFolder, localArgs);
  results.local = {
    passages: passages.length,
    raw_model_texts_per_second: rawReport.native_texts_per_second,
    pinned,
    unpinned,
    pinned_to_raw: pinned.items_per_second / rawReport.native_texts_per_second,
    pinned_embedding_phase_to_raw: pinned.embedding_items_per_second / rawReport.native_texts_per_second,
    unpinned_to_raw: unpinned.items_per_second / rawReport.native_texts_per_second,
  };
} else {
  console.error(`index benchmark: the local-model part is skipped (${dataDirectory} or the model is absent)`);
}
fs.rmSync(scratch, { recursive: true, force: true });

const summary = {
  benchmark: `mosaic index: ${itemCount} short texts against the test double (${latencyMilliseconds} ms per call), ` +
    `and the local model on beir-msmarco-5k`,
  machine: { cpu: (os.cpus()[0] || {}).model, cores: os.cpus().length, date: new Date().toISOString() },
  ...results,
};
fs.writeFileSync(path.join(benchDirectory, 'index-results.json'), `${JSON.stringify(summary, null, 2)}\n`);

const verdict = (met) => (met ? 'met' : 'MISSED');
const fixed = (value, digits = 0) => Number(value).toFixed(digits);
const gemini = results.gemini;
console.log(`mosaic index on ${summary.machine.cores} cores`);
console.log(`  gemini, --concurrency ${concurrency}, double +${latencyMilliseconds} ms/call: ${gemini.items} items in ` +
  `${fixed(gemini.wall_seconds, 2)} s = ${fixed(gemini.items_per_second)} items/s (target >= 1,500: ` +
  `${verdict(gemini.items_per_second >= 1500)}; ceiling 2,000), ${gemini.upstream_calls} upstream calls; ` +
  `embedding phase ${fixed(gemini.embedding_items_per_second)} items/s`);
console.log(`  naive one embedContent at a time: ${fixed(results.naive.items_per_second, 2)} items/s over ${naiveCount} items ` +
  `(10,000 would take ~${fixed(results.naive.extrapolated_seconds_for_all / 60, 1)} min, extrapolated); ` +
  `the indexer is ${fixed(gemini.items_per_second / results.naive.items_per_second)}x faster`);
if (results.local) {
  const local = results.local;
  console.log(`  local model, ${local.passages} passages: raw model ${fixed(local.raw_model_texts_per_second, 1)} texts/s (one core); ` +
    `mosaic index pinned to that core ${fixed(local.pinned.items_per_second, 1)} items/s = ` +
    `${fixed(local.pinned_to_raw * 100, 1)}% (target >= 90%: ${verdict(local.pinned_to_raw >= 0.9)}); ` +
    `unpinned (two workers) ${fixed(local.unpinned.items_per_second, 1)} items/s = ${fixed(local.unpinned_to_raw * 100, 1)}%`);
}
console.log('results written to build/bench/index-results.json');
