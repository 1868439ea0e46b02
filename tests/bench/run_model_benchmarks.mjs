// Runs the local model's three benchmarks in one go — native C++ (which also computes nDCG@10 and
// Recall@100 for itself and for the reference's vectors), the wasm build under Node, and the
// JavaScript reference under Node — on the 5,000 passages of beir-msmarco-5k, writes
// build/bench/model-results.json and prints a table with the targets: native >= 3x the reference,
// wasm >= 1x, nDCG@10 within 0.005 of the reference. Benchmarks report; a missed target does not
// fail the run, a failed process does.
// Usage: node tests/bench/run_model_benchmarks.mjs [--reuse-reference]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repositoryRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const dataDirectory = path.resolve(repositoryRoot, '..', 'shared', 'data', 'beir-msmarco-5k');
const cachePrefix = path.join(process.env.MOSAIC_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'mosaic'), 'npm');
const modelDirectory = path.join(cachePrefix, 'node_modules', '@energetic-ai', 'model-embeddings-en', 'dist');
const benchDirectory = path.join(repositoryRoot, 'build', 'bench');
const referenceVectors = path.join(benchDirectory, 'reference-vectors.jsonl');
const reuseReference = process.argv.includes('--reuse-reference');

if (!fs.existsSync(path.join(dataDirectory, 'corpus.jsonl'))) {
  console.log(`model benchmark skipped: ${dataDirectory} is absent (it comes from ../shared beside the checkout)`);
  process.exit(0);
}
fs.mkdirSync(benchDirectory, { recursive: true });

function run(label, command, args) {
  console.error(`model benchmark: running ${label}…`);
  const outcome = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  if (outcome.status !== 0) throw new Error(`${label} failed with status ${outcome.status}`);
  const lines = outcome.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

let reference;
const referenceSpeedFile = path.join(benchDirectory, 'reference-speed.json');
if (reuseReference && fs.existsSync(referenceVectors) && fs.existsSync(referenceSpeedFile)) {
  reference = JSON.parse(fs.readFileSync(referenceSpeedFile, 'utf8').trim().split('\n').pop());
} else {
  reference = run('the JavaScript reference (slow: ~12 texts/s)', process.execPath,
    [path.join(repositoryRoot, 'tests', 'bench', 'model_reference_benchmark.mjs'), cachePrefix, dataDirectory, referenceVectors]);
  fs.writeFileSync(referenceSpeedFile, `${JSON.stringify(reference)}\n`);
}
const native = run('native C++', path.join(repositoryRoot, 'build-release', 'bin', 'mosaic_model_benchmark'),
  [dataDirectory, '--model-dir', modelDirectory, '--reference-vectors', referenceVectors, '--json']);
const wasm = run('wasm under Node', process.execPath,
  [path.join(repositoryRoot, 'tests', 'bench', 'model_wasm_benchmark.mjs'), path.join(repositoryRoot, 'build-wasm', 'web', 'mosaic-model.mjs'),
   modelDirectory, dataDirectory]);

const results = {
  benchmark: 'local model (use-lite-512@energetic-ai-0.2.0)',
  machine: { cpu: (os.cpus()[0] || {}).model, cores: os.cpus().length, node: process.version, date: new Date().toISOString() },
  native, wasm, reference,
  ratios: {
    native_to_reference: native.native_texts_per_second / reference.reference_texts_per_second,
    wasm_to_reference: wasm.wasm_texts_per_second / reference.reference_texts_per_second,
  },
};
fs.writeFileSync(path.join(benchDirectory, 'model-results.json'), `${JSON.stringify(results, null, 2)}\n`);

const verdict = (met) => (met ? 'met' : 'MISSED');
const fixed = (value, digits = 1) => Number(value).toFixed(digits);
console.log(`local model on ${native.passages} passages (mean ${fixed(native.mean_tokens_per_passage)} tokens), one thread`);
console.log(`  native C++        ${fixed(native.native_texts_per_second).padStart(7)} texts/s  ${fixed(results.ratios.native_to_reference, 2)}x reference (target >= 3x: ${verdict(results.ratios.native_to_reference >= 3)})`);
console.log(`  wasm under Node   ${fixed(wasm.wasm_texts_per_second).padStart(7)} texts/s  ${fixed(results.ratios.wasm_to_reference, 2)}x reference (target >= 1x: ${verdict(results.ratios.wasm_to_reference >= 1)})`);
console.log(`  JS reference      ${fixed(reference.reference_texts_per_second).padStart(7)} texts/s`);
console.log(`  native peak memory ${fixed(native.native_peak_memory_megabytes, 0)} MB, model load ${fixed(native.model_load_seconds, 2)} s`);
console.log(`  nDCG@10 native ${fixed(native.native_ndcg_at_10, 4)}, reference ${fixed(native.reference_ndcg_at_10, 4)} (difference ${fixed(native.ndcg_at_10_difference, 4)}, target <= 0.005: ${verdict(native.ndcg_at_10_difference <= 0.005)})`);
console.log(`  Recall@100 native ${fixed(native.native_recall_at_100, 4)}, reference ${fixed(native.reference_recall_at_100, 4)}`);
console.log(`results written to build/bench/model-results.json`);
